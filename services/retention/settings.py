"""retention's settings, from the environment."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from shared.settings import ServiceSettings


class RetentionSettings(ServiceSettings):
    service_name: str = "retention"
    http_host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("RETENTION_HTTP_HOST")
    )
    http_port: int = Field(default=8003, validation_alias=AliasChoices("RETENTION_HTTP_PORT"))
    retention_days: int = Field(default=365, ge=1, validation_alias=AliasChoices("RETENTION_DAYS"))
    scheduler_seconds: float = Field(
        default=1.0,
        gt=0,
        description="How often the purge scheduler looks for due work.",
        validation_alias=AliasChoices("RETENTION_SCHEDULER_SECONDS"),
    )
    purge_batch_size: int = Field(
        default=200, ge=1, validation_alias=AliasChoices("RETENTION_PURGE_BATCH_SIZE")
    )
    erasure_deadline_hours: int = Field(
        default=24,
        ge=1,
        description="How long participants have to complete an erasure before it is overdue.",
        validation_alias=AliasChoices("RETENTION_ERASURE_DEADLINE_HOURS"),
    )
    participant_late_seconds: float = Field(
        default=600.0,
        gt=0,
        description="A participant that has not completed after this long is late: re-ask, alert.",
        validation_alias=AliasChoices("RETENTION_PARTICIPANT_LATE_SECONDS"),
    )
    organisation_decision_wait_seconds: float = Field(
        default=5.0,
        ge=0,
        description=(
            "How long a person's erasure waits, before answering, for access's organisation"
            " decision on a request of theirs just filed; then it is held back until it comes."
        ),
        validation_alias=AliasChoices("RETENTION_ORGANISATION_DECISION_WAIT_SECONDS"),
    )
    export_wait_seconds: float = Field(
        default=300.0,
        gt=0,
        description="An export is assembled from whoever answered after this long.",
        validation_alias=AliasChoices("RETENTION_EXPORT_WAIT_SECONDS"),
    )
    export_link_minutes: int = Field(
        default=60, ge=1, validation_alias=AliasChoices("RETENTION_EXPORT_LINK_MINUTES")
    )
