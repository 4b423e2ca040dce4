"""The processor register (P10): who processes personal data for us, where, under what mechanism."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Literal

TransferMechanism = Literal[
    "standard_contractual_clauses", "adequacy_decision", "binding_corporate_rules"
]

EEA = frozenset(
    {
        "EU", "EEA", "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR",
        "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES",
        "SE", "IS", "LI", "NO",
    }
)  # fmt: skip

CSV_FIELDS = (
    "processor_id",
    "name",
    "role",
    "purpose",
    "location",
    "third_country",
    "transfer_mechanism",
    "enabled",
)


class TransferNotAllowedError(ValueError):
    """A processor in a third country without a recorded transfer mechanism."""


@dataclass(frozen=True)
class Processor:
    """One data processor: role, purpose, location and transfer mechanism."""

    processor_id: str
    name: str
    role: str
    purpose: str
    location: str
    transfer_mechanism: TransferMechanism | None = None
    enabled: bool = False

    @property
    def third_country(self) -> bool:
        """Located outside the EU/EEA."""
        return self.location.upper() not in EEA


def enable(processor: Processor) -> Processor:
    """Enable a processor; refused for a third country without a recorded mechanism."""
    if processor.third_country and processor.transfer_mechanism is None:
        raise TransferNotAllowedError(
            f"processor {processor.processor_id} is in a third country "
            "and has no recorded transfer mechanism"
        )
    return replace(processor, enabled=True)


SEED_PROCESSORS = (
    Processor(
        processor_id="freshdesk",
        name="Freshdesk Inc.",
        role="processor",
        purpose="Support portal and request management system",
        location="US",
        transfer_mechanism="standard_contractual_clauses",
        enabled=True,
    ),
    Processor(
        processor_id="wizuda",
        name="iCONX Solutions LTD T/A Wizuda",
        role="processor",
        purpose="Secure file transfer",
        location="EU",
        transfer_mechanism=None,
        enabled=True,
    ),
)


def as_record(processor: Processor) -> dict[str, object]:
    """One row of the record of processing activities."""
    return {**asdict(processor), "third_country": processor.third_country}


def as_csv(processors: Iterable[Processor]) -> str:
    """The register as CSV, one processor a row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for processor in processors:
        record = as_record(processor)
        writer.writerow({name: "" if record[name] is None else record[name] for name in CSV_FIELDS})
    return out.getvalue()
