"""The access right (P11): a machine-readable export of everything held on a person, each
service's part sealed with the person's key, assembled by retention and downloadable once
through an expiring link. A person with several data-subject ids (one account links them: an
order form's representative who also wrote in) gets one export with a part for every id."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import uuid4

from pydantic import RootModel

from services.retention.errors import GoneError, NotFoundError, NotReadyError
from services.retention.rights import Retention, may_act_for
from shared import topics
from shared.crypto import SealedPersonalData, unseal
from shared.events.privacy import PARTICIPANTS, ExportRequested, ExportSlice
from shared.events.sources import RETENTION
from shared.tokens import Principal

ExportState = Literal["collecting", "ready", "downloaded"]


@dataclass(frozen=True)
class ExportStatus:
    export_id: str
    status: ExportState
    answered: list[str]
    missing: list[str]


class AnyRecords(RootModel[Any]):
    """A participant's export part, whatever its shape (each service defines its own)."""


async def request_export(person_id: str, *, who: Principal, ctx: Retention) -> str:
    """Ask every service for what it holds on the person, under each of their data-subject
    ids (one request to the services per id); the export's id."""
    may_act_for(who, person_id)
    now = ctx.clock.now()
    person_ids = await ctx.stores.reads().persons.of_person(person_id)
    asked = [
        ExportRequested(export_id=str(uuid4()), data_subject_id=p, requested_at=now)
        for p in person_ids
    ]
    whole, others = asked[0], asked[1:]
    async with ctx.stores.transaction() as uow:
        for requested in asked:
            belongs = (
                {"other_ids": [o.export_id for o in others]}
                if requested is whole
                else {"part_of": whole.export_id}
            )
            await uow.exports.add(
                {
                    "export_id": requested.export_id,
                    "data_subject_id": requested.data_subject_id,
                    "requested_at": now,
                    "requested_by": who.principal_id,
                    "downloaded_at": None,
                    **belongs,
                }
            )
            event = RETENTION.event(subject=requested.export_id, time=now, data=requested)
            await uow.publish(topics.PRIVACY_DSR, event)
    return whole.export_id


async def export_status(export_id: str, *, who: Principal, ctx: Retention) -> ExportStatus:
    """Which services have answered for every id; `ready` once all have (or the wait is over)."""
    export, others = await _export_for(export_id, who, ctx)
    return _status_of(export, others, now=ctx.clock.now(), wait=ctx.periods.export_wait)


async def issue_export_link(
    export_id: str, *, who: Principal, ctx: Retention
) -> tuple[str, datetime]:
    """A random download token, valid once and until it expires (a new one replaces it)."""
    export, others = await _export_for(export_id, who, ctx)
    now = ctx.clock.now()
    state = _status_of(export, others, now=now, wait=ctx.periods.export_wait).status
    if state == "downloaded":
        raise GoneError("the export was downloaded already")
    if state != "ready":
        raise NotReadyError("the export is still being collected")
    token = secrets.token_urlsafe(32)
    expires_at = now + ctx.periods.link_lifetime
    await ctx.stores.reads().exports.issue_link(
        export_id, link_hash=_link_hash(token), expires_at=expires_at
    )
    return token, expires_at


async def download_export(token: str, *, ctx: Retention) -> dict[str, Any]:
    """The assembled export, once; the link itself is the credential."""
    exports, now = ctx.stores.reads().exports, ctx.clock.now()
    export = await exports.by_link(_link_hash(token))
    if export is None or export["link_expires_at"] <= now:
        raise GoneError("this link is unknown, used or expired")
    others = await _others_of(export, ctx)
    if not await exports.downloaded(export["_id"], at=now):
        raise GoneError("this link is unknown, used or expired")
    other_ids = []
    for other in others:
        await exports.downloaded(other["_id"], at=now)
        parts = await _opened(other, ctx)
        other_ids.append(
            {"data_subject_id": other["data_subject_id"], "services": parts, **_missing(parts)}
        )
    parts = await _opened(export, ctx)
    for assembled in (export, *others):
        await exports.drop_slices(assembled["_id"])
    return {
        "export_id": export["_id"],
        "data_subject_id": export["data_subject_id"],
        "requested_at": export["requested_at"],
        "generated_at": now,
        "services": parts,
        **_missing(parts),
        "other_data_subject_ids": other_ids,
    }


async def _opened(export: dict[str, Any], ctx: Retention) -> dict[str, Any]:
    parts: dict[str, Any] = {}
    for participant, sealed in sorted(export["contributions"].items()):
        if "slices" in sealed:  # a large part, sealed in slices of its JSON text
            parts[participant] = await _joined(export, participant, ctx)
            continue
        opened = await unseal(SealedPersonalData(**sealed), AnyRecords, keys=ctx.keys)
        parts[participant] = None if opened is None else opened.root
    return parts


async def _joined(export: dict[str, Any], participant: str, ctx: Retention) -> Any:
    """A large part, its slices opened and joined; None if the person's key is gone (or a
    slice was sealed for someone else)."""
    texts = []
    for found in await ctx.stores.reads().exports.slices(export["_id"], participant):
        sealed = SealedPersonalData(**found["records"])
        if sealed.data_subject_id != export["data_subject_id"]:
            return None
        opened = await unseal(sealed, ExportSlice, keys=ctx.keys)
        if opened is None:
            return None
        texts.append(opened.text)
    return json.loads("".join(texts))


def _missing(parts: dict[str, Any]) -> dict[str, list[str]]:
    return {"missing": [p for p in PARTICIPANTS if p not in parts]}


async def _export_for(
    export_id: str, who: Principal, ctx: Retention
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The export and its parts for the person's other ids; a part alone is not an export."""
    export = await ctx.stores.reads().exports.get(export_id)
    if export is None or "part_of" in export:
        raise NotFoundError("no such export")
    may_act_for(who, export["data_subject_id"])
    return export, await _others_of(export, ctx)


async def _others_of(export: dict[str, Any], ctx: Retention) -> list[dict[str, Any]]:
    exports = ctx.stores.reads().exports
    found = [await exports.get(other_id) for other_id in export.get("other_ids", [])]
    return [other for other in found if other is not None]


def _status_of(
    export: dict[str, Any], others: list[dict[str, Any]], *, now: datetime, wait: timedelta
) -> ExportStatus:
    every = [set(part.get("contributions", {})) for part in (export, *others)]
    answered = sorted(set.intersection(*every))
    missing: list[str] = [p for p in PARTICIPANTS if p not in answered]
    state: ExportState
    if export.get("downloaded_at") is not None:
        state = "downloaded"
    elif not missing or now - export["requested_at"] >= wait:
        state = "ready"
    else:
        state = "collecting"
    return ExportStatus(export["_id"], state, answered, missing)


def _link_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
