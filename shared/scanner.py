"""The plaintext scanner: every topic from offset 0 and every collection, searched for given values.

After a data subject is crypto-shredded and erased, it must find none of their values. The
report names places and value *indexes*, never the values themselves (they are personal data).

Two topics carry clear text by design, because the outside systems writing them hold none of
our keys: `intake.phone` (telephony) and `crm.ingress` (the CRM), with their dead-letter
topics. Their records expire after a few days (`retention.ms`, set by intake and access), not
at an erasure. Hits there are reported apart, as `ingress`, with that reason; they are not
counted in `kafka_total`, and the exit code says whether anything else was found.

    python -m shared.scanner --kafka 127.0.0.1:9092 --mongodb mongodb://... VALUE [VALUE ...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from bson import json_util
from pymongo import AsyncMongoClient

from shared import topics

SYSTEM_DATABASES = frozenset({"admin", "local", "config"})
_IN_CLEAR = (topics.PHONE_INTAKE, topics.CRM_INGRESS)
INGRESS_TOPICS = frozenset({*_IN_CLEAR, *map(topics.dead_letter_topic, _IN_CLEAR)})
"""Topics outside producers write in clear: kept days (retention.ms), reported apart."""


@dataclass
class ScanReport:
    """Where each searched value (by index) was found, and how much was scanned."""

    kafka_hits: Counter[tuple[str, int]] = field(default_factory=Counter)
    ingress_hits: Counter[tuple[str, int]] = field(default_factory=Counter)
    mongodb_hits: Counter[tuple[str, int]] = field(default_factory=Counter)
    records_scanned: int = 0
    documents_scanned: int = 0

    @property
    def kafka_total(self) -> int:
        return sum(self.kafka_hits.values())

    @property
    def mongodb_total(self) -> int:
        return sum(self.mongodb_hits.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "records_scanned": self.records_scanned,
            "documents_scanned": self.documents_scanned,
            "kafka": [{"topic": t, "value": i, "hits": n} for (t, i), n in self.kafka_hits.items()],
            "ingress": [
                {
                    "topic": t,
                    "value": i,
                    "hits": n,
                    "why": "written in clear by an outside system; expires with retention.ms",
                }
                for (t, i), n in self.ingress_hits.items()
            ],
            "mongodb": [
                {"collection": c, "value": i, "hits": n} for (c, i), n in self.mongodb_hits.items()
            ],
        }


def _needles(values: Sequence[str]) -> list[str]:
    return [value.casefold() for value in values]


def _readable(raw: bytes) -> str:
    """The text as written, plus its JSON with escapes resolved (\u00d8 is Ø), case-folded."""
    text = raw.decode("utf-8", errors="replace")
    with contextlib.suppress(ValueError, RecursionError):  # not JSON, or hostile nesting
        text += "\x00" + json.dumps(json.loads(text), ensure_ascii=False)
    return text.casefold()


def _hits(haystack: bytes, needles: list[str]) -> Iterable[int]:
    readable = _readable(haystack)
    for index, needle in enumerate(needles):
        if needle in readable:
            yield index


async def topic_partitions(bootstrap_servers: str) -> list[TopicPartition]:
    """Every partition of every topic but Kafka's internal ones."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics()
    finally:
        await admin.close()
    return [
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        if not topic["topic"].startswith("__")
        for partition in topic["partitions"]
    ]


async def scan_kafka(
    bootstrap_servers: str,
    values: Sequence[str],
    report: ScanReport,
    *,
    topics: Collection[str] | None = None,
) -> None:
    """Read every non-internal topic (or only `topics`) from its first to its last offset."""
    needles = _needles(values)
    partitions = await topic_partitions(bootstrap_servers)
    if topics is not None:
        partitions = [tp for tp in partitions if tp.topic in topics]
    if not partitions:
        return
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if end[tp] > 0}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batches.items():
                for record in records:
                    report.records_scanned += 1
                    parts = [record.value or b"", record.key or b""]
                    parts += [value for _, value in record.headers or ()]
                    found = {i for part in parts for i in _hits(part, needles)}
                    hits = report.ingress_hits if tp.topic in INGRESS_TOPICS else report.kafka_hits
                    for index in found:
                        hits[(tp.topic, index)] += 1
            for tp in list(remaining):
                if await consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()


async def scan_mongodb(
    mongodb_url: str,
    values: Sequence[str],
    report: ScanReport,
    *,
    databases: Collection[str] | None = None,
) -> None:
    """Read every document of every collection of every non-system database (or `databases`)."""
    needles = _needles(values)
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongodb_url)
    try:
        for name in await client.list_database_names():
            if name in SYSTEM_DATABASES or (databases is not None and name not in databases):
                continue
            database = client[name]
            for collection in await database.list_collection_names():
                async for document in database[collection].find({}):
                    report.documents_scanned += 1
                    text = json_util.dumps(document, ensure_ascii=False).encode()
                    for index in _hits(text, needles):
                        report.mongodb_hits[(f"{name}.{collection}", index)] += 1
    finally:
        await client.close()


async def scan(
    *, kafka_bootstrap: str | None, mongodb_url: str | None, values: Sequence[str]
) -> ScanReport:
    report = ScanReport()
    if kafka_bootstrap:
        await scan_kafka(kafka_bootstrap, values, report)
    if mongodb_url:
        await scan_mongodb(mongodb_url, values, report)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--kafka", help="bootstrap servers; omit to skip Kafka")
    parser.add_argument("--mongodb", help="MongoDB URL; omit to skip MongoDB")
    parser.add_argument("values", nargs="+", help="values to look for (read, never printed)")
    arguments = parser.parse_args(argv)
    report = asyncio.run(
        scan(
            kafka_bootstrap=arguments.kafka, mongodb_url=arguments.mongodb, values=arguments.values
        )
    )
    json.dump(report.as_dict(), sys.stdout, indent=2)
    print()
    return 1 if report.kafka_total or report.mongodb_total else 0


if __name__ == "__main__":
    sys.exit(main())
