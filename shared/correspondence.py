"""What a person wrote on someone else's request (a correspondent's message, P11): the rule
for what of it stays when the person is erased, shared by the services that keep copies."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from shared.events.privacy import ErasureScope, KeptGround, KeptRecords
from shared.mongo import Document


def kept_with_another(scope: ErasureScope, request_id: str, request: Document) -> KeptGround | None:
    """Why what a person wrote on someone else's request stays when the person is erased:
    the request is held (retention names every held request, and held persons, in the
    scope), or it is a customer's (P7: the organisation's records); None if it goes.
    `request` is any copy that carries the request's `requester_id` and `organisation_id`."""
    held = request_id in scope.keep_request_ids
    if held or request["requester_id"] in scope.keep_data_subject_ids:
        return "legal_hold"
    return "customer_records" if request.get("organisation_id") else None


def kept_records(records: str, grounds: Iterable[KeptGround | None]) -> tuple[KeptRecords, ...]:
    """Kept records of one kind, counted by ground (what goes, None, is not counted)."""
    counted = Counter(ground for ground in grounds if ground is not None)
    return tuple(
        KeptRecords(records=records, count=count, ground=ground)
        for ground, count in sorted(counted.items())
    )
