"""intake's settings, from the environment."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from shared.settings import ServiceSettings


def _env(name: str) -> AliasChoices:
    return AliasChoices(f"INTAKE_{name}")


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    http_host: str = Field(default="127.0.0.1", validation_alias=_env("HTTP_HOST"))
    http_port: int = Field(default=8001, validation_alias=_env("HTTP_PORT"))
    smtp_host: str = Field(default="127.0.0.1", validation_alias=_env("SMTP_HOST"))
    smtp_port: int = Field(default=2525, ge=0, le=65535, validation_alias=_env("SMTP_PORT"))
    smtp_hostname: str = Field(
        default="intake.support.example",
        validation_alias=_env("SMTP_HOSTNAME"),
        description="The name the SMTP server greets with; also the domain of our Message-IDs.",
    )
    max_message_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        le=25 * 1024 * 1024,
        validation_alias=_env("MAX_MESSAGE_BYTES"),
        description="Larger mail is refused at SMTP level with 552 (SIZE / data_size_limit).",
    )
    raw_mail_store_bytes: int = Field(
        default=512 * 1024,
        ge=0,
        validation_alias=_env("RAW_MAIL_STORE_BYTES"),
        description="Raw mails up to this size are kept in the database; larger ones only as facts.",
    )
    max_body_chars: int = Field(default=20_000, validation_alias=_env("MAX_BODY"))
    fold_plus_addressing: bool = Field(
        default=False,
        validation_alias=_env("FOLD_PLUS_ADDRESSING"),
        description="Match ada+x@example.org as ada@example.org (off: kept distinct).",
    )
    default_phone_region: str = Field(
        default="NO",
        min_length=2,
        max_length=2,
        validation_alias=_env("DEFAULT_PHONE_REGION"),
        description="Region for phone numbers given without a country code.",
    )
    web_rate_per_minute: float = Field(
        default=30.0, gt=0, validation_alias=_env("WEB_RATE_PER_MINUTE")
    )
    web_rate_burst: int = Field(default=10, ge=1, validation_alias=_env("WEB_RATE_BURST"))
    web_form_max_bytes: int = Field(
        default=64 * 1024, ge=1024, validation_alias=_env("WEB_FORM_MAX_BYTES")
    )
    phone_topic_retention_hours: int = Field(
        default=24 * 7,
        ge=1,
        validation_alias=_env("PHONE_TOPIC_RETENTION_HOURS"),
        description="intake.phone holds callers' details in clear; keep them only this long.",
    )
    acknowledgement_poll_seconds: float = Field(
        default=1.0, gt=0, validation_alias=_env("ACKNOWLEDGEMENT_POLL_SECONDS")
    )
