"""Services refuse to start with the development secrets unless told they are in development."""

from __future__ import annotations

import base64
import os

import pytest

from services.access.settings import AccessSettings
from services.surveys.settings import SurveySettings
from shared.settings import DevelopmentSecretsError

SHARED = ["KEY_ENCRYPTION_KEY", "STAFF_TOKEN", "TOKEN_SIGNING_KEYS"]


def own_secrets() -> dict[str, str]:
    """Secrets of a real deployment (what `make secrets` writes into .env)."""
    return {
        "STAFF_TOKEN": base64.b64encode(os.urandom(24)).decode(),
        "KEY_ENCRYPTION_KEY": base64.b64encode(os.urandom(32)).decode(),
        "TOKEN_SIGNING_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
        "SURVEYS_LINK_SECRET": base64.b64encode(os.urandom(32)).decode(),
        "SURVEYS_OPT_OUT_HASH_KEY": base64.b64encode(os.urandom(32)).decode(),
    }


@pytest.fixture(autouse=True)
def _no_development_leave(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALLOW_DEVELOPMENT_SECRETS", raising=False)


def test_the_defaults_are_named_by_their_environment_variables() -> None:
    assert AccessSettings().development_secrets() == SHARED
    assert SurveySettings().development_secrets() == sorted(
        [*SHARED, "SURVEYS_LINK_SECRET", "SURVEYS_OPT_OUT_HASH_KEY"]
    )


def test_a_service_with_a_development_secret_refuses_to_start_and_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secrets = own_secrets()
    for name, value in secrets.items():
        if name != "STAFF_TOKEN":
            monkeypatch.setenv(name, value)
    with pytest.raises(DevelopmentSecretsError) as refused:
        SurveySettings().refuse_development_secrets()
    message = str(refused.value)
    assert "surveys refuses to start" in message and "of STAFF_TOKEN:" in message
    assert "ALLOW_DEVELOPMENT_SECRETS=true" in message
    assert not any(value in message for value in secrets.values())
    assert "dev-staff-token" not in message  # names, never values


def test_own_secrets_start(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in own_secrets().items():
        monkeypatch.setenv(name, value)
    settings = SurveySettings()
    assert settings.development_secrets() == []
    settings.refuse_development_secrets()


def test_development_says_so_explicitly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOW_DEVELOPMENT_SECRETS", "true")
    AccessSettings().refuse_development_secrets()
