"""The erasure and export protocol (P11) on `privacy.erasure` and `privacy.dsr`.

retention publishes a request; every participant (intake, access, surveys, retention itself)
does its part and publishes a completion with counts. No personal data travels in clear:
exports are sealed with the data subject's key.

A completion says what the participant deleted, what it found left in scope afterwards (counted
from its own store, not copied from what it meant to delete), and what it kept on which
ground. retention certifies an erasure only when every participant reports nothing left.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shared import topics
from shared.crypto import SealedPersonalData
from shared.events.base import EventData

Participant = Literal["intake", "access", "retention", "surveys"]
PARTICIPANTS: tuple[Participant, ...] = ("intake", "access", "retention", "surveys")
ErasureGround = Literal[
    "customer_retention_expired",  # P7: contract terminated + 365 days
    "inactivity",  # P8: 365 days without activity
    "data_subject_request",  # P11: erasure asked for
    "objection",  # P11: objection to legitimate-interest processing
]


class ErasureScope(BaseModel):
    """What to erase: every record of an organisation, of a person, or of one request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["organisation", "person", "request"]
    id: str = Field(min_length=1)
    keep_request_ids: tuple[str, ...] = Field(
        default=(), description="Requests to keep (legal hold, customer records rule, P7)."
    )
    keep_data_subject_ids: tuple[str, ...] = Field(
        default=(), description="Persons whose own data is kept whatever the scope (legal hold)."
    )
    data_subject_ids: tuple[str, ...] = Field(
        default=(),
        description=(
            "Persons whose last request the scope is, as retention knows (the requester of an "
            "idle request): every participant releases them, also one whose copy of the "
            "request has not arrived yet. For a person's scope: their other data-subject ids "
            "(the contacts one account links), whose records are erased with theirs."
        ),
    )


class ErasureRequested(EventData):
    event_type = "privacy.erasure.requested.v1"
    topic = topics.PRIVACY_ERASURE

    erasure_id: str = Field(min_length=1)
    scope: ErasureScope
    ground: ErasureGround
    requested_at: AwareDatetime
    deadline: AwareDatetime


KeptGround = Literal[
    "legal_hold",  # a hold on the request, its person or its organisation
    "customer_records",  # P7: an organisation's requests stay with it while the contract runs
    "customer_membership",  # the person represents another customer organisation
    "other_requests",  # the person has requests outside the scope (P8: not their last one)
]


class KeptRecords(BaseModel):
    """Records an erasure left in place on purpose: how many of which kind, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    records: str = Field(min_length=1, description="The kind of record, e.g. `contacts`.")
    count: int = Field(ge=1)
    ground: KeptGround


class ErasureCompleted(EventData):
    event_type = "privacy.erasure.completed.v1"
    topic = topics.PRIVACY_ERASURE

    erasure_id: str = Field(min_length=1)
    participant: Participant
    completed_at: AwareDatetime
    counts: dict[str, int] = Field(description="Records deleted, by kind; never personal data.")
    data_subject_ids: tuple[str, ...] = Field(
        default=(), description="Data subjects whose records this participant erased."
    )
    remaining: dict[str, int] | None = Field(
        default=None,
        description=(
            "Records still in scope after the deletes, by kind, counted from the participant's "
            "store (kept records excluded). None: not counted, which is never a completion."
        ),
    )
    kept: tuple[KeptRecords, ...] = Field(default=(), description="What was kept, and why.")
    kept_data_subject_ids: tuple[str, ...] = Field(
        default=(), description="Persons whose data this participant kept (keys not shredded)."
    )

    @property
    def nothing_left(self) -> bool:
        """Whether the participant counted and found nothing left in scope."""
        return self.remaining is not None and not any(self.remaining.values())


REQUESTS_ERASED_PER_EVENT = 1_000
"""Request ids one `RequestsErased` names (36 characters each: far under a record's 1 MiB)."""


class RequestsErased(EventData):
    """The requests one participant (intake, which files them) erased with a person (P11). A
    service that reads a request's announcement only after its own part of the erasure cannot
    have deleted its copy then; on this it drops whatever it made of them, and remembers them as
    erased, whichever of the two it reads first (each topic is consumed at its own pace)."""

    event_type = "privacy.requests.erased.v1"
    topic = topics.PRIVACY_ERASURE

    erasure_id: str = Field(min_length=1)
    participant: Participant
    erased_at: AwareDatetime
    request_ids: tuple[str, ...] = Field(min_length=1, max_length=REQUESTS_ERASED_PER_EVENT)


class ExportRequested(EventData):
    event_type = "privacy.export.requested.v1"
    topic = topics.PRIVACY_DSR

    export_id: str = Field(min_length=1)
    data_subject_id: str = Field(min_length=1)
    requested_at: AwareDatetime


class ExportContributed(EventData):
    """One participant's part of a person's export, sealed with the person's key. A part too
    large for one event (files given with the requests) comes as `parts` events, each sealing
    an `ExportSlice` of the part's JSON text, in order: `part` 0 to `parts` - 1."""

    event_type = "privacy.export.contributed.v1"
    topic = topics.PRIVACY_DSR

    export_id: str = Field(min_length=1)
    participant: Participant
    contributed_at: AwareDatetime
    records: SealedPersonalData
    part: int = Field(default=0, ge=0, description="Which slice this is (with `parts` > 1).")
    parts: int = Field(default=1, ge=1, le=100_000, description="How many slices there are.")

    @model_validator(mode="after")
    def _part_of_parts(self) -> ExportContributed:
        if self.part >= self.parts:
            raise ValueError("part must be below parts")
        return self


class ExportSlice(BaseModel):
    """One slice of the JSON text of a participant's export part (see ExportContributed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str


class RectificationRequested(EventData):
    """P11 rectification: a person's contact details, corrected; every holder applies them.

    `details` is a sealed `shared.events.intake.ContactDetails` (the person's key). Services
    that keep contact details replace theirs; a shredded key means the person is erased.
    """

    event_type = "privacy.rectification.requested.v1"
    topic = topics.PRIVACY_DSR

    rectification_id: str = Field(min_length=1)
    data_subject_id: str = Field(min_length=1)
    requested_at: AwareDatetime
    details: SealedPersonalData
