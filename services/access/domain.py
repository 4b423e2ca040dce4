"""Who may read which request (P6): organisations' representatives, grants, read audits."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from shared.events.access import LawfulBasis
from shared.tokens import Principal

Ground = Literal["support_staff", "share_grant", "official_contact", "requester"]
StaffRole = Literal["support_staff", "colleague", "admin"]
BOOTSTRAP_STAFF_ID = "bootstrap-staff"


@dataclass(frozen=True)
class AttachmentView:
    """A file that came with a message: kept ones can be downloaded by whoever may read it."""

    attachment_id: str
    filename: str | None
    media_type: str
    size: int
    kept: bool


@dataclass(frozen=True)
class MessageView:
    """One message of a request; its body is None once erased. `correspondent_id`: the contact
    who wrote it when not the requester (copied in, or replying), for a data-subject request to
    name them (P11)."""

    message_id: str
    author_role: str
    added_at: datetime
    body: str | None
    attachments: tuple[AttachmentView, ...] = ()
    correspondent_id: str | None = None


@dataclass(frozen=True)
class RequestView:
    """One request as readers see it; personal fields are None once erased."""

    request_id: str
    reference: str
    channel: str
    status: str
    lawful_basis: str
    organisation_id: str | None
    requester_id: str
    received_at: datetime
    updated_at: datetime
    requester_name: str | None
    requester_email: str | None
    subject: str | None
    body: str | None
    messages: tuple[MessageView, ...] = ()
    attachments: tuple[AttachmentView, ...] = ()

    def attachment(self, attachment_id: str) -> AttachmentView | None:
        """One of the request's files, on its first message or a later one."""
        every = [*self.attachments, *(a for m in self.messages for a in m.attachments)]
        return next((a for a in every if a.attachment_id == attachment_id), None)


@dataclass(frozen=True)
class OrganisationDecision:
    """access's decision of which customer organisation a request belongs to (P5, P7);
    `version` grows with every decision about the request."""

    request_id: str
    requester_id: str
    organisation_id: str | None
    version: int


def lawful_basis_for(organisation_id: str | None) -> LawfulBasis:
    """P5: contract for a customer organisation's request, else legitimate interest."""
    return "contract" if organisation_id else "legitimate_interest"


@dataclass(frozen=True)
class RequestFilters:
    """List filters: status, channel, organisation, updated since."""

    status: str | None = None
    channel: str | None = None
    organisation_id: str | None = None
    updated_since: datetime | None = None


@dataclass(frozen=True)
class Representative:
    """A contact's standing in one organisation; each fact is the latest statement by CRM time."""

    organisation_id: str
    contact_id: str
    email_normalised: str | None = None
    member: bool | None = None
    member_at: datetime | None = None
    member_since: datetime | None = None
    official: bool | None = None
    official_at: datetime | None = None

    @property
    def is_member(self) -> bool:
        return self.member is True or (self.member is None and self.official is True)

    @property
    def is_official_contact(self) -> bool:
        return self.official is True and self.member is not False


def with_membership(rep: Representative, *, member: bool, at: datetime) -> Representative:
    """Apply a membership statement unless a later one is already known (order-independent).
    `member_since` survives leaving, so membership at a past time can still be told."""
    if rep.member_at is not None and rep.member_at > at:
        if member and (rep.member_since is None or at < rep.member_since):
            return replace(rep, member_since=at)
        return rep
    if not member:
        return replace(rep, member=False, member_at=at)
    still = rep.member is True and rep.member_since is not None and rep.member_since <= at
    return replace(rep, member=True, member_at=at, member_since=rep.member_since if still else at)


def was_member_at(rep: Representative, at: datetime) -> bool:
    """Whether the contact represented the organisation at that time, as far as known."""
    if rep.member_since is None or rep.member_since > at:
        return False
    return rep.member is True or (rep.member_at is not None and rep.member_at > at)


def with_official(rep: Representative, *, official: bool, at: datetime) -> Representative:
    """Apply an official-contact statement unless a later one is already known."""
    if rep.official_at is not None and rep.official_at > at:
        return rep
    return replace(rep, official=official, official_at=at)


@dataclass(frozen=True)
class ShareGrant:
    """Support staff let one colleague read one request until `expires_at` (P6)."""

    grant_id: str
    request_id: str
    colleague_id: str
    reason: str
    granted_by: str
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    organisation_id: str | None = None
    requester_id: str | None = None
    """The shared request's organisation and requester: an erasure of either finds the grant."""

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and self.granted_at <= now < self.expires_at


@dataclass(frozen=True)
class Visibility:
    """What one principal may read, as facts a query can filter on."""

    everything: bool = False
    requester_ids: tuple[str, ...] = ()
    member_organisation_ids: tuple[str, ...] = ()
    official_organisation_ids: tuple[str, ...] = ()
    granted: dict[str, str] = field(default_factory=dict)  # request_id -> grant_id


def reads_everything(principal: Principal) -> bool:
    """Support staff read every request; admins manage, they do not read content."""
    return principal.role == "support_staff"


def administers(principal: Principal) -> bool:
    return principal.role == "admin" or principal.principal_id == BOOTSTRAP_STAFF_ID


def visibility_for(
    principal: Principal,
    *,
    contact_ids: tuple[str, ...],
    representatives: list[Representative],
    grants: list[ShareGrant],
    now: datetime,
) -> Visibility:
    """P6 as facts: staff all; colleagues active grants; requesters own and official-contact orgs."""
    if reads_everything(principal):
        return Visibility(everything=True)
    if principal.role == "colleague":
        return Visibility(
            granted={
                g.request_id: g.grant_id
                for g in grants
                if g.colleague_id == principal.principal_id and g.active(now)
            }
        )
    if principal.role != "requester":
        return Visibility()
    return Visibility(
        requester_ids=contact_ids,
        member_organisation_ids=tuple(
            sorted({r.organisation_id for r in representatives if r.is_member})
        ),
        official_organisation_ids=tuple(
            sorted({r.organisation_id for r in representatives if r.is_official_contact})
        ),
    )


@dataclass(frozen=True)
class ReadGround:
    ground: Ground
    grant_id: str | None = None
    organisation_id: str | None = None


def ground_for(visibility: Visibility, view: RequestView) -> ReadGround | None:
    """On which ground the policy lets this principal read this request, or None."""
    if visibility.everything:
        return ReadGround("support_staff")
    if view.request_id in visibility.granted:
        return ReadGround("share_grant", grant_id=visibility.granted[view.request_id])
    if view.organisation_id in visibility.official_organisation_ids:
        return ReadGround("official_contact", organisation_id=view.organisation_id)
    if view.requester_id in visibility.requester_ids and (
        view.organisation_id is None or view.organisation_id in visibility.member_organisation_ids
    ):
        return ReadGround("requester")
    return None


@dataclass(frozen=True)
class RequestRead:
    """One request a read returned, and the ground it was readable on."""

    request_id: str
    ground: Ground
    grant_id: str | None = None
    organisation_id: str | None = None


@dataclass(frozen=True)
class ReadAudit:
    """One read of request content: who, when, and which requests on which ground each (a
    request's detail, or every request on a listed page); ids only, no personal data."""

    audit_id: str
    reader_id: str
    reader_role: str
    read_at: datetime
    requests: tuple[RequestRead, ...]


def normalise_email(email: str) -> str:
    return email.strip().casefold()
