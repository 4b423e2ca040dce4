"""Batch preparers (`ServiceRuntime.consume(prepare=...)`) the services share: what a batch of
intake's events is checked against, read ahead for the whole batch."""

from __future__ import annotations

from shared.erasure_progress import ERASED_REQUESTS, hold_all
from shared.events import CloudEvent
from shared.events.intake import RequestReceived
from shared.mongo import Transaction


def new_requests(events: list[CloudEvent]) -> list[RequestReceived]:
    return [RequestReceived.from_event(e) for e in events if e.type == RequestReceived.event_type]


async def hold_erasure_checks(events: list[CloudEvent], tx: Transaction) -> None:
    """The erasure check of every new request in the batch (`erasure_progress.was_erased`),
    stamped in one write and read back in one query, held until the batch commits."""
    await hold_all(tx, ERASED_REQUESTS, [received.request_id for received in new_requests(events)])
