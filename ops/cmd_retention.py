"""`support-ops status` and `support-ops retention`: what is due, overdue and held (ids only)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ops.common import JsonFlag, run, settings_of
from ops.http import Services
from ops.output import ExitCode, Output, pairs, table

retention = typer.Typer(help="Retention clocks and legal holds, one at a time.")

HOLD_COLUMNS = (
    "hold_id",
    "scope_kind",
    "scope_id",
    "reason",
    "case_reference",
    "placed_at",
    "expires_at",
)


def _holds_table(title: str, holds: list[dict[str, Any]]) -> Any:
    return table(title, HOLD_COLUMNS, [[h[c] for c in HOLD_COLUMNS] for h in holds])


def status(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many next-due items.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Due soon, overdue, held back, running purges, active legal holds; exit 1 if overdue."""

    def body(out: Output) -> ExitCode:
        with Services(settings_of(ctx)) as api:
            overview = api.call("GET", "retention", f"/retention/status?limit={limit}")
            holds = [
                h for h in api.call("GET", "retention", "/retention/legal-holds") if h["active"]
            ]
        late_erasures = overview.get("late_erasures", [])
        late = overview["overdue"] + overview["purges_past_deadline"] + len(late_erasures)
        counts = {k: v for k, v in overview.items() if k not in {"next_due", "late_erasures"}}
        if not out.as_json:
            out.console.print(pairs("retention", counts))
            out.console.print(_holds_table("active legal holds", holds))
            out.console.print(
                table(
                    "erasures waiting for participants (no certificate yet)",
                    ("erasure_id", "scope", "missing", "left", "asked"),
                    [
                        [
                            e["erasure_id"],
                            f"{e['scope']['kind']} {e['scope']['id']}",
                            ", ".join(e["missing"]),
                            "; ".join(
                                f"{who}: {sum(left.values())}" for who, left in e["left"].items()
                            ),
                            e["times_asked"],
                        ]
                        for e in late_erasures
                    ],
                )
            )
        due = [
            [i["kind"], i["id"], i["purge_due_at"], "held" if i["held"] else ""]
            for i in overview["next_due"]
        ]
        out.result(
            {**overview, "legal_holds": holds},
            table=table("next due", ("kind", "id", "purge due at", "held"), due),
            summary="[red]overdue purges or late erasures[/red]" if late else "nothing overdue",
        )
        return ExitCode.PROBLEM if late else ExitCode.OK

    run(as_json, body)


@retention.command("request")
def request_clock(ctx: typer.Context, request_id: str, as_json: JsonFlag = False) -> None:
    """A request's retention clock: its rule and when it falls due."""

    def body(out: Output) -> None:
        with Services(settings_of(ctx)) as api:
            clock = api.call("GET", "retention", f"/retention/requests/{request_id}")
        out.result(clock, table=pairs(f"request {request_id}", clock))

    run(as_json, body)


@retention.command("organisation")
def organisation_clock(ctx: typer.Context, organisation_id: str, as_json: JsonFlag = False) -> None:
    """An organisation's contract state and when its purge falls due (P7)."""

    def body(out: Output) -> None:
        with Services(settings_of(ctx)) as api:
            clock = api.call("GET", "retention", f"/retention/organisations/{organisation_id}")
        out.result(clock, table=pairs(f"organisation {organisation_id}", clock))

    run(as_json, body)


@retention.command("holds")
def legal_holds(
    ctx: typer.Context,
    all_holds: Annotated[
        bool, typer.Option("--all", help="Released and expired holds too.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Legal holds in force (or all of them with --all)."""

    def body(out: Output) -> None:
        with Services(settings_of(ctx)) as api:
            holds = api.call("GET", "retention", "/retention/legal-holds")
        shown = holds if all_holds else [h for h in holds if h["active"]]
        out.result(shown, table=_holds_table("legal holds", shown), summary=f"{len(shown)} hold(s)")

    run(as_json, body)
