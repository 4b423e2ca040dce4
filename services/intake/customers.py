"""Which customer organisation a request belongs to (P5, P7), as access decides it from the CRM.

intake owns requests but not organisation membership: access decides, when a request arrives
and whenever a representative's membership becomes known or ends, and publishes the decision on
`access.memberships`. intake applies it to the request and to every copy it keeps of the
request's parts (so an organisation's purge finds them), retags the requester's contact, and
announces the change on `support.requests`, in order with the request's other events, for
retention and surveys to follow.
"""

from __future__ import annotations

from services.intake import events
from services.intake.domain import with_organisation
from services.intake.ports import IntakeUnitOfWork
from shared.events.access import RequestOrganisationDecided


async def apply_organisation_decision(
    decided: RequestOrganisationDecided, *, uow: IntakeUnitOfWork, noted: bool = False
) -> bool:
    """Apply access's decision unless a newer one was applied or the request is gone (erased);
    whether anything changed. The decision on receipt that the request is nobody's changes
    nothing (intake files every request as nobody's) but that it is decided."""
    if decided.version == 1 and decided.organisation_id is None:
        if not noted:  # a batch's are noted together, ahead (`consumers.note_nobodys`)
            await uow.requests.decided(decided.request_id)  # a person's erasure waits for it
        return False
    request = await uow.requests.get(decided.request_id)
    if request is None:
        return False
    updated = with_organisation(
        request, organisation_id=decided.organisation_id, version=decided.version
    )
    if updated is None:
        return False
    await uow.requests.save(updated)
    await uow.copies.tag_organisation(updated.request_id, updated.organisation_id)
    await uow.contacts.retag(updated.requester_id)
    await uow.publish(*events.organisation_changed(updated, at=decided.decided_at))
    return True
