"""An event the broker can never take (too large for it) is set aside, counted and named by
type; the events staged before and after it are published in order. Before, the relay retried
such a batch for ever and every later event of the service waited behind it: a person's export
with a large file stopped intake's requests reaching the other services."""

from __future__ import annotations

from uuid import uuid4

from aiokafka import AIOKafkaConsumer
from prometheus_client import CollectorRegistry

from shared.clock import SystemClock
from shared.events import CloudEvent, parse_event
from shared.events.access import RequestContentRead, RequestReadOn
from shared.kafka import KafkaPublisher, create_broker, ensure_topics
from shared.metrics import BackboneMetrics
from shared.mongo import TransactionRunner
from shared.outbox import OUTBOX, OutboxRelay, add_many_to_outbox
from shared.settings import ServiceSettings


def _read(requests: int) -> CloudEvent:
    """An audited read of this many requests: about 90 bytes each on the wire."""
    clock = SystemClock()
    data = RequestContentRead(
        audit_id=str(uuid4()),
        reader_id="reader",
        reader_role="support_staff",
        read_at=clock.now(),
        requests=tuple(
            RequestReadOn(request_id=str(uuid4()), ground="support_staff") for _ in range(requests)
        ),
    )
    return CloudEvent.of(
        source="/tests", type=data.event_type, subject=data.audit_id, time=clock.now(), data=data
    )


async def test_an_event_the_broker_cannot_take_is_set_aside_and_the_rest_flow(
    settings: ServiceSettings, scratch_runner: TransactionRunner
) -> None:
    topic = f"tests.undeliverable.{uuid4().hex[:8]}"
    await ensure_topics(settings.kafka_bootstrap_servers, [topic], partitions=1)
    before, huge, after = _read(1), _read(20_000), _read(1)  # huge: about 1.8 MB
    async with scratch_runner.transaction() as tx:
        await add_many_to_outbox(tx, topic=topic, events=[before, huge, after])

    registry = CollectorRegistry()
    broker = create_broker(settings, registry)
    await broker.start()
    try:
        relay = OutboxRelay(
            runner=scratch_runner,
            publish_batch=KafkaPublisher(broker, service="tests").publish_batch,
            metrics=BackboneMetrics("tests", registry),
            clock=SystemClock(),
            poll_seconds=30.0,
            max_backoff_seconds=1.0,
        )
        await relay.create_indexes()
        assert await relay.relay_pending() == 2
        assert await relay.relay_pending() == 0  # nothing is left waiting behind it
    finally:
        await broker.stop()

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=settings.kafka_bootstrap_servers, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=10_000)
        published = [parse_event(r.value).id for rs in batches.values() for r in rs]
    finally:
        await consumer.stop()
    # in order; `before` may go twice (handed over in the failed batch, then again alone),
    # which consumers' processed-event records absorb, as after a crash
    assert list(dict.fromkeys(published)) == [before.id, after.id]
    outbox = scratch_runner.database[OUTBOX]
    aside = await outbox.find_one({"event_id": str(huge.id)})
    assert aside is not None and aside["undeliverable"] == "MessageSizeTooLargeError"
    counted = registry.get_sample_value(
        "tests_outbox_undeliverable_total", {"outbox": OUTBOX, "type": huge.type}
    )
    assert counted == 1
