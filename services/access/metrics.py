"""access's business metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class AccessMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.reads = Counter(
            "access_request_reads_total",
            "Reads of request content, by ground.",
            ["ground"],
            registry=registry,
        )
