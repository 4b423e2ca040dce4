"""`make bench` at tiny sizes: the harness runs against the session's infrastructure and writes a
report with one row per figure (what is asserted is structure and counts, never timings)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import httpx
import pytest

from bench import (
    probe_deletes,
    report,
    s1_intake_pipeline,
    s2_web_load,
    s4_access_reads,
    s5_purge,
    s6_erasure,
    s7_expiry,
)
from bench.infra import Stack
from tests.support.infrastructure import Infrastructure
from tests.support.smtp import SmtpSink


@pytest.fixture
def stack(infrastructure: Infrastructure, mail_sink: SmtpSink, tmp_path: Path) -> Stack:
    """The bench's stack on the test session's Kafka, store and mail sink."""
    return Stack(
        infrastructure.kafka_bootstrap,
        infrastructure.mongodb_url,
        "test",
        tmp_path / "logs",
        {"python": "3"},
        smtp_port=mail_sink.port,
    )


async def test_bench_harness_measures_and_writes_the_report(stack: Stack, tmp_path: Path) -> None:
    pipeline = await s1_intake_pipeline.run(stack, events=20, timeout=120, workers=2)
    reads = await s4_access_reads.run(stack, requests=300, reads=3, workers=1)

    [intake, floor] = pipeline
    assert intake.detail["requests"] == 20 and intake.detail["published"] == 20
    assert intake.ours > 0 and intake.baseline is not None and intake.baseline > 0
    stored = intake.detail["documents"]
    assert stored["intake.requests"] == 20 and stored["keystore.data_keys"] > 0
    assert floor.ours == intake.ours and floor.baseline is not None and floor.baseline > 0
    # three roles x list/detail x p50/p99, against the raw query and against the bare endpoint
    assert len(reads) == 24
    assert {f.scenario for f in reads} == {"4 access reads"}
    against_raw, against_bare = reads[:12], reads[12:]
    assert not any("bare FastAPI endpoint" in f.metric for f in against_raw)
    assert all(
        "(baseline: raw query behind a bare FastAPI endpoint)" in f.metric for f in against_bare
    )
    assert [f.ours for f in against_raw] == [f.ours for f in against_bare]
    assert reads[0].detail["official_contact_requests"] > 0
    assert all(f.ratio is not None for f in reads)

    markdown, data = tmp_path / "BENCHMARKS.md", tmp_path / "benchmarks.json"
    run = {
        "date": "today",
        "machine": {"cores": 2, "memory_gib": 1, "platform": "x", "load_average_1m": 0},
        "versions": stack.versions,
        "origin": stack.origin,
        "sizes": {"events": 20},
        "wall_seconds": 1.0,
    }
    report.write(figures=[*pipeline, *reads], run=run, markdown=markdown, data=data)
    written = json.loads(data.read_text())
    assert len(written["figures"]) == 26
    assert written["figures"][0]["ratio"] == intake.ratio
    table = [line for line in markdown.read_text().splitlines() if line.startswith("| 4 access")]
    assert len(table) == 24
    again = tmp_path / "again.md"
    report.rerender(data=data, markdown=again)  # the markdown again from the JSON alone
    assert again.read_text() == markdown.read_text()


async def test_web_submissions_say_what_one_costs_the_machine(stack: Stack) -> None:
    figures = await s2_web_load.run(
        stack, clients=2, seconds=2, rate=5, workers=1, probe_every=2, patience=60
    )
    [accepted] = [f for f in figures if f.metric.startswith("accepted requests/s")]
    assert accepted.detail["accepted"] > 0 and accepted.detail["failures"] == 0
    cost = accepted.detail["cpu_ms_per_submission"]
    assert {"intake", "access", "retention", "surveys", "bench clients", "all"} <= set(cost)
    assert cost["intake"] > 0 and all(ms >= 0 for ms in cost.values())
    parts = sum(ms for name, ms in cost.items() if name != "all")
    assert abs(cost["all"] - parts) < 0.05 * len(cost)  # each part is rounded on its own
    bare = accepted.detail["baseline_cpu_ms_per_submission"]
    assert bare["bare endpoint"] > 0 and "intake" not in bare
    [e2e] = [f for f in figures if f.scenario.startswith("3") and f.metric.endswith("p50")]
    assert e2e.detail["readable"] == 5 and e2e.detail["not_readable_in_time"] == 0


async def test_organisation_purge_removes_every_seeded_document(stack: Stack) -> None:
    [purge] = await s5_purge.run(stack, requests=45, timeout=120, workers=1)

    assert purge.detail["certified"] is True
    assert purge.detail["remaining_after_purge"] == 0
    assert purge.detail["remaining_after_baseline"] == 0
    assert purge.detail["keys_shredded"] == 3  # 45 requests, 20 a representative
    participants = purge.detail["participants"]
    assert set(participants) == {"intake", "access", "retention", "surveys"}
    assert participants["intake"]["requests"] == 45
    assert participants["access"]["request_views"] == 45
    assert participants["retention"]["retention_clocks"] == 45
    assert participants["surveys"]["invitations"] == 45
    assert purge.ours > 0 and purge.baseline is not None and purge.ratio is not None


@pytest.mark.parametrize(("kind", "lines"), [("scope", 4), ("chunks", 8), ("concurrency", 4)])
async def test_the_delete_probe_deletes_every_seeded_document_and_reports_each_way(
    stack: Stack, kind: str, lines: int, capsys: pytest.CaptureFixture[str]
) -> None:
    await probe_deletes.probe(
        stack.mongodb_url, stack, requests=12, kind=kind
    )  # raises if any left
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == lines
    assert all(": " in line and " s" in line for line in printed)


def test_the_probes_lock_sampling_sees_a_busy_interpreter() -> None:
    """`--gil` reports how long the store held the interpreter lock: sampling a process that
    computes without pause finds it held most of the time, and nothing without a pid."""
    with probe_deletes._gil_sampled(None) as nothing:
        pass
    assert nothing == []
    with probe_deletes._gil_sampled(os.getpid()) as held:
        busy_until = time.monotonic() + 2.0
        while time.monotonic() < busy_until:
            sum(range(1000))
    [seconds] = held
    assert seconds > 1.0 and seconds <= 2.5  # held most of the 2 s busy loop


def test_a_failed_scenario_is_named_in_the_report() -> None:
    run = {
        "date": "today",
        "machine": {"cores": 2, "memory_gib": 1, "platform": "x", "load_average_1m": 0},
        "versions": {"python": "3"},
        "origin": "test",
        "sizes": {"events": 20},
        "wall_seconds": 1.0,
    }
    assert "Failed scenarios" not in report.render(figures=[], run={**run, "failed": []})
    rendered = report.render(figures=[], run={**run, "failed": ["6: ReadError"]})
    assert "- **Failed scenarios** (no figures below): 6: ReadError" in rendered


async def test_the_erasure_poll_asks_again_after_a_dropped_connection() -> None:
    answers = iter([httpx.ReadError("closed"), httpx.Response(404), httpx.Response(200)])

    def answer(request: httpx.Request) -> httpx.Response:
        found = next(answers)
        if isinstance(found, Exception):
            raise found
        return found

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        response = await s6_erasure._poll(client, "http://access/requests/1", timeout=10)
    assert response is not None and response.status_code == 200


async def test_the_expiry_scenario_reads_before_and_while_documents_are_due(stack: Stack) -> None:
    """Tiny and short: the store's monitor (once a minute) need not pass; the full-size run
    says whether it did (left_over_time, left_at_end)."""
    [figure] = await s7_expiry.run(stack, documents=300, timeout=60, window=0.5)
    assert figure.scenario == "7 expiry under TTL" and figure.unit == "ms"
    assert figure.ours > 0 and figure.baseline is not None and figure.baseline > 0
    assert figure.detail["reads_before"] > 0 and figure.detail["reads_while_expiring"] > 0
    assert 0 <= figure.detail["left_at_end"] <= 300
