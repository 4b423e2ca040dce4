"""access's business metrics (no personal data in labels)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class AccessMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.reads = Counter(
            "access_request_reads_total",
            "Reads of request content, by reader role.",
            ["reader_role"],
            registry=registry,
        )
        self.logins = Counter(
            "access_logins_total",
            "Login attempts, by outcome (ok, failed, throttled).",
            ["outcome"],
            registry=registry,
        )
        self.mail = Counter(
            "access_mail_total",
            "Outgoing mail, by outcome (sent, relay_unavailable, refused for good by the relay, "
            "unbuildable: no mail could be made of it, tried again later).",
            ["outcome"],
            registry=registry,
        )
        self.denials = Counter(
            "access_denials_total",
            "Reads refused (not found or not permitted for the caller), by what was asked.",
            ["reason"],
            registry=registry,
        )
        self.grants = Counter(
            "access_share_grants_total",
            "Share grants, by change (granted, revoked).",
            ["change"],
            registry=registry,
        )
