"""`support-ops dlq`, `support-ops scan` and `support-ops health`: the backbone's operations."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ops import backbone
from ops.common import JsonFlag, run, settings_of
from ops.http import Services
from ops.output import ExitCode, OpsError, Output, table
from ops.progress import bar
from shared import topics
from shared.deadletters import list_dead_letters, replay_dead_letters
from shared.scanner import ScanReport, scan_kafka, scan_mongodb, topic_partitions
from shared.topics import dead_letter_topic

dlq = typer.Typer(help="Dead letters: list them (never their values) and replay them.")

Topics = Annotated[
    list[str] | None,
    typer.Argument(help="Consumed topics (default: every topic with dead letters)."),
]
LETTER_COLUMNS = ("topic", "partition", "offset", "reason", "consumer", "original", "failed at")


def _topics(ctx: typer.Context, given: list[str] | None) -> list[str]:
    """The topics named, or every topic that has a dead-letter topic (none is created here)."""
    if given:
        return list(given)
    found = asyncio.run(backbone.bounded(topic_partitions(_kafka(ctx)), what="Kafka", seconds=30))
    suffix = topics.DEAD_LETTER_SUFFIX
    return sorted({tp.topic[: -len(suffix)] for tp in found if tp.topic.endswith(suffix)})


def _kafka(ctx: typer.Context) -> str:
    return settings_of(ctx).kafka_bootstrap_servers


@dlq.command("list")
def list_letters(ctx: typer.Context, topic: Topics = None, as_json: JsonFlag = False) -> None:
    """Each dead letter's position, reason and origin; never its value (it may be personal)."""

    def body(out: Output) -> None:
        letters: list[dict[str, Any]] = []
        for name in _topics(ctx, topic):
            found = asyncio.run(
                backbone.bounded(list_dead_letters(_kafka(ctx), name), what="Kafka", seconds=60)
            )
            letters += [{"topic": dead_letter_topic(name), **letter.__dict__} for letter in found]
        rows = [
            [
                item["topic"],
                item["partition"],
                item["offset"],
                item["headers"].get("dlq-reason"),
                item["headers"].get("dlq-consumer"),
                f"{item['headers'].get('dlq-original-partition')}:"
                f"{item['headers'].get('dlq-original-offset')}",
                item["headers"].get("dlq-failed-at"),
            ]
            for item in letters
        ]
        out.result(
            letters,
            table=table("dead letters", LETTER_COLUMNS, rows),
            summary=f"{len(letters)} dead letter(s)",
        )

    run(as_json, body)


@dlq.command("replay")
def replay_letters(ctx: typer.Context, topic: Topics = None, as_json: JsonFlag = False) -> None:
    """Republish dead letters not replayed before onto their topic, unchanged (fix the cause first)."""

    def body(out: Output) -> None:
        replayed: dict[str, int] = {}
        with bar(out) as progress:
            for name in _topics(ctx, topic):
                task = progress.add_task(f"replay {dead_letter_topic(name)}", total=None)

                def advance(done: int, total: int, task: Any = task) -> None:
                    progress.update(task, completed=done, total=total)

                replayed[name] = asyncio.run(
                    backbone.bounded(
                        replay_dead_letters(_kafka(ctx), name, on_replayed=advance),
                        what="Kafka",
                        seconds=300,
                    )
                )
                progress.update(
                    task, total=max(replayed[name], 1), completed=max(replayed[name], 1)
                )
        rows = [[name, count] for name, count in replayed.items()]
        out.result(
            {"replayed": replayed},
            table=table("replayed", ("topic", "dead letters replayed"), rows),
            summary=f"{sum(replayed.values())} dead letter(s) replayed",
        )

    run(as_json, body)


def _values(given: list[str] | None, values_file: str | None) -> list[str]:
    found = list(given or [])
    if values_file is not None:
        text = sys.stdin.read() if values_file == "-" else Path(values_file).read_text("utf-8")
        found += [line.strip() for line in text.splitlines() if line.strip()]
    if not found:
        raise OpsError("give values to look for (arguments or --values-file)", code=ExitCode.USAGE)
    return found


def scan(
    ctx: typer.Context,
    values: Annotated[
        list[str] | None, typer.Argument(help="Values to look for (read, never printed).")
    ] = None,
    values_file: Annotated[
        str | None, typer.Option(help="A file of values, one a line ('-' for stdin).")
    ] = None,
    topic: Annotated[list[str] | None, typer.Option(help="Only these topics.")] = None,
    database: Annotated[list[str] | None, typer.Option(help="Only these databases.")] = None,
    kafka: Annotated[bool, typer.Option(help="Scan Kafka.")] = True,
    mongodb: Annotated[bool, typer.Option(help="Scan MongoDB.")] = True,
    as_json: JsonFlag = False,
) -> None:
    """Find plaintext personal data in topics and collections, by value index; exit 1 if found."""

    def body(out: Output) -> ExitCode:
        needles = _values(values, values_file)
        settings = settings_of(ctx)
        report = ScanReport()
        with bar(out) as progress:
            if kafka:
                asyncio.run(
                    _scan_topics(
                        settings.kafka_bootstrap_servers,
                        needles,
                        report=report,
                        only=topic,
                        progress=progress,
                    )
                )
            if mongodb:
                asyncio.run(
                    _scan_databases(
                        settings.mongodb_url,
                        needles,
                        report=report,
                        only=database,
                        progress=progress,
                    )
                )
        found = report.kafka_total + report.mongodb_total
        rows = [["kafka", t, i, n] for (t, i), n in report.kafka_hits.items()]
        rows += [["mongodb", c, i, n] for (c, i), n in report.mongodb_hits.items()]
        rows += [
            ["ingress (clear by design, expires)", t, i, n]
            for (t, i), n in report.ingress_hits.items()
        ]
        out.result(
            {**report.as_dict(), "found": found},
            table=table("plaintext found", ("where", "place", "value #", "hits"), rows),
            summary=f"{report.records_scanned} record(s) and {report.documents_scanned} "
            f"document(s) scanned; {found} plaintext hit(s)",
        )
        return ExitCode.PROBLEM if found else ExitCode.OK

    run(as_json, body)


async def _scan_topics(
    bootstrap: str, needles: list[str], *, report: ScanReport, only: list[str] | None, progress: Any
) -> None:
    partitions = await backbone.bounded(topic_partitions(bootstrap), what="Kafka", seconds=30)
    names = sorted({tp.topic for tp in partitions if not only or tp.topic in only})
    task = progress.add_task("scan Kafka topics", total=len(names))
    for name in names:
        await scan_kafka(bootstrap, needles, report, topics={name})
        progress.advance(task)


async def _scan_databases(
    url: str, needles: list[str], *, report: ScanReport, only: list[str] | None, progress: Any
) -> None:
    names = [n for n in await backbone.database_names(url) if not only or n in only]
    task = progress.add_task("scan MongoDB databases", total=len(names))
    for name in names:
        await scan_mongodb(url, needles, report, databases={name})
        progress.advance(task)


def health(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Each service's /healthz and /readyz, Kafka and MongoDB reachability; exit 1 if unhealthy."""

    def body(out: Output) -> ExitCode:
        settings = settings_of(ctx)
        checks: list[dict[str, Any]] = []
        with Services(settings) as api:
            for name, url in api.urls.items():
                alive, _ = api.probe(name, "/healthz")
                ready, answer = api.probe(name, "/readyz")
                problems = answer.get("problems", []) if isinstance(answer, dict) else []
                if ready is None:
                    problems = [f"no answer ({answer})"]
                checks.append(
                    {
                        "component": name,
                        "target": url,
                        "alive": alive == 200,
                        "ready": ready == 200,
                        "problems": problems,
                    }
                )
        for name, target, problem in (
            (
                "kafka",
                settings.kafka_bootstrap_servers,
                asyncio.run(backbone.kafka_problem(settings.kafka_bootstrap_servers)),
            ),
            (
                "mongodb",
                "(MONGODB_URL)",
                asyncio.run(backbone.mongodb_problem(settings.mongodb_url)),
            ),
        ):
            ok = problem is None
            checks.append(
                {
                    "component": name,
                    "target": target,
                    "alive": ok,
                    "ready": ok,
                    "problems": [] if ok else [f"unreachable ({problem})"],
                }
            )
        healthy = all(c["alive"] and c["ready"] for c in checks)
        rows = [
            [
                c["component"],
                c["target"],
                _mark(c["alive"]),
                _mark(c["ready"]),
                "; ".join(c["problems"]),
            ]
            for c in checks
        ]
        out.result(
            {"healthy": healthy, "checks": checks},
            table=table("health", ("component", "target", "alive", "ready", "problems"), rows),
            summary="healthy" if healthy else "[red]unhealthy[/red]",
        )
        return ExitCode.OK if healthy else ExitCode.PROBLEM

    run(as_json, body)


def _mark(ok: bool) -> str:
    return "yes" if ok else "NO"
