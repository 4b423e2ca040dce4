"""intake's settings, from the environment."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    http_host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("INTAKE_HTTP_HOST"))
    http_port: int = Field(default=8001, validation_alias=AliasChoices("INTAKE_HTTP_PORT"))
    smtp_port: int = Field(default=2525, validation_alias=AliasChoices("INTAKE_SMTP_PORT"))
    max_body_chars: int = Field(default=20_000, validation_alias=AliasChoices("INTAKE_MAX_BODY"))
