"""Settings base: the infrastructure every service connects to, read from the environment."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared import topics


class ServiceSettings(BaseSettings):
    """What every service needs; each service's settings.py extends it."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    service_name: str = "service"
    instance_prefix: str = Field(
        default="",
        pattern=r"^[a-z0-9_]*$",
        description="Prefixes database names and consumer groups, so instances can share infra.",
    )
    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092", min_length=1)
    mongodb_url: str = Field(default="mongodb://127.0.0.1:27017/?directConnection=true")
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "INFO"
    staff_token: SecretStr = SecretStr("dev-staff-token")
    key_encryption_key: SecretStr = Field(
        default=SecretStr("ZGV2LW9ubHkta2V5LWVuY3J5cHRpb24ta2V5LTMyYiE="),
        description="Base64 of 32 bytes that wrap every data-subject key (KEK).",
    )
    token_signing_keys: SecretStr = Field(
        default=SecretStr("dev1:ZGV2LW9ubHktdG9rZW4tc2lnbmluZy1rZXktMzItYnl0ZXMh"),
        description="kid:base64 pairs, comma-separated; the first signs, all verify (rotation).",
    )
    smtp_relay_host: str = "127.0.0.1"
    smtp_relay_port: int = Field(default=1025, ge=1, le=65535)
    mail_from: str = "support@support.example"
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where people reach this service's pages (links in mails).",
    )
    keystore_database: str = Field(
        default="",
        description="The key store's own database; default: <instance_prefix>keystore.",
    )
    kafka_partitions: int = Field(default=6, ge=1, le=256)
    allow_development_secrets: bool = Field(
        default=False,
        description="Start with the development secrets (the defaults of every secret setting). "
        "The local stack (make run, the tests, the bench) sets it; images, compose and "
        "Kubernetes do not, so a deployment without its own secrets refuses to start.",
    )
    consumer_batch_wait_ms: int = Field(
        default=50,
        ge=1,
        le=5_000,
        description="How long a batch consumer waits for records before it looks again (and, "
        "when none came, pauses as long): the most an idle batch consumer adds to an event's "
        "way through the system (FastStream's default is 200 ms).",
    )
    consumer_batch_size: int = Field(
        default=100,
        ge=1,
        le=1000,
        description="Records handled in one transaction by the consumers whose handlers allow "
        "it (one offset commit per batch; a failing batch is redone one record at a time), and "
        "records the other consumers fetch together (one transaction each, one offset commit); "
        "1 turns batching off.",
    )
    consumer_workers: int = Field(
        default=1,
        ge=1,
        le=32,
        description="Consumers per subscribed topic in this process; partitions are split "
        "between them (order per partition kept), so partitions are processed concurrently. "
        "Topics consumed in batches have one consumer.",
    )
    kafka_session_timeout_ms: int = Field(
        default=10_000,
        ge=1_000,
        le=300_000,
        description="How long a consumer group waits for a member that stopped heartbeating (a "
        "killed replica) before its partitions go to the others; heartbeats go every third of it. "
        "The broker's group.min.session.timeout.ms bounds it from below (6000 by default).",
    )
    kafka_fetch_max_wait_ms: int = Field(
        default=500,
        ge=10,
        le=30_000,
        description="How long the broker holds a consumer's fetch when no new record is there "
        "(aiokafka's default). A fetch sent while a busy consumer still has records of one "
        "partition to handle leaves that partition out, and its next records wait for that fetch "
        "to come back: under load, up to this is added to an event's way. Lower shortens that "
        "and costs idle fetches, one per consumer per wait (BENCHMARKS.md, section 28).",
    )
    kafka_fetch_max_wait_ms_by_topic: dict[str, Annotated[int, Field(ge=10, le=30_000)]] = Field(
        default={topics.PRIVACY_ERASURE: 100},
        description="The fetch wait of the consumers of these topics, in place of "
        "KAFKA_FETCH_MAX_WAIT_MS (JSON, topic to ms; setting it replaces the whole map). "
        "An erasure crosses privacy.erasure twice for every participant (asked, completed), "
        "and participants are busy while several are in flight: the shorter wait took a fifth "
        "off scenario 6's p99, for a few idle fetches a second on an otherwise quiet topic "
        "(BENCHMARKS.md, section 31).",
    )
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    retry_max_backoff_seconds: float = Field(default=5.0, gt=0)

    @field_validator("key_encryption_key")
    @classmethod
    def _kek_is_32_bytes(cls, value: SecretStr) -> SecretStr:
        try:
            decoded = base64.b64decode(value.get_secret_value(), validate=True)
        except binascii.Error:
            raise ValueError("must be base64") from None
        if len(decoded) != 32:
            raise ValueError("must decode to 32 bytes (AES-256)")
        return value

    @property
    def database_name(self) -> str:
        """Each service owns its own MongoDB database, named after it."""
        return self.instance_prefix + self.service_name

    @property
    def keystore_database_name(self) -> str:
        return self.keystore_database or f"{self.instance_prefix}keystore"

    def fetch_max_wait_ms(self, topic: str) -> int:
        """How long the broker holds a fetch of this topic's consumers when nothing new is there."""
        return self.kafka_fetch_max_wait_ms_by_topic.get(topic, self.kafka_fetch_max_wait_ms)

    def consumer_group(self, topic: str) -> str:
        """One consumer group per service and topic: a rebalance of one topic's consumers
        (a replica joining, a consumer stopping) never pauses the service's other topics."""
        return f"{self.instance_prefix}{self.service_name}.{topic}"

    def development_secrets(self) -> list[str]:
        """The environment names of the secret settings still at their development default."""
        found = []
        for name, field in type(self).model_fields.items():
            value, default = getattr(self, name), field.default
            if isinstance(value, SecretStr) and isinstance(default, SecretStr):
                secret = value.get_secret_value()
                if secret and secret == default.get_secret_value():
                    found.append(_environment_name(name, field.validation_alias))
        return sorted(found)

    def refuse_development_secrets(self) -> None:
        """Stop here, with what to do, when development secrets would guard a deployment."""
        in_use = self.development_secrets()
        if in_use and not self.allow_development_secrets:
            raise DevelopmentSecretsError(
                f"{self.service_name} refuses to start with the development secrets of "
                f"{', '.join(in_use)}: set them (README, 'Secrets'), or set "
                "ALLOW_DEVELOPMENT_SECRETS=true on a development machine"
            )


class DevelopmentSecretsError(RuntimeError):
    """A service was about to start with the development secrets outside development."""


def _environment_name(field_name: str, alias: object) -> str:
    choices = getattr(alias, "choices", None)
    return str(choices[0]) if choices else field_name.upper()
