"""surveys' business metrics; labels hold reasons, channels and organisation ids, never people."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class SurveyMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.decisions = Counter(
            "surveys_decisions_total",
            "Survey decisions, sent or skipped, by reason.",
            ["reason"],
            registry=registry,
        )
        self.queue_depth = Gauge(
            "surveys_invitation_queue_depth",
            "Invitations due and not yet handed to the SMTP relay.",
            registry=registry,
        )
        self.send_failures = Counter(
            "surveys_invitation_send_failures_total",
            "Invitation sends the SMTP relay did not take (retried later).",
            registry=registry,
        )
        self.claims_lost = Counter(
            "surveys_invitation_claims_lost_total",
            "Invitation claims that lost a write conflict to another dispatcher (left to it).",
            registry=registry,
        )
        self.responses = Counter(
            "surveys_responses_total",
            "Survey responses recorded, by channel and score.",
            ["channel", "score"],
            registry=registry,
        )
        self.opt_outs = Counter(
            "surveys_opt_outs_total", "Opt-outs from satisfaction surveys.", registry=registry
        )
        self.csat = Gauge(
            "surveys_csat_ratio",
            "Share of responses scoring 4-5 over a trailing window, by channel ('all' overall).",
            ["window", "channel"],
            registry=registry,
        )
        self.csat_responses = Gauge(
            "surveys_csat_responses",
            "Responses counted in surveys_csat_ratio, by window and channel.",
            ["window", "channel"],
            registry=registry,
        )
        self.csat_by_organisation = Gauge(
            "surveys_csat_organisation_ratio",
            "Share of responses scoring 4-5 over a trailing window, by organisation id.",
            ["window", "organisation_id"],
            registry=registry,
        )
