"""Prometheus wiring: one registry per service for FastStream's middleware and business metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class BackboneMetrics:
    """Metrics of the event backbone (outbox, consumers, dead letters); labels never hold personal data."""

    def __init__(self, service: str, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.events_consumed = Counter(
            f"{service}_events_consumed_total",
            "Events handled to completion, by topic and type.",
            ["topic", "type"],
            registry=registry,
        )
        self.events_published = Counter(
            f"{service}_events_published_total",
            "Events the outbox relay published, by topic and type.",
            ["topic", "type"],
            registry=registry,
        )
        self.outbox_backlog = Gauge(
            f"{service}_outbox_backlog_events",
            "Events committed to an outbox and not yet published, by outbox collection.",
            ["outbox"],
            registry=registry,
        )
        self.outbox_relay_lag = Gauge(
            f"{service}_outbox_relay_lag_seconds",
            "Age of the oldest unpublished event, by outbox collection.",
            ["outbox"],
            registry=registry,
        )
        self.handler_duration = Histogram(
            f"{service}_handler_duration_seconds",
            "Time to handle one event, including its transaction (a batch's time shared by its events).",
            ["topic"],
            registry=registry,
        )
        self.redeliveries_skipped = Counter(
            f"{service}_redeliveries_skipped_total",
            "Events already processed that arrived again and were skipped.",
            ["topic"],
            registry=registry,
        )
        self.batch_records = Histogram(
            f"{service}_batch_records",
            "Events committed together in one transaction by a batch consumer, by topic.",
            ["topic"],
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
            registry=registry,
        )
        self.batch_fallbacks = Counter(
            f"{service}_batch_fallbacks_total",
            "Batches of events that failed as a whole and were handled one event at a time.",
            ["topic"],
            registry=registry,
        )
        self.dead_letters = Counter(
            f"{service}_dead_letters_total",
            "Events sent to a dead-letter topic, by source topic and reason.",
            ["topic", "reason"],
            registry=registry,
        )
        self.outbox_undeliverable = Counter(
            f"{service}_outbox_undeliverable_total",
            "Outbox events the broker can never take (too large), set aside so the rest flow.",
            ["outbox", "type"],
            registry=registry,
        )
        self.transient_failures = Counter(
            f"{service}_transient_failures_total",
            "Failures retried with backoff (store or broker away), by operation.",
            ["operation"],
            registry=registry,
        )
        self.shredded_keys = Counter(
            f"{service}_shredded_keys_total",
            "Data-subject keys deleted (crypto-shredding) by this service.",
            registry=registry,
        )
        self.ready = Gauge(
            f"{service}_ready", "1 when Kafka and MongoDB answer, else 0.", registry=registry
        )
