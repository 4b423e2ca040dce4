"""RELIABILITY.md's tables add up every suite's figures per row and say the violations found."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.reliability.report import main, render

GENERATED = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


def line(suite: str, row: str, **figures: object) -> dict[str, object]:
    return {
        "suite": suite,
        "row": row,
        "tried": 1,
        "survived": 1,
        "violations": 0,
        "in_flight": None,
        "detail": "",
        "profile": "full",
        **figures,
    }


def test_a_fault_injected_twice_is_one_row_with_both_windows_in_flight() -> None:
    text = render(
        [
            line("faults", "SIGKILL intake, restarted", in_flight=12, detail="back in 9 s"),
            line("faults", "SIGKILL intake, restarted", in_flight=30, detail="back in 11 s"),
        ],
        generated=GENERATED,
    )
    assert "| SIGKILL intake, restarted | 2 | 2 | 42 | 0 | back in 9 s; back in 11 s |" in text
    assert "**Violations found: 0**" in text
    assert "- Profile: full" in text
    assert "- Date: 2026-11-29 03:00 UTC" in text


def test_runs_of_two_profiles_are_separate_rows_never_one_sum() -> None:
    text = render(
        [
            line("faults", "SIGKILL intake-2, restarted", in_flight=60, detail="back in 8 s"),
            line("faults", "SIGKILL intake-2, restarted", in_flight=30, profile="short"),
            line("faults", "invariant: stored once", tried=400, profile="short"),
        ],
        generated=GENERATED,
    )
    assert "| SIGKILL intake-2, restarted (full profile) | 1 | 1 | 60 | 0 | back in 8 s |" in text
    assert "| SIGKILL intake-2, restarted (short profile) | 1 | 1 | 30 | 0 |  |" in text
    assert "| stored once (short profile) | 400 | 1 | 0 |  |" in text
    assert "- Profile: full, short" in text


def test_a_scale_out_runs_invariants_and_load_go_to_their_own_tables() -> None:
    text = render(
        [
            line("faults", "2 replicas of each service: SIGKILL access-2, restarted", in_flight=9),
            line("faults", "2 replicas of each service: invariant: stored once", tried=480),
            line("faults", "2 replicas of each service: load: web", tried=228, survived=228),
        ],
        generated=GENERATED,
    )
    assert "| 2 replicas of each service: SIGKILL access-2, restarted | 1 | 1 | 9 | 0 |  |" in text
    assert "| 2 replicas of each service: stored once | 480 | 1 | 0 |  |" in text
    assert "| 2 replicas of each service: web | 228 | 228 |  |" in text
    assert "invariant: " not in text and "load: " not in text


def test_every_suite_gets_its_table_and_violations_are_summed() -> None:
    text = render(
        [
            line("faults", "invariant: stored once", tried=500, survived=499, violations=1),
            line("faults", "load: web", tried=300, survived=280),
            line("bad_input", "intake OpenAPI (schemathesis)", tried=1200, survived=1200),
            line("security", "no personal data in logs", tried=40, survived=38, violations=2),
        ],
        generated=GENERATED,
    )
    assert "| stored once | 500 | 499 | 1 |  |" in text
    assert "| web | 300 | 280 |  |" in text
    assert "| intake OpenAPI (schemathesis) | 1200 | 1200 | 0 |  |" in text
    assert "| no personal data in logs | 40 | 38 | 2 |  |" in text
    assert "**Violations found: 3**" in text


def test_a_suite_with_no_rows_says_so_and_pipes_in_details_are_escaped() -> None:
    text = render([line("faults", "cut", detail="a|b")], generated=GENERATED)
    assert "a\\|b" in text
    assert text.count("_No rows recorded in this run._") == 4


def test_the_command_writes_the_markdown_and_keeps_the_json(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    results.write_text(
        '{"suite": "faults", "row": "x", "tried": 1, "survived": 0, "violations": 1}\n'
    )
    markdown, kept = tmp_path / "RELIABILITY.md", tmp_path / "RELIABILITY.jsonl"
    main(["--results", str(results), "--markdown", str(markdown), "--json", str(kept)])
    assert "**Violations found: 1**" in markdown.read_text()
    assert kept.read_text() == results.read_text()


def test_figures_from_several_runs_make_one_report(tmp_path: Path) -> None:
    suite_run, containers = tmp_path / "results.jsonl", tmp_path / "containers.jsonl"
    suite_run.write_text(
        '{"suite": "faults", "row": "x", "tried": 1, "survived": 1, "violations": 0}\n'
    )
    containers.write_text(
        '{"suite": "faults", "row": "containers: restart", "tried": 1, "survived": 0, '
        '"violations": 2}\n'
    )
    markdown, kept = tmp_path / "RELIABILITY.md", tmp_path / "RELIABILITY.jsonl"
    main(
        [
            "--results",
            str(suite_run),
            "--results",
            str(containers),
            "--markdown",
            str(markdown),
            "--json",
            str(kept),
        ]
    )
    assert "containers: restart" in markdown.read_text()
    assert "**Violations found: 2**" in markdown.read_text()
    assert len(kept.read_text().splitlines()) == 2
