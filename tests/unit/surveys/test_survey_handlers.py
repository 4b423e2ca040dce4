"""The resolution handler with small in-memory fakes: decide once, cancel on reopening."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from services.surveys.domain import (
    ACTIVE_STATES,
    Invitation,
    Reason,
    RegisteredContact,
    SurveyCandidate,
    SurveyKeys,
    SurveyPolicy,
)
from services.surveys.handlers import follow_status, link_person
from shared.clock import FixedClock
from shared.crypto import SealedPersonalData
from shared.events import CloudEvent
from shared.events.access import AccountContactsLinked
from shared.events.intake import StatusChanged

AT = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
SECRETS = SurveyKeys(hash_key=b"h", link_secret=b"l")
POLICY = SurveyPolicy(1.0, "seed", timedelta(hours=24), timedelta(days=30))


class FakeCandidates:
    def __init__(self) -> None:
        self.status: dict[str, str] = {}

    async def watch(self, candidate: SurveyCandidate) -> None:
        self.status[candidate.request_id] = candidate.status

    async def get(self, request_id: str) -> SurveyCandidate | None:
        return None

    async def set_status(self, request_id: str, status: str) -> None:
        self.status[request_id] = status

    async def was_erased(self, request_id: str) -> bool:
        return False  # nothing erased in these rules


class FakeContacts:
    def __init__(self, *ids: str) -> None:
        self.known = {i: RegisteredContact(i, AT, SECRETS.opt_out_key(f"{i}@x.org")) for i in ids}

    async def register(self, contact: RegisteredContact, *, address: SealedPersonalData) -> None:
        self.known[contact.contact_id] = contact

    async def get(self, contact_id: str) -> RegisteredContact | None:
        return self.known.get(contact_id)

    async def address(self, contact_id: str) -> SealedPersonalData | None:
        return None

    async def touch(self, contact_id: str, *, at: datetime) -> None:
        return None


class FakeSet:
    def __init__(self) -> None:
        self.keys: set[str] = set()

    async def contains(self, key: str, *, hold: bool = False) -> bool:
        return key in self.keys

    async def add(self, key: str, *, at: datetime) -> None:
        self.keys.add(key)


class FakeInvitations:
    def __init__(self) -> None:
        self.by_id: dict[str, Invitation] = {}

    async def get(self, invitation_id: str) -> Invitation | None:
        return self.by_id.get(invitation_id)

    async def record(self, invitation: Invitation) -> None:
        assert invitation.invitation_id not in self.by_id
        self.by_id[invitation.invitation_id] = invitation

    async def due_ats_for(self, requester_ids: Sequence[str]) -> list[datetime]:
        return [
            i.due_at
            for i in self.by_id.values()
            if i.requester_id in requester_ids and i.state in ACTIVE_STATES and i.due_at
        ]

    async def scheduled(
        self, *, request_id: str | None = None, requester_id: str | None = None
    ) -> list[str]:
        return [
            i.invitation_id
            for i in self.by_id.values()
            if i.state == "scheduled"
            and request_id in (None, i.request_id)
            and requester_id in (None, i.requester_id)
        ]

    async def conclude(
        self, invitation_id: str, *, state: str, reason: Reason, at: datetime
    ) -> None:
        old = self.by_id[invitation_id]
        self.by_id[invitation_id] = dataclasses.replace(old, state=state, reason=reason)  # type: ignore[arg-type]


class FakePersons:
    def __init__(self) -> None:
        self.links: list[set[str]] = []

    async def link(self, account_id: str, contact_ids: Sequence[str]) -> None:
        self.links.append(set(contact_ids))

    async def of_person(self, person_id: str) -> tuple[str, ...]:
        found = next((ids for ids in self.links if person_id in ids), set())
        return (person_id, *sorted(found - {person_id}))


class FakeUnitOfWork:
    def __init__(self, *registered: str) -> None:
        self.candidates = FakeCandidates()
        self.contacts = FakeContacts(*registered)
        self.invitations = FakeInvitations()
        self.opt_outs = FakeSet()
        self.erased = FakeSet()
        self.persons = FakePersons()


def _changed(
    request_id: str,
    to_status: str,
    at: datetime,
    from_status: str = "open",
    *,
    requester_id: str = "p-1",
) -> CloudEvent:
    data = StatusChanged.model_validate(
        {
            "request_id": request_id,
            "requester_id": requester_id,
            "channel": "phone",
            "from_status": from_status,
            "to_status": to_status,
            "resolution": "solved" if to_status == "resolved" else None,
            "changed_by_role": "support_staff",
            "changed_at": at,
        }
    )
    return CloudEvent.of(source="/t", type=data.event_type, subject=request_id, time=at, data=data)


async def _follow(uow: FakeUnitOfWork, event: CloudEvent, counted: list[Reason]) -> None:
    await follow_status(
        event, uow=uow, policy=POLICY, secrets=SECRETS, clock=FixedClock(AT), count=counted.append
    )


async def test_one_decision_per_resolution_however_often_it_arrives() -> None:
    uow, counted = FakeUnitOfWork("p-1"), []
    resolved = _changed("r-1", "resolved", AT)
    await _follow(uow, resolved, counted)
    await _follow(uow, resolved, counted)
    [invitation] = uow.invitations.by_id.values()
    assert invitation.due_at == AT + timedelta(hours=24)
    assert counted == ["scheduled"]
    assert uow.candidates.status["r-1"] == "resolved"


async def test_reopening_cancels_the_waiting_invitation_and_counts_it() -> None:
    uow, counted = FakeUnitOfWork("p-1"), []
    await _follow(uow, _changed("r-1", "resolved", AT), counted)
    await _follow(uow, _changed("r-1", "open", AT + timedelta(hours=2), "resolved"), counted)
    [invitation] = uow.invitations.by_id.values()
    assert (invitation.state, invitation.reason) == ("cancelled", "reopened")
    assert counted == ["scheduled", "reopened"]


async def test_an_erased_person_is_recorded_as_erased_not_as_unknown() -> None:
    uow, counted = FakeUnitOfWork(), []
    uow.erased.keys.add(SECRETS.erased_key("p-1"))
    await _follow(uow, _changed("r-1", "resolved", AT), counted)
    assert counted == ["erased"]


async def _linked(uow: FakeUnitOfWork, counted: list[Reason], *contact_ids: str) -> None:
    data = AccountContactsLinked(account_id=contact_ids[0], contact_ids=contact_ids, linked_at=AT)
    event = CloudEvent.of(
        source="/t", type=data.event_type, subject=data.account_id, time=AT, data=data
    )
    await link_person(event, uow=uow, clock=FixedClock(AT), count=counted.append)


async def test_a_persons_two_contacts_are_throttled_as_one_person() -> None:
    """P9: a representative whose address the CRM changed writes in from both addresses."""
    uow, counted = FakeUnitOfWork("p-1", "p-2"), []
    await _linked(uow, counted, "p-1", "p-2")
    await _follow(uow, _changed("r-1", "resolved", AT), counted)
    later = AT + timedelta(days=3)
    await _follow(uow, _changed("r-2", "resolved", later, requester_id="p-2"), counted)
    assert counted == ["scheduled", "cooldown"]


async def test_an_opt_out_under_one_contact_holds_under_the_other_once_linked() -> None:
    uow, counted = FakeUnitOfWork("p-1", "p-2"), []
    uow.opt_outs.keys.add(SECRETS.opt_out_key("p-1@x.org"))
    await _follow(uow, _changed("r-2", "resolved", AT, requester_id="p-2"), counted)
    await _linked(uow, counted, "p-1", "p-2")
    [invitation] = uow.invitations.by_id.values()
    assert (invitation.state, invitation.reason) == ("skipped", "opted_out")
    assert SECRETS.opt_out_key("p-2@x.org") in uow.opt_outs.keys
    assert counted == ["scheduled", "opted_out"]
    await _follow(
        uow, _changed("r-3", "resolved", AT + timedelta(days=90), requester_id="p-2"), counted
    )
    assert counted[-1] == "opted_out"
