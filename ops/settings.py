"""The CLI's settings: service URLs, Kafka, MongoDB and the staff token, from the environment."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from deploy.local.services import DEFAULT_PORTS


def _local(name: str) -> str:
    return f"http://127.0.0.1:{DEFAULT_PORTS[name]}"


class OpsSettings(BaseSettings):
    """Defaults reach `make run`'s stack; override with the environment or the CLI's flags."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    intake_url: str = Field(default=_local("intake"), validation_alias=AliasChoices("INTAKE_URL"))
    access_url: str = Field(default=_local("access"), validation_alias=AliasChoices("ACCESS_URL"))
    retention_url: str = Field(
        default=_local("retention"), validation_alias=AliasChoices("RETENTION_URL")
    )
    surveys_url: str = Field(
        default=_local("surveys"), validation_alias=AliasChoices("SURVEYS_URL")
    )
    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092", min_length=1)
    mongodb_url: str = "mongodb://127.0.0.1:27017/?directConnection=true"
    staff_token: SecretStr = SecretStr("dev-staff-token")
    key_encryption_key: SecretStr = Field(
        default=SecretStr("ZGV2LW9ubHkta2V5LWVuY3J5cHRpb24ta2V5LTMyYiE="),
        description="Needed only to seal plain contact details (publish --seal).",
    )
    instance_prefix: str = Field(default="", pattern=r"^[a-z0-9_]*$")
    keystore_database: str = Field(default="", description="Default: <instance_prefix>keystore.")
    http_timeout_seconds: float = Field(default=10.0, gt=0)

    def service_urls(self) -> dict[str, str]:
        """Each service's base URL, by name."""
        return {
            "intake": self.intake_url.rstrip("/"),
            "access": self.access_url.rstrip("/"),
            "retention": self.retention_url.rstrip("/"),
            "surveys": self.surveys_url.rstrip("/"),
        }

    @property
    def keystore_database_name(self) -> str:
        return self.keystore_database or f"{self.instance_prefix}keystore"
