"""The portal's metrics: pages answered (by route template and status) and calls to the
services (by service and outcome). Labels hold route templates, never ids or personal data."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class PortalMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.pages = Counter(
            "portal_pages_total",
            "Pages and form posts answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=registry,
        )
        self.page_seconds = Histogram(
            "portal_page_duration_seconds",
            "Time to answer a page, service calls included, by route template.",
            ["route"],
            registry=registry,
        )
        self.service_calls = Counter(
            "portal_service_calls_total",
            "Calls to the services' APIs, by service and outcome (ok, refused, failed).",
            ["service", "outcome"],
            registry=registry,
        )
