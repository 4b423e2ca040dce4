"""`support-ops publish`: CRM and legal-hold contract events, from a JSON file or from flags."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from ops import backbone
from ops.common import JsonFlag, run, settings_of
from ops.contracts import DEFAULT_SOURCE, invalid, prepare
from ops.output import Output, table
from ops.settings import OpsSettings
from shared.events import CloudEvent

app = typer.Typer(help="Publish CRM and legal-hold events (validated against their contracts).")

Source = Annotated[str, typer.Option(help="The CloudEvents `source` of events built here.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Validate only; publish nothing.")]
Organisation = Annotated[str, typer.Option("--organisation", help="The organisation id.")]
Contact = Annotated[str, typer.Option("--contact", help="The contact id (data-subject id).")]
At = Annotated[datetime | None, typer.Option("--at", help="When it happened (default: now).")]


def _read(path: str) -> list[object]:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        document = json.loads(text)
    except OSError as error:
        raise invalid(f"input: cannot read {path} ({type(error).__name__})", []) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise invalid(f"input: not JSON ({type(error).__name__})", []) from None
    return document if isinstance(document, list) else [document]


async def _prepare_all(
    settings: OpsSettings,
    documents: list[object],
    *,
    event_type: str | None,
    source: str,
    seal: bool,
) -> list[tuple[str, CloudEvent]]:
    if not seal:
        return [
            await prepare(d, event_type=event_type, source=source, seal=None) for d in documents
        ]
    async with backbone.key_store(settings) as keys:
        sealer = backbone.ContactSealer(keys)
        return [
            await prepare(d, event_type=event_type, source=source, seal=sealer) for d in documents
        ]


def _send(
    ctx: typer.Context, out: Output, events: list[tuple[str, CloudEvent]], *, dry_run: bool
) -> None:
    """Publish (unless a dry run) and report ids, types, topics and keys; never the data."""
    if not dry_run:
        asyncio.run(backbone.publish(settings_of(ctx).kafka_bootstrap_servers, events))
    rows = [
        {"id": str(e.id), "type": e.type, "topic": topic, "key": e.subject} for topic, e in events
    ]
    verb = "validated (dry run)" if dry_run else "published"
    out.result(
        {"published": not dry_run, "events": rows},
        table=table("events", ("id", "type", "topic", "key"), [list(r.values()) for r in rows]),
        summary=f"{len(rows)} event(s) {verb}",
    )


@app.command("file")
def publish_file(
    ctx: typer.Context,
    path: Annotated[str, typer.Argument(help="A JSON file ('-' for stdin): an event or a list.")],
    event_type: Annotated[
        str | None, typer.Option("--type", help="The type, when the file holds only `data`.")
    ] = None,
    seal: Annotated[
        bool, typer.Option("--seal", help="Seal plain contact details with the key store.")
    ] = False,
    source: Source = DEFAULT_SOURCE,
    dry_run: DryRun = False,
    as_json: JsonFlag = False,
) -> None:
    """Publish CloudEvents (or their data with --type) from a JSON file, all or none."""

    def body(out: Output) -> None:
        documents = _read(path)
        events = asyncio.run(
            _prepare_all(
                settings_of(ctx), documents, event_type=event_type, source=source, seal=seal
            )
        )
        _send(ctx, out, events, dry_run=dry_run)

    run(as_json, body)


def _from_flags(
    ctx: typer.Context, event_type: str, data: dict[str, Any], *, dry_run: bool, as_json: bool
) -> None:
    def body(out: Output) -> None:
        data_json = json.loads(json.dumps(data, default=str))
        prepared = asyncio.run(
            prepare(data_json, event_type=event_type, source=DEFAULT_SOURCE, seal=None)
        )
        _send(ctx, out, [prepared], dry_run=dry_run)

    run(as_json, body)


def _when(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@app.command("contract-terminated")
def contract_terminated(
    ctx: typer.Context,
    organisation: Organisation,
    termination_date: Annotated[
        datetime, typer.Option("--termination-date", formats=["%Y-%m-%d"], help="YYYY-MM-DD")
    ],
    at: At = None,
    dry_run: DryRun = False,
    as_json: JsonFlag = False,
) -> None:
    """crm.contract.terminated.v1: the contract ends (purge a year later unless held)."""
    ended: date = termination_date.date()
    data = {"organisation_id": organisation, "termination_date": ended, "terminated_at": _when(at)}
    _from_flags(ctx, "crm.contract.terminated.v1", data, dry_run=dry_run, as_json=as_json)


@app.command("contract-reinstated")
def contract_reinstated(
    ctx: typer.Context,
    organisation: Organisation,
    at: At = None,
    dry_run: DryRun = False,
    as_json: JsonFlag = False,
) -> None:
    """crm.contract.reinstated.v1: a terminated contract is in force again."""
    data = {"organisation_id": organisation, "reinstated_at": _when(at)}
    _from_flags(ctx, "crm.contract.reinstated.v1", data, dry_run=dry_run, as_json=as_json)


@app.command("contact-left")
def contact_left(
    ctx: typer.Context,
    organisation: Organisation,
    contact: Contact,
    at: At = None,
    dry_run: DryRun = False,
    as_json: JsonFlag = False,
) -> None:
    """crm.contact.left_organization.v1: a representative left the organisation."""
    data = {"organisation_id": organisation, "contact_id": contact, "left_at": _when(at)}
    _from_flags(ctx, "crm.contact.left_organization.v1", data, dry_run=dry_run, as_json=as_json)


@app.command("official-contact")
def official_contact(
    ctx: typer.Context,
    organisation: Organisation,
    contact: Contact,
    revoke: Annotated[bool, typer.Option("--revoke", help="Revoke instead of appoint.")] = False,
    at: At = None,
    dry_run: DryRun = False,
    as_json: JsonFlag = False,
) -> None:
    """crm.official_contact.appointed.v1 (or .revoked.v1 with --revoke)."""
    verb = "revoked" if revoke else "appointed"
    data = {"organisation_id": organisation, "contact_id": contact, f"{verb}_at": _when(at)}
    kind = f"crm.official_contact.{verb}.v1"
    _from_flags(ctx, kind, data, dry_run=dry_run, as_json=as_json)


@app.command("hold-placed")
def hold_placed(
    ctx: typer.Context,
    hold_id: Annotated[str, typer.Option("--hold-id", help="The hold's id (the Kafka key).")],
    scope_kind: Annotated[Literal["organisation", "person", "request"], typer.Option()],
    scope_id: Annotated[str, typer.Option(help="The held organisation, person or request id.")],
    reason: Annotated[Literal["legal_obligation", "contractual_dispute"], typer.Option()],
    case_reference: Annotated[str, typer.Option(help="The legal matter; no personal data.")],
    placed_by: Annotated[str, typer.Option(help="Staff or system id.")] = "support-ops",
    expires_at: Annotated[datetime | None, typer.Option(help="Ends by itself then.")] = None,
    at: At = None,
    dry_run: DryRun = False,
    as_json: JsonFlag = False,
) -> None:
    """legal.hold.placed.v1: nothing the hold covers is purged while it is active."""
    data = {
        "hold_id": hold_id,
        "scope": {"kind": scope_kind, "id": scope_id},
        "reason": reason,
        "case_reference": case_reference,
        "placed_by": placed_by,
        "placed_at": _when(at),
        "expires_at": None if expires_at is None else _when(expires_at),
    }
    _from_flags(ctx, "legal.hold.placed.v1", data, dry_run=dry_run, as_json=as_json)


@app.command("hold-released")
def hold_released(
    ctx: typer.Context,
    hold_id: Annotated[str, typer.Option("--hold-id", help="The hold to release.")],
    released_by: Annotated[str, typer.Option(help="Staff or system id.")] = "support-ops",
    at: At = None,
    dry_run: DryRun = False,
    as_json: JsonFlag = False,
) -> None:
    """legal.hold.released.v1: a purge the hold held back runs at once if already due."""
    data = {"hold_id": hold_id, "released_by": released_by, "released_at": _when(at)}
    _from_flags(ctx, "legal.hold.released.v1", data, dry_run=dry_run, as_json=as_json)
