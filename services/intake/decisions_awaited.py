"""A person's erasure waits in intake for the organisation decisions of their requests (P7).

retention plans a person's erasure from the requests it has read, and lists the customers'
ones to keep. A request filed a moment before the erasure was asked may not have reached
retention yet, nor its organisation decision (access's, on `access.memberships`) reached
intake: erased now, a customer's record would go. So intake, which files every request, does
not take its part while a request of the person's awaits its decision: the erasure is put
aside here, and taken up once every such decision has come (or `DECISION_AWAITED_FOR` has
passed since the request's last activity: it then counts as nobody's). The part then keeps,
besides retention's list, what intake holds as a customer's (`shared.participant`), and names
what it erased for the others to drop. Ids only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from services.intake.repository import REQUESTS
from shared.clock import Clock
from shared.events import CloudEvent
from shared.events.envelope import parse_event
from shared.events.privacy import ErasureRequested, ErasureScope
from shared.holdings import DECISION_AWAITED_FOR, owned_by
from shared.mongo import Document, Transaction, TransactionRunner, is_transient

log = logging.getLogger(__name__)

ERASURES_AWAITING_DECISIONS = "erasures_awaiting_decisions"
LOOKS_EVERY = 1.0
"""Seconds between two looks at the erasures put aside (a few documents at most); one put
aside by this process is looked at again as soon as a decision read here commits."""

ErasureHandler = Callable[[CloudEvent, Transaction], Awaitable[None]]


async def undecided_requests(
    database: AsyncDatabase[Document], scope: ErasureScope, *, now: datetime
) -> list[str]:
    """The person's requests (those retention did not list to keep) whose organisation
    decision intake has not read, lately active."""
    query = {
        **owned_by(scope),
        "organisation_version": 0,
        "last_activity_at": {"$gt": now - DECISION_AWAITED_FOR},
    }
    if scope.keep_request_ids:
        query["_id"] = {"$nin": list(scope.keep_request_ids)}
    return sorted(str(r) for r in await database[REQUESTS].distinct("_id", query))


class ErasuresAwaitingDecisions:
    """`gate(handler)`: the erasure handler, putting a person's erasure aside while a request
    of theirs awaits its decision; `run_once()` takes up those whose decisions have come;
    `run()` does that every `LOOKS_EVERY` seconds, and at once after `decision_read()`."""

    def __init__(
        self, *, runner: TransactionRunner, clock: Clock, wake_relay: Callable[[], None]
    ) -> None:
        self._runner = runner
        self._clock = clock
        self._wake_relay = wake_relay
        self._erase: ErasureHandler | None = None
        self._aside_here = False
        self._wake = asyncio.Event()

    def decision_read(self, tx: Transaction) -> None:
        """A decision is being applied in `tx`: once it commits, an erasure this process put
        aside is looked at again (nothing to do, and no query, when none was)."""
        if self._aside_here:
            tx.after_commit(self._wake.set)

    def gate(self, erase: ErasureHandler) -> ErasureHandler:
        self._erase = erase

        async def on_erasure(event: CloudEvent, tx: Transaction) -> None:
            requested = ErasureRequested.from_event(event)
            if requested.scope.kind == "person":
                now = self._clock.now()
                awaited = await undecided_requests(tx.database, requested.scope, now=now)
                if awaited:
                    await tx.database[ERASURES_AWAITING_DECISIONS].replace_one(
                        {"_id": requested.erasure_id},
                        {"event": event.to_bytes(), "awaited": awaited},
                        upsert=True,
                        session=tx.session,
                    )
                    log.info("erasure awaits organisation decisions", extra={"n": len(awaited)})
                    self._aside_here = True
                    return
            await erase(event, tx)

        return on_erasure

    async def run_once(self) -> int:
        """Take up the erasures whose requests are all decided now; how many."""
        assert self._erase is not None, "gate() wires the erasure handler first"
        aside = self._runner.database[ERASURES_AWAITING_DECISIONS]
        taken = 0
        found_aside = await aside.find({}).limit(100).to_list()
        self._aside_here = self._aside_here and bool(found_aside)
        for found in found_aside:
            event = parse_event(found["event"])
            scope = ErasureRequested.from_event(event).scope
            if await undecided_requests(self._runner.database, scope, now=self._clock.now()):
                continue
            async with self._runner.transaction() as tx:
                await self._erase(event, tx)
                await aside.delete_one({"_id": found["_id"]}, session=tx.session)
            if tx.staged:
                self._wake_relay()
            taken += 1
        return taken

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as error:
                if not is_transient(error):
                    log.exception(
                        "erasures awaiting decisions", extra={"error": type(error).__name__}
                    )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(LOOKS_EVERY):
                    await self._wake.wait()
            self._wake.clear()
