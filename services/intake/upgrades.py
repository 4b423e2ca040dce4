"""Data upgrades intake runs at start-up, each once per store (marked done in `upgrades`), each
safe to run again if a start is cut short."""

from __future__ import annotations

import logging

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.intake.mime import minimal_mail
from services.intake.repository import RAW_MAILS
from shared.mongo import Document

log = logging.getLogger(__name__)

UPGRADES = "upgrades"
MAIL_HEADERS_CUT = "raw_mails.headers_cut"
BATCH = 200


async def cut_kept_mail_headers(database: AsyncDatabase[Document]) -> int:
    """Mails kept by a version that kept them whole lose the headers intake no longer takes in
    (`minimal_mail`: recipients, copies, relays); returns how many were rewritten. A mail
    erased meanwhile stays erased (an update names the bytes it read), and `minimal_mail` of a
    cut mail is the mail itself, so a second run changes nothing."""
    upgrades = database[UPGRADES]
    if await upgrades.find_one({"_id": MAIL_HEADERS_CUT}) is not None:
        return 0
    changed = 0
    pending: list[UpdateOne] = []
    async for kept in database[RAW_MAILS].find({"raw": {"$ne": None}}, {"raw": 1}):
        raw = bytes(kept["raw"])
        cut = minimal_mail(raw)
        if cut != raw:
            pending.append(UpdateOne({"_id": kept["_id"], "raw": raw}, {"$set": {"raw": cut}}))
        if len(pending) >= BATCH:
            await database[RAW_MAILS].bulk_write(pending, ordered=False)
            changed, pending = changed + len(pending), []
    if pending:
        await database[RAW_MAILS].bulk_write(pending, ordered=False)
        changed += len(pending)
    await upgrades.replace_one({"_id": MAIL_HEADERS_CUT}, {"_id": MAIL_HEADERS_CUT}, upsert=True)
    return changed


async def upgrade(database: AsyncDatabase[Document]) -> None:
    """Every upgrade intake has, in order; what each changed is logged (counts only)."""
    cut = await cut_kept_mail_headers(database)
    if cut:
        log.info("kept mails cut to the headers intake reads", extra={"count": cut})
