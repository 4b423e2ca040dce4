"""`python -m deploy.asyncapi <out_dir>`: write each service's AsyncAPI document, `<service>.json`.

Each service's app is built as it runs (nothing connects) and FastStream documents its broker:
the topics the service consumes (its subscribers) and the topics it produces, declared here as
publishers, so that every team can read the contract of what it writes or receives.
"""

from __future__ import annotations

import argparse
import importlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from faststream.specification import AsyncAPI

from services.catalogue import CATALOGUE
from shared.events import CloudEvent
from shared.service import ServiceRuntime
from shared.topics import DEAD_LETTER_SUFFIX

APPS: dict[str, Callable[[], FastAPI]] = {
    name: service.create_app for name, service in CATALOGUE.items()
}

ENVELOPE = "CloudEvent"
EMPTY_PAYLOAD = "#/components/schemas/EmptyPayload"


def _operations(document: dict[str, Any], *, action: str) -> list[dict[str, Any]]:
    """The channels of a document's operations with this action (`receive` or `send`)."""
    channels = document.get("channels", {})
    return [
        channels[operation["channel"]["$ref"].rsplit("/", 1)[-1]]
        for operation in document.get("operations", {}).values()
        if operation.get("action") == action
    ]


def consumed_topics(document: dict[str, Any]) -> set[str]:
    return {channel["address"] for channel in _operations(document, action="receive")}


def produced_topics(document: dict[str, Any]) -> set[str]:
    return {channel["address"] for channel in _operations(document, action="send")}


def _render(app: FastAPI, *, name: str) -> dict[str, Any]:
    runtime: ServiceRuntime = app.state.runtime
    summary = importlib.import_module(f"services.{name}").__doc__
    factory = AsyncAPI(runtime.broker, title=name, version=app.version, description=summary)
    document: dict[str, Any] = json.loads(factory.to_specification().to_json())
    return document


def _declare_publishers(app: FastAPI, *, name: str) -> None:
    """Every topic the service declared it writes, and its dead-letter topics."""
    runtime: ServiceRuntime = app.state.runtime
    for topic in sorted(runtime.produced_topics):
        title = f"{name}:{topic}:publish"
        if topic.endswith(DEAD_LETTER_SUFFIX):
            origin = topic.removesuffix(DEAD_LETTER_SUFFIX)
            what = (
                f"Records of `{origin}` that {name} can never process, exactly as they came, "
                "with dlq-* headers saying why and where from."
            )
            runtime.broker.publisher(topic, title=title, description=what)
        else:
            what = "CloudEvents 1.0 in structured JSON mode, keyed by the aggregate id."
            runtime.broker.publisher(topic, title=title, description=what, schema=CloudEvent)


def _document_consumed_envelope(document: dict[str, Any]) -> None:
    """Subscribers take raw records (the consumer parses and validates the CloudEvent itself),
    so FastStream sees no payload type; say what the consumer requires: the envelope."""
    components = document.setdefault("components", {})
    messages = components.setdefault("messages", {})
    schemas = components.setdefault("schemas", {})
    for channel in _operations(document, action="receive"):
        for reference in channel.get("messages", {}).values():
            message = messages[reference["$ref"].rsplit("/", 1)[-1]]
            if message.get("payload", {}).get("$ref") == EMPTY_PAYLOAD:
                message["payload"] = {"$ref": f"#/components/schemas/{ENVELOPE}"}
                schemas.setdefault(ENVELOPE, CloudEvent.model_json_schema())
    if EMPTY_PAYLOAD not in json.dumps(messages):
        schemas.pop(EMPTY_PAYLOAD.rsplit("/", 1)[-1], None)


def service_document(name: str) -> dict[str, Any]:
    """One service's AsyncAPI document: what it consumes and what it produces."""
    app = APPS[name]()
    _declare_publishers(app, name=name)
    document = _render(app, name=name)
    _document_consumed_envelope(document)
    return document


def write_documents(out_dir: Path, names: Sequence[str] = tuple(APPS)) -> list[Path]:
    """Write `<out_dir>/<service>.json` for each service; return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        path = out_dir / f"{name}.json"
        path.write_text(json.dumps(service_document(name), indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.asyncapi", description=__doc__)
    parser.add_argument("out_dir", type=Path, help="folder for the <service>.json documents")
    parser.add_argument(
        "--service", choices=sorted(APPS), action="append", dest="services", help="repeatable"
    )
    arguments = parser.parse_args(argv)
    for path in write_documents(arguments.out_dir, arguments.services or tuple(APPS)):
        print(path)


if __name__ == "__main__":
    main()
