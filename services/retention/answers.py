"""What retention's HTTP API takes and answers, as models: the OpenAPI document says what each
answer holds (ids, times and counts; personal data only in a person's own export)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from services.retention.processors import TransferMechanism
from shared.clock import StoredTime
from shared.events.intake import ContactDetails
from shared.events.legal import HoldReason, LegalHoldScope
from shared.events.privacy import KeptRecords


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data_subject_id: str = Field(min_length=1, max_length=200)


class ErasureIn(PersonIn):
    right: Literal["erasure", "objection"] = "erasure"


class RectificationIn(PersonIn):
    details: ContactDetails


class HoldIn(BaseModel):
    """A legal hold to place: scope, reason, case reference, optional expiry."""

    model_config = ConfigDict(extra="forbid")

    scope: LegalHoldScope
    reason: HoldReason
    case_reference: str = Field(min_length=1, max_length=200)
    expires_at: StoredTime | None = None


class ProcessorIn(BaseModel):
    """A processor's record; it starts disabled until enabled (and checked)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: str = Field(default="processor", min_length=1, max_length=100)
    purpose: str = Field(min_length=1, max_length=500)
    location: str = Field(min_length=2, max_length=3, pattern=r"^[A-Za-z]{2,3}$")
    transfer_mechanism: TransferMechanism | None = None


class RetentionClockOut(BaseModel):
    request_id: str
    rule: str
    organisation_id: str | None
    last_activity_at: datetime
    purge_due_at: datetime | None
    erasure_asked_at: datetime | None = Field(
        None,
        description="The requester asked for erasure while a legal hold kept this request: "
        "due since then, erased as soon as the hold goes.",
    )


class OrganisationClockOut(BaseModel):
    organisation_id: str
    contract_state: str
    termination_date: datetime | None
    terminated_at: datetime | None
    reinstated_at: datetime | None
    purge_due_at: datetime | None
    purge_id: str | None
    purging: bool = Field(description="Its purge has started and is not certified yet.")
    purge_state: str | None = Field(
        None, description="Where its purge stands (`certified`: done); None before one starts."
    )


class HoldOut(BaseModel):
    hold_id: str
    scope_kind: str
    scope_id: str
    reason: str
    case_reference: str
    placed_by: str
    placed_at: datetime
    expires_at: datetime | None
    released_at: datetime | None
    released_by: str | None
    active: bool


class ExportAccepted(BaseModel):
    export_id: str
    status: Literal["collecting"]


class ExportStatusOut(BaseModel):
    export_id: str
    status: Literal["collecting", "ready", "downloaded"]
    answered: list[str]
    missing: list[str]


class ExportLinkOut(BaseModel):
    download_url: str
    expires_at: datetime


class ServiceRecords(RootModel[Any]):
    """One service's part of an export: its own shape (each service defines what it holds)."""


class OtherIdExport(BaseModel):
    """What the services hold under another of the person's data-subject ids."""

    data_subject_id: str
    services: dict[str, ServiceRecords | None]
    missing: list[str]


class ExportOut(BaseModel):
    """Everything the services hold on the person, by service; `missing`: who did not answer;
    `other_data_subject_ids`: the same under each other id their account links."""

    export_id: str
    data_subject_id: str
    requested_at: datetime
    generated_at: datetime
    services: dict[str, ServiceRecords | None]
    missing: list[str]
    other_data_subject_ids: list[OtherIdExport] = []


class RectificationAccepted(BaseModel):
    rectification_id: str
    status: Literal["published"]


class KeptOut(BaseModel):
    kind: Literal["person", "request"]
    id: str
    ground: str


class ErasureOut(BaseModel):
    """`erased` is false (and no id) when the person is under a legal hold, or when a request
    of theirs is still `awaiting_organisation_decision` (just filed: whether a customer keeps it,
    P7, is not known yet): the erasure then starts by itself once no hold covers them and every
    such decision has come."""

    erasure_id: str | None
    erased: bool
    kept: list[KeptOut]
    awaiting_organisation_decision: list[str] = Field(
        default_factory=list, description="Request ids (no personal data)."
    )


class ErasureProgressOut(BaseModel):
    erasure_id: str
    state: str
    completed: list[str]
    missing: list[str]
    deadline: datetime


class ScopeOut(BaseModel):
    kind: str
    id: str


class ParticipantOut(BaseModel):
    completed_at: datetime
    counts: dict[str, int]
    remaining: dict[str, int]
    kept: list[KeptRecords]


class CertificateOut(BaseModel):
    """A deletion certificate: what each participant deleted and found left (nothing), what
    was kept and why; counts only."""

    erasure_id: str
    scope: ScopeOut
    kept_request_count: int
    kept: list[KeptRecords]
    ground: str
    requested_at: datetime
    deadline: datetime
    participants: dict[str, ParticipantOut]
    remaining_total: int
    keys_shredded: int
    certified_at: datetime


class NextDueOut(BaseModel):
    kind: Literal["request", "organisation"]
    id: str
    purge_due_at: datetime
    held: bool


class LateErasureOut(BaseModel):
    erasure_id: str
    scope: ScopeOut
    requested_at: datetime
    missing: list[str]
    left: dict[str, dict[str, int]]
    times_asked: int


class RetentionStatusOut(BaseModel):
    as_of: datetime
    due_next_30_days: int
    overdue: int
    held_back: int
    erasures_held_back: int = Field(
        0, description="Persons' erasures waiting for a legal hold on them to go (ids: none)."
    )
    purges_running: int
    purges_past_deadline: int
    erasures_participants_late: int
    legal_holds_active: int
    next_due: list[NextDueOut]
    late_erasures: list[LateErasureOut]


class ProcessorOut(BaseModel):
    processor_id: str
    name: str
    role: str
    purpose: str
    location: str
    transfer_mechanism: TransferMechanism | None
    enabled: bool
    third_country: bool
