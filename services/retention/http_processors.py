"""The processor register over HTTP (P10): list, JSON/CSV export, record, enable, disable."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.retention import oversight
from services.retention.answers import ProcessorIn, ProcessorOut
from services.retention.http import Ctx
from services.retention.processors import Processor, as_csv, as_record
from shared.tokens import Caller

router = APIRouter(tags=["processor register"])


@router.get("/retention/processors", response_model=list[ProcessorOut])
async def register(who: Caller, ctx: Ctx) -> list[ProcessorOut]:
    """The record of processing activities, as JSON."""
    return [_out(p) for p in await oversight.processors(who=who, ctx=ctx)]


@router.get("/retention/processors.csv", response_class=Response)
async def register_csv(who: Caller, ctx: Ctx) -> Response:
    """The record of processing activities, as CSV."""
    return Response(
        as_csv(await oversight.processors(who=who, ctx=ctx)),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="processors.csv"'},
    )


@router.put("/retention/processors/{processor_id}", response_model=ProcessorOut)
async def record_processor(
    processor_id: str, body: ProcessorIn, who: Caller, ctx: Ctx
) -> ProcessorOut:
    """Record or update a processor; an enabled one must still pass the transfer check."""
    processor = Processor(
        processor_id=processor_id,
        name=body.name,
        role=body.role,
        purpose=body.purpose,
        location=body.location.upper(),
        transfer_mechanism=body.transfer_mechanism,
    )
    return _out(await oversight.record_processor(processor, who=who, ctx=ctx))


@router.post("/retention/processors/{processor_id}/enable", response_model=ProcessorOut)
async def enable_processor(processor_id: str, who: Caller, ctx: Ctx) -> ProcessorOut:
    """Enable a processor: refused (409) in a third country without a recorded mechanism."""
    return _out(await oversight.switch_processor(processor_id, enabled=True, who=who, ctx=ctx))


@router.post("/retention/processors/{processor_id}/disable", response_model=ProcessorOut)
async def disable_processor(processor_id: str, who: Caller, ctx: Ctx) -> ProcessorOut:
    """Stop personal data flowing to a processor."""
    return _out(await oversight.switch_processor(processor_id, enabled=False, who=who, ctx=ctx))


def _out(processor: Processor) -> ProcessorOut:
    return ProcessorOut.model_validate(as_record(processor))
