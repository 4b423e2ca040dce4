"""intake's business metrics, per channel; labels never carry personal data."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class IntakeMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.accepted = Counter(
            "intake_requests_accepted_total",
            "Requests accepted (opened), by channel.",
            ["channel"],
            registry=registry,
        )
        self.rejected = Counter(
            "intake_requests_rejected_total",
            "Submissions refused or not turned into requests, by channel and reason.",
            ["channel", "reason"],
            registry=registry,
        )
        self.threaded = Counter(
            "intake_messages_threaded_total",
            "Messages added to an existing request, by channel.",
            ["channel"],
            registry=registry,
        )
        self.duplicates = Counter(
            "intake_duplicates_total",
            "Items received again (same Message-ID or call id) and not recorded twice.",
            ["channel"],
            registry=registry,
        )
        self.receipt_to_published = Histogram(
            "intake_request_receipt_to_published_seconds",
            "Time from receipt on a channel to the request event being readable on Kafka.",
            ["channel"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=registry,
        )
        self.smtp_listening = Gauge(
            "intake_smtp_listening",
            "1 while the inbound SMTP server listens.",
            registry=registry,
        )
        self.acknowledgements_sent = Counter(
            "intake_acknowledgements_sent_total",
            "Acknowledgement mails handed to the relay.",
            registry=registry,
        )
        self.acknowledgements_refused = Counter(
            "intake_acknowledgements_refused_total",
            "Acknowledgement mails the relay refused for good (their recipient); not retried.",
            registry=registry,
        )
        self.acknowledgements_unbuildable = Counter(
            "intake_acknowledgements_unbuildable_total",
            "Acknowledgements no mail could be made of (a fault of ours); tried again after the "
            "send lease, without holding up the rest.",
            registry=registry,
        )
        self.acknowledgement_backlog = Gauge(
            "intake_acknowledgement_backlog",
            "Acknowledgement mails waiting for the relay.",
            registry=registry,
        )
