"""retention's business metrics: deadlines, holds, purges, participants, shredded keys."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class RetentionMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.due_soon = Gauge(
            "retention_items_due_next_30_days",
            "Requests and organisations whose purge falls due within 30 days.",
            registry=registry,
        )
        self.overdue = Gauge(
            "retention_items_overdue",
            "Items past their purge deadline and not purged (a bug; alert on > 0).",
            registry=registry,
        )
        self.holds_active = Gauge(
            "retention_legal_holds_active", "Legal holds in force.", registry=registry
        )
        self.participants_late = Gauge(
            "retention_erasure_participants_late",
            "Participants that have not completed an erasure in time.",
            registry=registry,
        )
        self.purges_started = Counter(
            "retention_purges_started_total", "Purges started, by ground.", ["ground"],
            registry=registry,
        )  # fmt: skip
        self.purges_completed = Counter(
            "retention_purges_completed_total", "Purges certified, by ground.", ["ground"],
            registry=registry,
        )  # fmt: skip
        self.erasure_retries = Counter(
            "retention_erasure_requests_retried_total",
            "Erasure requests published again because a participant was late.",
            registry=registry,
        )
        self.erasure_completion = Histogram(
            "retention_erasure_completion_seconds",
            "Time from an erasure being requested to its deletion certificate.",
            buckets=(60, 300, 900, 3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400),
            registry=registry,
        )
        self.keys_shredded = Counter(
            "retention_keys_shredded_total", "Data-subject keys shredded.", registry=registry
        )
        self.records_erased = Counter(
            "retention_own_records_erased_total",
            "retention's own records deleted as an erasure participant.",
            registry=registry,
        )
