"""The session's log scan finds the personal data the tests use, wherever a log line carries it."""

from __future__ import annotations

import logging
from pathlib import Path

from shared.logging import configure_logging
from tests.support.log_capture import LogCapture, collect_personal_data, scan


def test_the_test_sources_yield_names_phones_and_person_domains() -> None:
    personal = collect_personal_data(sorted(Path("tests").rglob("*.py")))

    assert "Ada Lovelace" in personal.values
    assert "+4722334455" in personal.values
    assert "example.org" in personal.person_domains
    assert "support.example" not in personal.person_domains


def test_a_leak_in_a_message_an_extra_or_a_traceback_is_found(tmp_path: Path) -> None:
    capture = LogCapture()
    leaky = logging.getLogger("tests.security.leaky")
    leaky.propagate = False  # the session's own capture must not see these planted leaks
    leaky.setLevel(logging.INFO)
    leaky.addHandler(capture.handler)
    try:
        leaky.info("clean line", extra={"request_id": "r-1"})
        leaky.warning("contact registered", extra={"who": "Ada Lovelace"})
        leaky.info("sent to erika.%s@example.org", "7f3a")
        try:
            raise ValueError("phone +4722334455 invalid")
        except ValueError:
            leaky.exception("failed")
    finally:
        leaky.removeHandler(capture.handler)
        capture.handler.close()
    service_log = tmp_path / "run" / "intake.log"
    service_log.parent.mkdir()
    service_log.write_text('{"message": "ack for bob@example.org"}\n', encoding="utf-8")

    lines, hits, files = scan(captured=capture.path, base=tmp_path)
    capture.path.unlink()
    service_log.unlink()  # a planted leak: the session's own scan must not find it

    assert files == 2
    assert lines >= 5
    assert "Ada Lovelace" in hits
    assert "erika.7f3a@example.org" in hits
    assert any("4722334455" in hit for hit in hits)
    assert "bob@example.org" in hits


def test_the_platforms_own_addresses_and_ids_are_not_personal(tmp_path: Path) -> None:
    captured = tmp_path / "captured.jsonl"
    captured.write_text(
        '{"message": "mail from support@support.example", "request_id": "2026-03-02"}\n',
        encoding="utf-8",
    )

    _lines, hits, _files = scan(captured=captured, base=None)

    assert hits == []


def test_the_smtp_library_cannot_log_addresses_at_the_services_levels() -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    configure_logging(service="intake")
    try:
        smtp_library = logging.getLogger("mail.log")
        assert not smtp_library.isEnabledFor(logging.WARNING)  # "recip: <address>", bad commands
        assert logging.getLogger("services.intake").isEnabledFor(logging.INFO)
    finally:
        root.handlers[:] = handlers  # the session's own capture stays in place
        root.setLevel(level)
