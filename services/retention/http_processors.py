"""The processor register over HTTP (P10): list, JSON/CSV export, record, enable, disable."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict, Field

from services.retention.http import require_staff
from services.retention.processors import (
    Processor,
    TransferMechanism,
    TransferNotAllowedError,
    as_csv,
    as_record,
    enable,
)
from services.retention.register_store import MongoProcessors
from shared.tokens import Principal


class ProcessorIn(BaseModel):
    """A processor's record; it starts disabled until enabled (and checked)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: str = Field(default="processor", min_length=1, max_length=100)
    purpose: str = Field(min_length=1, max_length=500)
    location: str = Field(min_length=2, max_length=3, pattern=r"^[A-Za-z]{2,3}$")
    transfer_mechanism: TransferMechanism | None = None


def processors_router(*, principal: Any, processors: MongoProcessors) -> APIRouter:
    router = APIRouter(tags=["processor register"])

    async def _get(processor_id: str) -> Processor:
        found = await processors.get(processor_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such processor")
        return found

    @router.get("/retention/processors")
    async def register(who: Principal = principal) -> list[dict[str, object]]:
        """The record of processing activities, as JSON."""
        require_staff(who)
        return [as_record(p) for p in await processors.all()]

    @router.get("/retention/processors.csv")
    async def register_csv(who: Principal = principal) -> Response:
        """The record of processing activities, as CSV."""
        require_staff(who)
        return Response(
            as_csv(await processors.all()),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="processors.csv"'},
        )

    @router.put("/retention/processors/{processor_id}")
    async def record_processor(
        processor_id: str, body: ProcessorIn, who: Principal = principal
    ) -> dict[str, object]:
        """Record or update a processor; an enabled one must still pass the transfer check."""
        require_staff(who)
        existing = await processors.get(processor_id)
        processor = Processor(
            processor_id=processor_id,
            name=body.name,
            role=body.role,
            purpose=body.purpose,
            location=body.location.upper(),
            transfer_mechanism=body.transfer_mechanism,
        )
        if existing is not None and existing.enabled:
            processor = _checked(processor)
        await processors.save(processor)
        return as_record(processor)

    @router.post("/retention/processors/{processor_id}/enable")
    async def enable_processor(processor_id: str, who: Principal = principal) -> dict[str, object]:
        """Enable a processor: refused (409) in a third country without a recorded mechanism."""
        require_staff(who)
        enabled = _checked(await _get(processor_id))
        await processors.save(enabled)
        return as_record(enabled)

    @router.post("/retention/processors/{processor_id}/disable")
    async def disable_processor(processor_id: str, who: Principal = principal) -> dict[str, object]:
        """Stop personal data flowing to a processor."""
        require_staff(who)
        disabled = replace(await _get(processor_id), enabled=False)
        await processors.save(disabled)
        return as_record(disabled)

    return router


def _checked(processor: Processor) -> Processor:
    try:
        return enable(processor)
    except TransferNotAllowedError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
