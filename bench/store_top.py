"""What the store did during a phase, by service: the store's own counters per collection (the
`top` command: operations on each collection and the time spent in them), read before and
after, so counting costs the services nothing. Commands that name no collection (a
transaction's commit, `hello`) are not in them."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

Counts = dict[str, tuple[int, int]]
"""Per database: (operations, microseconds)."""


async def store_top(mongodb_url: str, *, prefix: str) -> Counts | None:
    """The `top` counters of the databases named `prefix` + something, summed per database
    (without the prefix); None where the store does not keep them."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url)
    try:
        totals = (await client.admin.command("top"))["totals"]
    except (PyMongoError, KeyError):
        return None
    finally:
        await client.close()
    counts: Counts = {}
    for namespace, usage in totals.items():
        database, _, _collection = namespace.partition(".")
        if not database.startswith(prefix) or not isinstance(usage, dict):
            continue
        name = database.removeprefix(prefix)
        operations, micros = counts.get(name, (0, 0))
        total = usage.get("total", {})
        counts[name] = (operations + int(total.get("count", 0)), micros + int(total.get("time", 0)))
    return counts


def per_unit(
    before: Counts | None, after: Counts | None, units: int, *, unit: str = "unit"
) -> dict[str, Any]:
    """Operations and store milliseconds per `unit` of work (an erasure, say), by database and
    in all; empty when the store keeps no counters."""
    if before is None or after is None or units <= 0:
        return {}
    operations: dict[str, float] = {}
    store_ms: dict[str, float] = {}
    for name in sorted(after):
        count, micros = after[name]
        count_before, micros_before = before.get(name, (0, 0))
        operations[name] = round((count - count_before) / units, 1)
        store_ms[name] = round((micros - micros_before) / 1000 / units, 2)
    operations["all"] = round(sum(operations.values()), 1)
    store_ms["all"] = round(sum(store_ms.values()), 2)
    return {f"store_operations_per_{unit}": operations, f"store_ms_per_{unit}": store_ms}
