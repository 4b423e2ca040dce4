"""surveys' settings, from the environment."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from shared.settings import ServiceSettings


class SurveySettings(ServiceSettings):
    service_name: str = "surveys"
    http_host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("SURVEYS_HTTP_HOST"))
    http_port: int = Field(default=8004, validation_alias=AliasChoices("SURVEYS_HTTP_PORT"))
