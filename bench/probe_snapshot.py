"""Probe what an open transaction costs the queries after a large delete (bench/before_after.md
§14), on a local store of the default server, without the services.

    python -m bench.probe_snapshot [--documents 20000]

Seeds `--documents` request copies of 1,000 requesters under an index on `requester_id`,
then asks which of 250 requesters have a copy (`distinct` and `find` with a 250-id `$in`, and
50 single-id counts): before the delete, after deleting them all while another session's
transaction is open, and after that transaction ends. Prints seconds per query."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from deploy.local.ports import free_port
from deploy.local.store import LocalMongo
from shared.mongo import Document


async def _queries(copies: AsyncCollection[Document], ids: list[str], label: str) -> None:
    timings = []
    started = time.perf_counter()
    await copies.distinct("requester_id", {"requester_id": {"$in": ids}})
    timings.append(("distinct $in 250", time.perf_counter() - started))
    started = time.perf_counter()
    await copies.find({"requester_id": {"$in": ids}}, {"requester_id": 1}).to_list()
    timings.append(("find $in 250", time.perf_counter() - started))
    started = time.perf_counter()
    for one in ids[:50]:
        await copies.count_documents({"requester_id": one}, limit=1)
    timings.append(("50 single counts", time.perf_counter() - started))
    print(f"{label}: " + ", ".join(f"{name} {seconds:.3f} s" for name, seconds in timings))


async def probe(url: str, *, documents: int) -> None:
    client: AsyncMongoClient[Document] = AsyncMongoClient(url, tz_aware=True)
    copies = client["probe_snapshot"]["request_copies"]
    await copies.create_index("requester_id")
    people = [str(uuid.uuid4()) for _ in range(1000)]
    await copies.insert_many(
        [
            {"requester_id": people[n % len(people)], "organisation_id": "org"}
            for n in range(documents)
        ]
    )
    ids = people[:250]
    await _queries(copies, ids, "before the delete")
    async with client.start_session() as session:
        await session.start_transaction()
        await client["probe_snapshot"]["other"].find_one({}, session=session)  # its snapshot
        deleted = (await copies.delete_many({"organisation_id": "org"})).deleted_count
        print(f"deleted {deleted} outside the open transaction")
        await _queries(copies, ids, "a transaction open")
        await session.abort_transaction()
    await asyncio.sleep(2)
    await _queries(copies, ids, "2 s after it ended")
    await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.probe_snapshot", description=__doc__)
    parser.add_argument("--documents", type=int, default=20000)
    options = parser.parse_args()
    mongo = LocalMongo(Path(tempfile.mkdtemp(prefix="probe-snapshot-")) / "data", port=free_port())
    mongo.start()
    try:
        asyncio.run(probe(mongo.url, documents=options.documents))
    finally:
        mongo.stop()


if __name__ == "__main__":
    main()
