"""access's settings, from the environment."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from shared.settings import ServiceSettings


class AccessSettings(ServiceSettings):
    service_name: str = "access"
    http_host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("ACCESS_HTTP_HOST"))
    http_port: int = Field(default=8002, validation_alias=AliasChoices("ACCESS_HTTP_PORT"))
