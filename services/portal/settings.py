"""portal's settings, from the environment."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr

from shared.settings import ServiceSettings


class PortalSettings(ServiceSettings):
    service_name: str = "portal"
    http_host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("PORTAL_HTTP_HOST"))
    http_port: int = Field(default=8000, validation_alias=AliasChoices("PORTAL_HTTP_PORT"))
    access_url: str = Field(
        default="http://127.0.0.1:8002", validation_alias=AliasChoices("PORTAL_ACCESS_URL")
    )
    intake_url: str = Field(
        default="http://127.0.0.1:8001", validation_alias=AliasChoices("PORTAL_INTAKE_URL")
    )
    retention_url: str = Field(
        default="http://127.0.0.1:8003", validation_alias=AliasChoices("PORTAL_RETENTION_URL")
    )
    form_secret: SecretStr = Field(
        default=SecretStr("dev-portal-form-secret-change-me"),
        description="Signs the anti-forgery token of every form (CSRF).",
        validation_alias=AliasChoices("PORTAL_FORM_SECRET"),
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark cookies Secure: set it wherever the pages are served over TLS.",
        validation_alias=AliasChoices("PORTAL_SECURE_COOKIES"),
    )
    language: str = Field(default="en", validation_alias=AliasChoices("PORTAL_LANGUAGE"))
