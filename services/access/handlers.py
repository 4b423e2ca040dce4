"""access's handlers: plain async functions of (event or query, dependencies)."""

from __future__ import annotations

from typing import Protocol

from services.access.domain import ReadAudit, Reader, RequestView
from shared.clock import Clock
from shared.crypto import KeyStore, unseal
from shared.events import CloudEvent
from shared.events.intake import RequestContent, RequestReceived


class RequestReadModel(Protocol):
    async def upsert(self, view: RequestView) -> None: ...
    async def get(self, request_id: str) -> RequestView | None: ...
    async def newest(self, *, limit: int) -> list[RequestView]: ...


class AuditLog(Protocol):
    async def record(self, audit: ReadAudit) -> None: ...


async def record_request_received(
    event: CloudEvent, *, read_model: RequestReadModel, keys: KeyStore
) -> None:
    """Add a new request to the read model (its personal fields opened with the requester's key)."""
    received = RequestReceived.from_event(event)
    content = await unseal(received.content, RequestContent, keys=keys)
    await read_model.upsert(
        RequestView(
            request_id=received.request_id,
            reference=received.reference,
            channel=received.channel,
            status=received.status,
            lawful_basis=received.lawful_basis,
            organisation_id=received.organisation_id,
            requester_id=received.requester_id,
            received_at=received.received_at,
            updated_at=event.time,
            requester_name=content.requester.full_name if content else None,
            requester_email=str(content.requester.email) if content else None,
            subject=content.subject if content else None,
            body=content.body if content else None,
        )
    )


async def read_request(
    request_id: str, *, reader: Reader, read_model: RequestReadModel, audit: AuditLog, clock: Clock
) -> RequestView | None:
    """Read one request's content, recording who read it and on which ground."""
    view = await read_model.get(request_id)
    if view is None:
        return None
    await audit.record(
        ReadAudit(
            reader_id=reader.reader_id,
            request_id=request_id,
            ground=reader.ground,
            read_at=clock.now(),
        )
    )
    return view


async def list_requests(
    *, reader: Reader, read_model: RequestReadModel, audit: AuditLog, clock: Clock, limit: int
) -> list[RequestView]:
    """List requests newest first; each listed request's content read is audited."""
    views = await read_model.newest(limit=limit)
    for view in views:
        await audit.record(
            ReadAudit(
                reader_id=reader.reader_id,
                request_id=view.request_id,
                ground=reader.ground,
                read_at=clock.now(),
            )
        )
    return views
