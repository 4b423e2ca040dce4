"""intake's business metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class IntakeMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.accepted = Counter(
            "intake_requests_accepted_total",
            "Requests accepted, by channel.",
            ["channel"],
            registry=registry,
        )
        self.rejected = Counter(
            "intake_requests_rejected_total",
            "Submissions refused, by channel and reason.",
            ["channel", "reason"],
            registry=registry,
        )
