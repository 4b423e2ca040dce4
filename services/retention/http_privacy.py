"""Data-subject rights over HTTP (P11): export, rectification, erasure, objection, certificates.

Support staff act on anyone's behalf; a requester (requester JWT) acts on themselves only.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import uuid4

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field, RootModel

from services.retention.dsr import plan_person_erasure
from services.retention.erasure import new_purge
from services.retention.http import STAFF_ROLES, require_staff
from services.retention.legal_holds import HeldItems
from services.retention.purge_store import MongoCertificates, MongoExports, MongoPurges
from services.retention.repository import MongoLegalHolds, MongoRetentionClocks
from shared import topics
from shared.clock import Clock
from shared.crypto import KeyStore, SealedPersonalData, seal, unseal
from shared.events.intake import ContactDetails
from shared.events.privacy import PARTICIPANTS, ExportRequested, RectificationRequested
from shared.events.sources import RETENTION
from shared.mongo import Document, TransactionRunner
from shared.outbox import add_to_outbox
from shared.tokens import Principal


class AnyRecords(RootModel[Any]):
    """A participant's export part, whatever its shape (each service defines its own)."""


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data_subject_id: str = Field(min_length=1, max_length=200)


class ErasureIn(PersonIn):
    right: Literal["erasure", "objection"] = "erasure"


class RectificationIn(PersonIn):
    details: ContactDetails


def _may_act_for(who: Principal, person_id: str) -> None:
    if who.role in STAFF_ROLES or (who.role == "requester" and who.principal_id == person_id):
        return
    raise HTTPException(status.HTTP_403_FORBIDDEN, "not allowed to act for that person")


def _link_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _export_status(export: Document, *, now: datetime, wait: timedelta) -> dict[str, Any]:
    answered = sorted(export.get("contributions", {}))
    missing = [p for p in PARTICIPANTS if p not in answered]
    if export.get("downloaded_at") is not None:
        state = "downloaded"
    elif not missing or now - export["requested_at"] >= wait:
        state = "ready"
    else:
        state = "collecting"
    return {"export_id": export["_id"], "status": state, "answered": answered, "missing": missing}


def privacy_router(
    *,
    principal: Any,
    runner: TransactionRunner,
    keys: KeyStore,
    clock: Clock,
    after_commit: Callable[[], None],
    wake_scheduler: Callable[[], None],
    export_wait: timedelta,
    link_lifetime: timedelta,
    erasure_within: timedelta,
) -> APIRouter:
    router = APIRouter(tags=["data-subject rights"])
    db = runner.database

    @router.post("/privacy/exports", status_code=202)
    async def request_export(body: PersonIn, who: Principal = principal) -> dict[str, Any]:
        """Ask every service for what it holds on the person (access right)."""
        _may_act_for(who, body.data_subject_id)
        now = clock.now()
        requested = ExportRequested(
            export_id=str(uuid4()), data_subject_id=body.data_subject_id, requested_at=now
        )
        async with runner.transaction() as tx:
            await MongoExports(tx.database, tx).add(
                {
                    "export_id": requested.export_id,
                    "data_subject_id": body.data_subject_id,
                    "requested_at": now,
                    "requested_by": who.principal_id,
                    "downloaded_at": None,
                }
            )
            event = RETENTION.event(
                subject=requested.export_id,
                time=now,
                data=requested,
            )
            await add_to_outbox(tx, topic=topics.PRIVACY_DSR, event=event)
        after_commit()
        return {"export_id": requested.export_id, "status": "collecting"}

    async def _export_for(export_id: str, who: Principal) -> Document:
        export = await MongoExports(db).get(export_id)
        if export is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such export")
        _may_act_for(who, export["data_subject_id"])
        return export

    @router.get("/privacy/exports/{export_id}")
    async def export_status(export_id: str, who: Principal = principal) -> dict[str, Any]:
        """Which services have answered; `ready` once all have (or the wait is over)."""
        export = await _export_for(export_id, who)
        return _export_status(export, now=clock.now(), wait=export_wait)

    @router.post("/privacy/exports/{export_id}/link", status_code=201)
    async def export_link(export_id: str, who: Principal = principal) -> dict[str, Any]:
        """A random download link, valid once and until it expires (a new one replaces it)."""
        export = await _export_for(export_id, who)
        state = _export_status(export, now=clock.now(), wait=export_wait)["status"]
        if state == "downloaded":
            raise HTTPException(status.HTTP_410_GONE, "the export was downloaded already")
        if state != "ready":
            raise HTTPException(status.HTTP_409_CONFLICT, "the export is still being collected")
        token = secrets.token_urlsafe(32)
        expires_at = clock.now() + link_lifetime
        await MongoExports(db).issue_link(
            export_id, link_hash=_link_hash(token), expires_at=expires_at
        )
        return {"download_url": f"/privacy/downloads/{token}", "expires_at": expires_at}

    @router.get("/privacy/downloads/{token}")
    async def download(token: str) -> dict[str, Any]:
        """The assembled export, once; the link itself is the credential."""
        exports = MongoExports(db)
        export = await exports.by_link(_link_hash(token))
        now = clock.now()
        if export is None or export["link_expires_at"] <= now:
            raise HTTPException(status.HTTP_410_GONE, "this link is unknown, used or expired")
        if not await exports.downloaded(export["_id"], at=now):
            raise HTTPException(status.HTTP_410_GONE, "this link is unknown, used or expired")
        parts: dict[str, Any] = {}
        for participant, sealed in sorted(export["contributions"].items()):
            opened = await unseal(SealedPersonalData(**sealed), AnyRecords, keys=keys)
            parts[participant] = None if opened is None else opened.root
        return {
            "export_id": export["_id"],
            "data_subject_id": export["data_subject_id"],
            "requested_at": export["requested_at"],
            "generated_at": now,
            "services": parts,
            "missing": [p for p in PARTICIPANTS if p not in parts],
        }

    @router.post("/privacy/rectifications", status_code=202)
    async def rectify(body: RectificationIn, who: Principal = principal) -> dict[str, str]:
        """Publish corrected contact details for every service to apply."""
        _may_act_for(who, body.data_subject_id)
        now = clock.now()
        requested = RectificationRequested(
            rectification_id=str(uuid4()),
            data_subject_id=body.data_subject_id,
            requested_at=now,
            details=await seal(body.details, data_subject_id=body.data_subject_id, keys=keys),
        )
        async with runner.transaction() as tx:
            event = RETENTION.event(
                subject=body.data_subject_id,
                time=now,
                data=requested,
            )
            await add_to_outbox(tx, topic=topics.PRIVACY_DSR, event=event)
        after_commit()
        return {"rectification_id": requested.rectification_id, "status": "published"}

    @router.post("/privacy/erasures")
    async def erase_person(body: ErasureIn, who: Principal = principal) -> Any:
        """Erasure or objection: erase the person everywhere, keeping what must be kept."""
        _may_act_for(who, body.data_subject_id)
        now = clock.now()
        held = HeldItems.of(await MongoLegalHolds(db).unreleased(), now=now)
        clocks = await MongoRetentionClocks(db).of_requester(body.data_subject_id)
        plan = plan_person_erasure(person_id=body.data_subject_id, clocks=clocks, held=held)
        kept = [{"kind": k.kind, "id": k.id, "ground": k.ground} for k in plan.kept]
        if not plan.erase:
            return {"erasure_id": None, "erased": False, "kept": kept}
        purge = new_purge(
            erasure_id=str(uuid4()),
            scope_kind="person",
            scope_id=body.data_subject_id,
            ground="objection" if body.right == "objection" else "data_subject_request",
            requested_at=now,
            within=erasure_within,
            keep_request_ids=plan.keep_request_ids,
            kept_requests=dict(Counter(k.ground for k in plan.kept if k.kind == "request")),
            keep_data_subject_ids=tuple(sorted(held.persons)),
        )
        await MongoPurges(db).add(purge)
        wake_scheduler()
        return {"erasure_id": purge.erasure_id, "erased": True, "kept": kept}

    @router.get("/privacy/erasures/{erasure_id}")
    async def erasure_progress(erasure_id: str, who: Principal = principal) -> dict[str, Any]:
        """Where an erasure stands: its state and which participants completed."""
        purge = await MongoPurges(db).get(erasure_id)
        if purge is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such erasure")
        if purge.scope_kind == "person":
            _may_act_for(who, purge.scope_id)
        else:
            require_staff(who)
        return {
            "erasure_id": erasure_id,
            "state": purge.state,
            "completed": sorted(purge.participants),
            "missing": list(purge.missing_participants),
            "deadline": purge.deadline,
        }

    @router.get("/privacy/certificates/{erasure_id}")
    async def deletion_certificate(erasure_id: str, who: Principal = principal) -> Any:
        """The deletion certificate: scope, ground, times, counts; no personal data."""
        found = await MongoCertificates(db).get(erasure_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no certificate (yet) for that erasure")
        if found["scope"]["kind"] == "person":
            _may_act_for(who, found["scope"]["id"])
        else:
            require_staff(who)
        return found

    return router
