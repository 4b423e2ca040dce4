"""intake's start-up upgrades on the real store: mails kept whole by an earlier version lose
the headers intake no longer takes in (P2), once, and nothing else changes."""

from __future__ import annotations

from services.intake.mime import parse_mail
from services.intake.upgrades import UPGRADES, cut_kept_mail_headers, upgrade
from shared.mongo import TransactionRunner

WHOLE = (
    b"Received: from laptop.example ([10.1.2.3])\r\n"
    b"From: Ada Example <ada@example.org>\r\n"
    b"To: support@support.example\r\n"
    b"Cc: Carol Copied <carol@example.org>\r\n"
    b"Subject: Printer\r\n"
    b"Message-ID: <m1@example.org>\r\n"
    b"\r\n"
    b"Hello\r\n"
)


async def test_mails_kept_whole_are_cut_once(scratch_runner: TransactionRunner) -> None:
    database = scratch_runner.database
    mails = database["raw_mails"]
    await mails.insert_many(
        [
            {"_id": "whole", "request_id": "r1", "raw": WHOLE},
            {"_id": "facts-only", "request_id": "r2", "raw": None},
        ]
    )
    await upgrade(database)

    cut = bytes((await mails.find_one({"_id": "whole"}))["raw"])
    assert cut == (
        b"From: Ada Example <ada@example.org>\r\nSubject: Printer\r\n"
        b"Message-ID: <m1@example.org>\r\n\r\nHello\r\n"
    )
    assert parse_mail(cut) == parse_mail(WHOLE)
    assert (await mails.find_one({"_id": "facts-only"}))["raw"] is None
    assert await database[UPGRADES].count_documents({}) == 1
    # done once: a mail stored whole afterwards (it cannot be, but if) is not read again
    await mails.insert_one({"_id": "later", "request_id": "r3", "raw": WHOLE})
    assert await cut_kept_mail_headers(database) == 0
    assert bytes((await mails.find_one({"_id": "later"}))["raw"]) == WHOLE
