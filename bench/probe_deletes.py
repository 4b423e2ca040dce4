"""Probe the store's cost of erasure deletes, without the services (bench/before_after.md §7).

    python -m bench.probe_deletes --requests 3000 --probe scope|chunks|concurrency [--gil]

Seeds scenario 5's organisation into fresh databases of a local SecantusDB and times deleting
it: `scope` by organisation where the documents name it against by id everywhere; `chunks`
with 500, 250, 100 and 50 ids per `$in`; `concurrency` each service's databases one after the
other against all at once from one client each. Prints seconds, per collection where useful.
`--gil` also samples the store with py-spy (`--gil`: only threads holding the interpreter
lock) during each timed delete and prints the share of the time any thread held it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import cast

from pymongo import AsyncMongoClient

from bench import purge_seed
from bench.infra import Stack, environment, runtime_of
from bench.s5_purge import _drop, _secrets
from deploy.local.ports import free_port
from deploy.local.store import LocalMongo
from services.surveys.settings import SurveySettings
from shared.mongo import DELETE_CHUNK, Document

Selectors = list[tuple[str, str, Document]]


async def _seeded(client: purge_seed.Client, stack: Stack, requests: int) -> tuple[str, Selectors]:
    prefix = f"p{uuid.uuid4().hex[:6]}_"
    settings = cast(
        SurveySettings, runtime_of("surveys", environment(stack, prefix=prefix)).settings
    )
    await purge_seed.create_indexes(client, prefix=prefix)
    organisation = await purge_seed.seed(
        client, prefix=prefix, requests=requests, settings=settings, secrets=_secrets(settings)
    )
    return prefix, list(purge_seed.selectors(organisation, prefix=prefix))


async def _by_id(client: purge_seed.Client, selectors: Selectors) -> Selectors:
    """The same documents selected by `_id` wherever the selector names the organisation."""
    found = []
    for database, collection, selector in selectors:
        if "organisation_id" in selector:
            ids = [d["_id"] async for d in client[database][collection].find(selector, {"_id": 1})]
            selector = {"_id": {"$in": ids}}
        found.append((database, collection, selector))
    return found


async def _delete(client: purge_seed.Client, selectors: Selectors, chunk: int) -> dict[str, float]:
    seconds = {}
    for database, collection, selector in selectors:
        started = time.perf_counter()
        for part in _chunked(selector, chunk):
            await client[database][collection].delete_many(part)
        seconds[collection] = round(time.perf_counter() - started, 2)
    return seconds


def _chunked(selector: Document, chunk: int) -> list[Document]:
    for name, value in selector.items():
        if isinstance(value, dict) and "$in" in value:
            ids = list(value["$in"])
            return [
                {**selector, name: {"$in": ids[i : i + chunk]}} for i in range(0, len(ids), chunk)
            ]
    return [selector]


SPY_RATE = 200  # samples per second


@contextlib.contextmanager
def _gil_sampled(store_pid: int | None) -> Iterator[list[float]]:
    """Sample the store's lock-holding thread while the block runs; yields a list that then
    holds the seconds any thread held the interpreter lock (empty without a pid)."""
    held: list[float] = []
    beside = Path(sys.executable).with_name("py-spy")  # the virtualenv's, off PATH under make
    spy = str(beside) if beside.exists() else shutil.which("py-spy")
    if store_pid is None or spy is None:
        yield held
        return
    with tempfile.NamedTemporaryFile(suffix=".txt") as out:
        command = [spy, "record", "--gil", "-f", "raw", "-r", str(SPY_RATE)]
        process = subprocess.Popen(
            [*command, "-o", out.name, "-p", str(store_pid)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)  # py-spy attaches
        try:
            yield held
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
        samples = sum(
            int(line.rsplit(" ", 1)[1])
            for line in Path(out.name).read_text().split("\n")
            if line.strip()
        )
        held.append(samples / SPY_RATE)


async def _run(
    label: str,
    *,
    clients: list[purge_seed.Client],
    stack: Stack,
    requests: int,
    chunk: int,
    by_id: bool = False,
    concurrent: bool = False,
    store_pid: int | None = None,
) -> None:
    """Seed the organisation afresh, then time deleting it one way; print the seconds."""
    client = clients[0]
    prefix, seeded = await _seeded(client, stack, requests)
    selectors = await _by_id(client, seeded) if by_id else seeded
    with _gil_sampled(store_pid) as held:
        seconds, detail = await _timed(clients, selectors, chunk=chunk, concurrent=concurrent)
    if held:
        detail += f" interpreter lock held {held[0]:.2f} s ({100 * held[0] / seconds:.0f} %)"
    left = sum([await client[d][c].count_documents(s) for d, c, s in seeded])
    await _drop(client, prefix=prefix)
    if left:
        raise RuntimeError(f"{label}: {left} seeded documents were not deleted")
    print(f"{label}: {seconds:.2f} s {detail}", flush=True)


async def _timed(
    clients: list[purge_seed.Client], selectors: Selectors, *, chunk: int, concurrent: bool
) -> tuple[float, str]:
    """Seconds to delete the selected documents, one database after another or all at once."""
    started = time.perf_counter()
    if concurrent:
        groups: dict[str, Selectors] = {}
        for selector in selectors:
            groups.setdefault(selector[0], []).append(selector)
        await asyncio.gather(
            *(_delete(clients[1 + n], group, chunk) for n, group in enumerate(groups.values()))
        )
        detail = ""
    else:
        detail = str(await _delete(clients[0], selectors, chunk))
    return time.perf_counter() - started, detail


async def probe(
    url: str, stack: Stack, *, requests: int, kind: str, store_pid: int | None = None
) -> None:
    clients: list[purge_seed.Client] = [AsyncMongoClient(url, tz_aware=True) for _ in range(6)]
    run = functools.partial(
        _run, clients=clients, stack=stack, requests=requests, store_pid=store_pid
    )
    try:
        for _ in range(2):
            if kind == "scope":
                await run("by organisation", chunk=250)
                await run("by id", chunk=250, by_id=True)
            elif kind == "chunks":
                for chunk in (500, 250, 100, 50):
                    await run(f"{chunk} ids per $in", chunk=chunk)
            else:
                await run("one database after the other", chunk=DELETE_CHUNK)
                await run("all at once, a client each", chunk=DELETE_CHUNK, concurrent=True)
    finally:
        for client in clients:
            await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.probe_deletes", description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--probe", choices=("scope", "chunks", "concurrency"), default="scope")
    parser.add_argument(
        "--gil", action="store_true", help="sample the store's interpreter lock with py-spy"
    )
    options = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="probe-deletes-"))
    mongo = LocalMongo(base / "data", port=free_port())
    mongo.start()
    try:
        stack = Stack("127.0.0.1:1", mongo.url, "local", base / "logs", smtp_port=25)
        pid = mongo.process.pid if options.gil and mongo.process else None
        asyncio.run(
            probe(mongo.url, stack, requests=options.requests, kind=options.probe, store_pid=pid)
        )
    finally:
        mongo.stop()


if __name__ == "__main__":
    main()
