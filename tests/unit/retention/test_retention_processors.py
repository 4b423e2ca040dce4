"""The processor register (P10): third-country transfers need a recorded mechanism."""

from __future__ import annotations

import csv
import io

import pytest

from services.retention.processors import (
    SEED_PROCESSORS,
    Processor,
    TransferNotAllowedError,
    as_csv,
    enable,
)


def test_the_policy_processors_are_seeded_with_location_and_mechanism() -> None:
    by_id = {p.processor_id: p for p in SEED_PROCESSORS}
    assert by_id["freshdesk"].name == "Freshdesk Inc."
    assert by_id["freshdesk"].third_country
    assert by_id["freshdesk"].transfer_mechanism == "standard_contractual_clauses"
    assert not by_id["wizuda"].third_country


def test_a_third_country_processor_without_a_mechanism_cannot_be_enabled() -> None:
    processor = Processor(processor_id="x", name="X", role="processor", purpose="p", location="US")
    with pytest.raises(TransferNotAllowedError, match="third country"):
        enable(processor)


def test_a_third_country_processor_with_scc_or_an_eea_one_can_be_enabled() -> None:
    us = Processor(
        processor_id="x",
        name="X",
        role="processor",
        purpose="p",
        location="US",
        transfer_mechanism="standard_contractual_clauses",
    )
    assert enable(us).enabled
    assert enable(
        Processor(processor_id="y", name="Y", role="r", purpose="p", location="NO")
    ).enabled


def test_the_csv_export_has_one_row_per_processor() -> None:
    rows = list(csv.DictReader(io.StringIO(as_csv(SEED_PROCESSORS))))
    assert [r["name"] for r in rows] == ["Freshdesk Inc.", "iCONX Solutions LTD T/A Wizuda"]
    assert rows[0]["third_country"] == "True"
    assert rows[1]["transfer_mechanism"] == ""
