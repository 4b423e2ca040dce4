"""surveys' settings, from the environment."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import AliasChoices, BeforeValidator, Field, SecretStr

from shared.settings import ServiceSettings


def _seconds_or_iso(value: Any) -> Any:
    """Durations from the environment: plain seconds ("86400") or ISO 8601 ("P1D", "PT24H")."""
    if isinstance(value, str):
        try:
            return timedelta(seconds=float(value))
        except ValueError:
            return value
    return value


Duration = Annotated[timedelta, BeforeValidator(_seconds_or_iso)]


def _env(name: str) -> AliasChoices:
    return AliasChoices(f"SURVEYS_{name}")


class SurveySettings(ServiceSettings):
    service_name: str = "surveys"
    http_host: str = Field(default="127.0.0.1", validation_alias=_env("HTTP_HOST"))
    http_port: int = Field(default=8004, validation_alias=_env("HTTP_PORT"))
    public_base_url: str = Field(
        default="http://127.0.0.1:8004",
        validation_alias=AliasChoices("SURVEYS_PUBLIC_BASE_URL", "PUBLIC_BASE_URL"),
        description="Where people reach the survey pages (links in the invitation mails).",
    )
    sample_rate: float = Field(default=0.2, ge=0.0, le=1.0, validation_alias=_env("SAMPLE_RATE"))
    sample_seed: str = Field(
        default="surveys", validation_alias=_env("SAMPLE_SEED"), description="Sampling is a hash."
    )
    delay: Duration = Field(
        default=timedelta(hours=24), validation_alias=_env("DELAY"), description="After resolution."
    )
    cooldown: Duration = Field(
        default=timedelta(days=30),
        validation_alias=_env("COOLDOWN"),
        description="At most one survey per person within this time.",
    )
    link_ttl: Duration = Field(
        default=timedelta(days=14),
        validation_alias=_env("LINK_TTL"),
        description="How long a response link works after the invitation is sent.",
    )
    link_secret: SecretStr = Field(
        default=SecretStr("dev-only-survey-link-secret-change-me"),
        validation_alias=_env("LINK_SECRET"),
        description="Derives the unguessable response and opt-out tokens (only hashes are stored).",
    )
    opt_out_hash_key: SecretStr = Field(
        default=SecretStr("dev-only-opt-out-hash-key-change-me"),
        validation_alias=_env("OPT_OUT_HASH_KEY"),
        description="HMAC key for the opt-out hashes of emails and the erased-subject set.",
    )
    dispatch_poll_seconds: float = Field(
        default=5.0, gt=0, validation_alias=_env("DISPATCH_POLL_SECONDS")
    )
    results_refresh_seconds: float = Field(
        default=30.0, gt=0, validation_alias=_env("RESULTS_REFRESH_SECONDS")
    )
    mail_domain: str = Field(
        default="surveys.support.example",
        validation_alias=_env("MAIL_DOMAIN"),
        description="Right-hand side of the invitations' Message-IDs.",
    )
