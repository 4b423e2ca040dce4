"""What the store did during a phase, from its own `top` counters: the operations on one run's
databases, per database and per unit of work, and nothing of other databases."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from pymongo import AsyncMongoClient

from bench.store_top import per_unit, store_top
from tests.support.infrastructure import Infrastructure


async def test_the_operations_of_a_runs_databases_are_counted_per_database(
    infrastructure: Infrastructure,
) -> None:
    prefix, other = f"t{uuid4().hex[:8]}_", f"t{uuid4().hex[:8]}_"
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infrastructure.mongodb_url)
    try:
        for name in ("requests", "messages"):  # collections that exist before the phase
            await client[f"{prefix}intake"][name].insert_one({"_id": "warm"})
        before = await store_top(infrastructure.mongodb_url, prefix=prefix)
        for number in range(6):
            await client[f"{prefix}intake"]["requests"].insert_one({"_id": number})
            await client[f"{prefix}intake"]["messages"].find_one({"_id": number})
        for number in range(4):
            await client[f"{prefix}access"]["request_views"].insert_one({"_id": number})
        await client[f"{other}intake"]["requests"].insert_one({"_id": 1})  # not this run's
        after = await store_top(infrastructure.mongodb_url, prefix=prefix)
    finally:
        for database in ("intake", "access"):
            await client.drop_database(f"{prefix}{database}")
        await client.drop_database(f"{other}intake")
        await client.close()

    assert before is not None and after is not None, "the store keeps no top counters"
    assert set(after) == {"intake", "access"}
    per_two = per_unit(before, after, 2)
    assert per_two["store_operations_per_unit"] == {"intake": 6.0, "access": 2.0, "all": 8.0}
    assert per_two["store_ms_per_unit"]["all"] >= 0
    assert per_unit(None, after, 2) == {} and per_unit(before, after, 0) == {}
