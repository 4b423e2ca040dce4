"""access's settings, from the environment."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr

from shared.settings import ServiceSettings


def _env(name: str) -> AliasChoices:
    return AliasChoices(f"ACCESS_{name}")


class AccessSettings(ServiceSettings):
    service_name: str = "access"
    http_host: str = Field(default="127.0.0.1", validation_alias=_env("HTTP_HOST"))
    http_port: int = Field(default=8002, validation_alias=_env("HTTP_PORT"))
    bootstrap_admin_email: str = Field(default="", validation_alias=_env("BOOTSTRAP_ADMIN_EMAIL"))
    bootstrap_admin_password: SecretStr = Field(
        default=SecretStr(""), validation_alias=_env("BOOTSTRAP_ADMIN_PASSWORD")
    )
    token_lifetime_minutes: int = Field(
        default=15, ge=1, le=24 * 60, validation_alias=_env("TOKEN_LIFETIME_MINUTES")
    )
    set_password_link_hours: int = Field(
        default=48, ge=1, le=24 * 30, validation_alias=_env("SET_PASSWORD_LINK_HOURS")
    )
    login_window_minutes: int = Field(
        default=15, ge=1, validation_alias=_env("LOGIN_WINDOW_MINUTES")
    )
    login_failures_per_account: int = Field(
        default=5, ge=1, validation_alias=_env("LOGIN_FAILURES_PER_ACCOUNT")
    )
    login_failures_per_client: int = Field(
        default=20, ge=1, validation_alias=_env("LOGIN_FAILURES_PER_CLIENT")
    )
    picture_max_bytes: int = Field(
        default=2_000_000, ge=1024, validation_alias=_env("PICTURE_MAX_BYTES")
    )
    picture_max_pixels: int = Field(
        default=4_000_000, ge=64, validation_alias=_env("PICTURE_MAX_PIXELS")
    )
    read_audit_relay_seconds: float = Field(
        default=0.05, ge=0, le=5, validation_alias=_env("READ_AUDIT_RELAY_SECONDS")
    )
    """How long the relay waits after an audited read commits before publishing its events,
    so close reads share one relay round (the audit is durable in the outbox before that)."""
    crm_ingress_retention_hours: int = Field(
        default=24 * 7, ge=1, validation_alias=_env("CRM_INGRESS_RETENTION_HOURS")
    )
    """How long `crm.ingress` keeps the CRM's events, whose contact details travel in clear."""
    mail_retry_seconds: float = Field(
        default=5.0, gt=0, validation_alias=_env("MAIL_RETRY_SECONDS")
    )
