"""`support-ops erasure` and `support-ops export`: data-subject rights through retention (P11)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

import typer

from ops.common import JsonFlag, run, settings_of
from ops.http import Services
from ops.output import ExitCode, OpsError, Output, pairs, table
from ops.progress import bar
from shared.events.privacy import PARTICIPANTS

erasure = typer.Typer(help="Erase a person everywhere (or record an objection), and follow it.")
export = typer.Typer(help="Collect what every service holds on a person, and follow it.")

Subject = Annotated[str, typer.Argument(help="The person's data-subject (contact) id.")]
Wait = Annotated[bool, typer.Option("--wait", help="Wait until it completes, with progress.")]
Timeout = Annotated[float, typer.Option(help="Seconds --wait waits before giving up (exit 5).")]
POLL_SECONDS = 0.5


def _follow(
    out: Output,
    *,
    what: str,
    poll: Callable[[], dict[str, Any]],
    done: Callable[[dict[str, Any]], bool],
    timeout: float,
) -> dict[str, Any]:
    """Poll until done, showing how many of the services have answered."""
    deadline = time.monotonic() + timeout
    with bar(out) as progress:
        task = progress.add_task(what, total=len(PARTICIPANTS))
        while True:
            state = poll()
            answered = state.get("completed", state.get("answered", []))
            progress.update(
                task,
                completed=len(answered),
                description=f"{what}: {state.get('state', state.get('status'))}",
            )
            if done(state):
                return state
            if time.monotonic() >= deadline:
                raise OpsError(
                    f"{what} did not complete within {timeout:g}s; still missing: "
                    + ", ".join(state.get("missing", [])),
                    code=ExitCode.TIMED_OUT,
                )
            time.sleep(POLL_SECONDS)


def _certificate_table(certificate: dict[str, Any]) -> Any:
    rows = [
        (name, part["completed_at"], ", ".join(f"{k}={v}" for k, v in part["counts"].items()))
        for name, part in certificate["participants"].items()
    ]
    title = (
        f"deletion certificate {certificate['erasure_id']} ({certificate['ground']}, "
        f"certified {certificate['certified_at']}, keys shredded: {certificate['keys_shredded']})"
    )
    return table(title, ("participant", "completed at", "deleted"), rows)


@erasure.command("request")
def request_erasure(
    ctx: typer.Context,
    subject: Subject,
    objection: Annotated[
        bool, typer.Option("--objection", help="The person objects (P11) rather than asks.")
    ] = False,
    wait: Wait = False,
    timeout: Timeout = 300.0,
    as_json: JsonFlag = False,
) -> None:
    """Ask retention to erase the person; with --wait, follow it to its deletion certificate."""

    def body(out: Output) -> ExitCode:
        right = "objection" if objection else "erasure"
        with Services(settings_of(ctx)) as api:
            answer = api.call(
                "POST",
                "retention",
                "/privacy/erasures",
                body={"data_subject_id": subject, "right": right},
            )
            kept = table(
                "kept", ("kind", "id", "ground"), [list(k.values()) for k in answer["kept"]]
            )
            if not answer["erased"]:
                awaiting = answer.get("awaiting_organisation_decision") or []
                why = (
                    f"{len(awaiting)} request(s) of theirs await their organisation decision;"
                    " the erasure starts by itself once decided"
                    if awaiting
                    else "the person is under a legal hold"
                )
                out.result(answer, table=kept, summary=f"not erased yet: {why}")
                return ExitCode.PROBLEM
            erasure_id = answer["erasure_id"]
            if not wait:
                out.result(answer, table=kept, summary=f"erasure {erasure_id} requested")
                return ExitCode.OK
            _follow(
                out,
                what=f"erasure {erasure_id}",
                poll=lambda: api.call("GET", "retention", f"/privacy/erasures/{erasure_id}"),
                done=lambda s: s["state"] == "certified",
                timeout=timeout,
            )
            certificate = api.call("GET", "retention", f"/privacy/certificates/{erasure_id}")
        out.result({**answer, "certificate": certificate}, table=_certificate_table(certificate))
        return ExitCode.OK

    run(as_json, body)


@erasure.command("status")
def erasure_status(ctx: typer.Context, erasure_id: str, as_json: JsonFlag = False) -> None:
    """Where an erasure stands: its state and which services completed."""

    def body(out: Output) -> None:
        with Services(settings_of(ctx)) as api:
            state = api.call("GET", "retention", f"/privacy/erasures/{erasure_id}")
        shown = {
            **state,
            "completed": ", ".join(state["completed"]),
            "missing": ", ".join(state["missing"]),
        }
        out.result(state, table=pairs(f"erasure {erasure_id}", shown))

    run(as_json, body)


@erasure.command("certificate")
def erasure_certificate(ctx: typer.Context, erasure_id: str, as_json: JsonFlag = False) -> None:
    """The deletion certificate of a completed erasure (no personal data in it)."""

    def body(out: Output) -> None:
        with Services(settings_of(ctx)) as api:
            certificate = api.call("GET", "retention", f"/privacy/certificates/{erasure_id}")
        out.result(certificate, table=_certificate_table(certificate))

    run(as_json, body)


@export.command("request")
def request_export(
    ctx: typer.Context,
    subject: Subject,
    wait: Wait = False,
    timeout: Timeout = 300.0,
    link: Annotated[
        bool, typer.Option("--link", help="Once ready, issue the one-time download link.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Ask every service for what it holds on the person; the export is referenced by id only."""

    def body(out: Output) -> None:
        with Services(settings_of(ctx)) as api:
            answer = api.call(
                "POST", "retention", "/privacy/exports", body={"data_subject_id": subject}
            )
            export_id = answer["export_id"]
            if wait or link:
                answer = _follow(
                    out,
                    what=f"export {export_id}",
                    poll=lambda: api.call("GET", "retention", f"/privacy/exports/{export_id}"),
                    done=lambda s: s["status"] != "collecting",
                    timeout=timeout,
                )
            if link:
                answer = {**answer, **_issue_link(api, export_id)}
        out.result(answer, table=pairs(f"export {export_id}", _shown(answer)))

    run(as_json, body)


def _issue_link(api: Services, export_id: str) -> dict[str, Any]:
    issued = api.call("POST", "retention", f"/privacy/exports/{export_id}/link")
    return {**issued, "download_url": api.urls["retention"] + issued["download_url"]}


def _shown(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: ", ".join(v) if isinstance(v, list) else v for k, v in answer.items()}


@export.command("status")
def export_status(ctx: typer.Context, export_id: str, as_json: JsonFlag = False) -> None:
    """Which services have answered; `ready` once all have (or retention's wait is over)."""

    def body(out: Output) -> None:
        with Services(settings_of(ctx)) as api:
            state = api.call("GET", "retention", f"/privacy/exports/{export_id}")
        out.result(state, table=pairs(f"export {export_id}", _shown(state)))

    run(as_json, body)


@export.command("link")
def export_link(ctx: typer.Context, export_id: str, as_json: JsonFlag = False) -> None:
    """Issue the export's one-time, expiring download link (the operator hands it over)."""

    def body(out: Output) -> None:
        with Services(settings_of(ctx)) as api:
            issued = _issue_link(api, export_id)
        out.result(issued, table=pairs(f"export {export_id}", issued))

    run(as_json, body)
