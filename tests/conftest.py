"""Session-wide real infrastructure and per-test isolation (fresh databases, own consumer groups)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.support.infrastructure import Infrastructure, provide_infrastructure
from tests.support.smtp import SmtpSink, smtp_sink

pytest_plugins = ["tests.support.log_capture"]


@pytest.fixture(scope="session")
def infrastructure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infrastructure]:
    with provide_infrastructure(tmp_path_factory.mktemp("infra")) as provided:
        yield provided


@pytest.fixture
def instance_prefix() -> str:
    """A prefix no other test uses: its own databases and consumer groups."""
    return f"t{uuid.uuid4().hex[:10]}_"


@pytest.fixture
def infra_env(infrastructure: Infrastructure, instance_prefix: str) -> dict[str, str]:
    """Settings' environment pointing one test's services at the session's infrastructure."""
    return {
        "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap,
        "MONGODB_URL": infrastructure.mongodb_url,
        "INSTANCE_PREFIX": instance_prefix,
        "OUTBOX_POLL_SECONDS": "0.2",
        "KAFKA_SESSION_TIMEOUT_MS": infrastructure.session_timeout_ms,
        "RETRY_MAX_BACKOFF_SECONDS": "1",
    }


@pytest.fixture
def mail_sink() -> Iterator[SmtpSink]:
    """A real SMTP server on a free port that keeps what it receives."""
    with smtp_sink() as sink:
        yield sink
