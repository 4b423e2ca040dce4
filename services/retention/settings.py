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
