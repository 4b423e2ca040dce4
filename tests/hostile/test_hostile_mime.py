"""Hostile mail at intake's SMTP server: sensible answers (250 or 5xx), no crash, nothing stuck; the
consumer reads every stored mail without a crash, and the next good mail becomes a request."""

from __future__ import annotations

import asyncio
import smtplib
from typing import Any
from uuid import uuid4

from fastapi import FastAPI

from shared import topics
from shared.topics import dead_letter_topic
from tests.hostile.conftest import Started
from tests.hostile.mime_corpus import TO, corpus
from tests.support.apps import eventually
from tests.support.intake import mail, unique_email
from tests.support.kafka import read_topic
from tests.support.reliability import record

MAX_BYTES = 256 * 1024


def _send(port: int, sender: str, raw: bytes) -> tuple[int, str]:
    """One SMTP transaction; the final answer's code and text."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("hostile.example")
        client.mail(sender)
        client.rcpt(TO)
        code, text = client.data(raw)
        return code, text.decode(errors="replace")


def _commands(port: int, sender: str) -> list[tuple[str, int]]:
    """Command-level abuse: injected CRLF, absurd addresses, too many recipients, garbage."""
    answers = []
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("hostile.example")
        answers.append(("garbage command", client.docmd("XYZZY", "plugh")[0]))
        answers.append(("MAIL FROM with operator", client.docmd('MAIL FROM:<{"$ne":null}>')[0]))
        client.rset()
        answers.append(("4 KiB address", client.docmd(f"MAIL FROM:<{'a' * 4096}@example.org>")[0]))
        client.rset()
        client.mail(sender)
        codes = [client.rcpt(f"r{i}@support.example")[0] for i in range(105)]
        answers.append(("105 recipients", 452 if 452 in codes else codes[-1]))
        client.rset()
        answers.append(("DATA before RCPT", client.docmd("DATA")[0]))
    return answers


async def _requests_of(app: FastAPI, sender: str) -> list[Any]:
    database = app.state.runtime.runner.database
    contacts = await database["contacts"].find({"email_normalised": sender.casefold()}).to_list()
    if not contacts:
        return []
    found: list[Any] = (
        await database["requests"].find({"requester_id": contacts[0]["_id"]}).to_list()
    )
    return found


async def test_hostile_mail_gets_sensible_answers_and_the_next_good_mail_gets_through(
    start_service: Started,
) -> None:
    async with start_service("intake", INTAKE_MAX_MESSAGE_BYTES=str(MAX_BYTES)) as (app, _http):
        await eventually(lambda: _listening(app), timeout=30)
        port = app.state.smtp.port
        sender = unique_email("hostile")
        answers: dict[str, tuple[int, str]] = {}
        for what, raw in corpus(sender, oversize_bytes=MAX_BYTES + 1024):
            try:
                answers[what] = await asyncio.to_thread(_send, port, sender, raw)
            except smtplib.SMTPResponseException as refused:
                answers[what] = (refused.smtp_code, str(refused.smtp_error))
        commands = await asyncio.to_thread(_commands, port, sender)

        good = unique_email("after-hostile")
        message = mail(sender=good, subject="Still there?", body="A good mail after the bad ones.")
        code, _text = await asyncio.to_thread(_send, port, good, message.as_bytes())
        requests = await eventually(lambda: _requests_of(app, good), timeout=60)

        mail_ids = {
            text.rsplit(" ", 1)[-1].encode() for code, text in answers.values() if code == 250
        }
        crashed: list[str] = []

        async def all_mail_consumed() -> bool:
            letters = await read_topic(
                app.state.runtime.settings.kafka_bootstrap_servers,
                dead_letter_topic(topics.EMAIL_INTAKE),
            )
            crashed[:] = [
                dict(letter.headers).get("dlq-reason", b"").decode()
                for letter in letters
                if letter.key in mail_ids
            ]
            processed = app.state.runtime.runner.database["processed_events"]
            done = await processed.count_documents({"topic": topics.EMAIL_INTAKE})
            return done + len(crashed) >= len(mail_ids) + 1

        await eventually(all_mail_consumed, timeout=60, interval=0.5)

    # 250 (stored) or a permanent 5xx (line too long, too big); never a 4xx "try later" or a crash
    unexpected = {
        what: answer
        for what, answer in answers.items()
        if not (answer[0] == 250 or 500 <= answer[0] < 600)
        or (what == "oversize") != (answer[0] == 552)
    }
    rejected_commands = {what: c for what, c in commands if not 400 <= c < 600}
    tried = len(answers) + len(commands) + 1
    violations = len(unexpected) + len(rejected_commands) + len(crashed) + (code != 250)
    record(
        "bad_input",
        "hostile mail (SMTP)",
        tried=tried,
        survived=tried - violations,
        violations=violations,
        detail="broken MIME, header injection, encoded words, charsets, loops, oversize, "
        "command abuse; server stayed up and the next good mail became a request",
    )
    assert unexpected == {}
    assert rejected_commands == {}
    assert crashed == [], "stored hostile mail crashed the mail consumer"
    assert code == 250 and len(requests) == 1


async def _listening(app: FastAPI) -> bool:
    return app.state.smtp.port is not None


def test_the_corpus_is_distinct() -> None:
    sender = f"x{uuid4().hex[:6]}@example.org"
    names = [what for what, _raw in corpus(sender, oversize_bytes=2048)]
    assert len(names) == len(set(names)) >= 15
