"""`python -m deploy.asyncapi <out_dir>` (what `make docs` runs) documents every service's topics."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from deploy.asyncapi import consumed_topics, produced_topics
from deploy.local.services import SERVICES
from shared import topics
from shared.events import CloudEvent

REPO = Path(__file__).resolve().parents[2]

# What each service is known to consume and produce today; more may come, none may go missing.
CONSUMES = {
    "intake": set[str](),
    "access": {topics.SUPPORT_REQUESTS},
    "retention": {topics.SUPPORT_REQUESTS},
    "surveys": {topics.SUPPORT_REQUESTS},
}
PRODUCES = {"intake": {topics.SUPPORT_REQUESTS}}


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Run the generator as the Makefile does, with no Kafka or MongoDB anywhere near."""
    out_dir = tmp_path_factory.mktemp("asyncapi")
    result = subprocess.run(
        [sys.executable, "-m", "deploy.asyncapi", str(out_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(REPO),
            "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
            "MONGODB_URL": "mongodb://127.0.0.1:1/?directConnection=true",
        },
    )
    assert result.returncode == 0, result.stderr
    assert {Path(line).name for line in result.stdout.split()} == {f"{s}.json" for s in SERVICES}
    return {name: json.loads((out_dir / f"{name}.json").read_text()) for name in SERVICES}


def test_every_service_gets_an_asyncapi_3_document(documents: dict[str, dict[str, Any]]) -> None:
    for name, document in documents.items():
        assert document["asyncapi"].startswith("3.")
        assert document["info"]["title"] == name
        assert document["info"]["description"], "the service's one-line summary"
        assert document["servers"], "the Kafka it was generated for"


@pytest.mark.parametrize("name", SERVICES)
def test_document_names_the_topics_the_service_consumes(
    documents: dict[str, dict[str, Any]], name: str
) -> None:
    assert consumed_topics(documents[name]) >= CONSUMES[name]


@pytest.mark.parametrize("name", SERVICES)
def test_document_names_the_topics_the_service_produces(
    documents: dict[str, dict[str, Any]], name: str
) -> None:
    produced = produced_topics(documents[name])
    assert produced >= PRODUCES.get(name, set())
    for topic in consumed_topics(documents[name]):
        assert topics.dead_letter_topic(topic) in produced, f"{name} dead-letters {topic}"


def test_every_documented_topic_is_a_registered_one(documents: dict[str, dict[str, Any]]) -> None:
    known = {*topics.ALL, *(topics.dead_letter_topic(topic) for topic in topics.ALL)}
    for name, document in documents.items():
        assert consumed_topics(document) | produced_topics(document) <= known, name


@pytest.mark.parametrize("name", SERVICES)
def test_events_are_documented_as_cloudevents(
    documents: dict[str, dict[str, Any]], name: str
) -> None:
    """Consumed and produced events (dead letters aside) carry the CloudEvents envelope."""
    document = documents[name]
    components = document["components"]
    envelope = components["schemas"].get("CloudEvent")
    for operation in document["operations"].values():
        channel = document["channels"][operation["channel"]["$ref"].rsplit("/", 1)[-1]]
        if channel["address"].endswith(topics.DEAD_LETTER_SUFFIX):
            continue
        for reference in channel["messages"].values():
            message = components["messages"][reference["$ref"].rsplit("/", 1)[-1]]
            assert message["payload"] == {"$ref": "#/components/schemas/CloudEvent"}
            assert envelope is not None
            assert set(envelope["required"]) >= set(CloudEvent.model_json_schema()["required"])
