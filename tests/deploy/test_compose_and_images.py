"""docker-compose.yml and the services' Dockerfiles, checked statically; `make compose-test`
(tests/compose) runs them for real.

The compose file is read as YAML, and given to `docker compose config` where compose exists;
the Dockerfiles are parsed. test_image_runtime.py runs what the images would run.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from deploy.local.services import DEFAULT_PORTS, SERVICES
from deploy.secrets import fresh_secrets
from shared.settings import ServiceSettings
from tests.deploy.dockerfiles import REPO, Dockerfile
from tests.deploy.tools import COMPOSE_SCHEMA

COMPOSE = REPO / "docker-compose.yml"
STAND_INS = REPO / "deploy/docker/compose.stand-ins.yml"
INFRASTRUCTURE = ("kafka", "mongodb")
VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?P<operator>:?[-?])?(?P<default>[^}]*)\}")
SECRETS = fresh_secrets()  # what `make secrets` writes into .env, which compose reads


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def _settings_class(name: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"services.{name}.settings")
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, ServiceSettings)
        and value.__module__ == module.__name__
    ]
    assert len(found) == 1, f"services/{name}/settings.py should define one settings class"
    return found[0]


def _interpolate(value: str) -> str:
    """What compose makes of `${VAR:-default}` when VAR is not set, and of `${SECRET:?why}`
    with the .env that `make secrets` writes."""

    def one(match: re.Match[str]) -> str:
        if match["operator"] == ":?":
            return SECRETS[match["name"]]
        return match["default"] or ""

    return VARIABLE.sub(one, value)


def _environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {key: str(value) for key, value in environment.items()}


def _published(service: dict[str, Any]) -> dict[int, int]:
    """Container port -> host port, from the short `[ip:]host:container` syntax."""
    mapping = {}
    for entry in service.get("ports", []):
        *_, host, container = str(entry).split(":")
        mapping[int(container)] = int(host)
    return mapping


def _compose_command() -> list[str] | None:
    """The compose v2 CLI: DOCKER_COMPOSE (`make compose-test` builds one), else the plugin."""
    if named := os.environ.get("DOCKER_COMPOSE"):
        return shlex.split(named)
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode:
        return None
    return [docker, "compose"] if docker else None


def test_docker_compose_accepts_the_file(compose: dict[str, Any], tmp_path: Path) -> None:
    """`docker compose config` (with and without the stand-ins' override) where compose
    exists, and always the official compose-spec schema."""
    if command := _compose_command():
        env_file = tmp_path / "env"
        env_file.write_text("".join(f"{name}={value}\n" for name, value in SECRETS.items()))
        for files in (["-f", str(COMPOSE)], ["-f", str(COMPOSE), "-f", str(STAND_INS)]):
            config = subprocess.run(
                [*command, "--env-file", str(env_file), *files, "config", "-q"],
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert config.returncode == 0, config.stderr
    schema = json.loads(COMPOSE_SCHEMA.read_text())  # `make tools`: from compose-go's module
    interpolated = yaml.safe_load(_interpolate(COMPOSE.read_text()))
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
        interpolated
    )


def test_the_compose_schema_refuses_a_broken_file(compose: dict[str, Any]) -> None:
    """The schema check has teeth: a misspelt key or a wrong depends_on condition fails."""
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    broken = json.loads(json.dumps(compose))
    broken["services"]["intake"]["healthchek"] = broken["services"]["intake"].pop("healthcheck")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(broken)
    broken = json.loads(json.dumps(compose))
    broken["services"]["access"]["depends_on"]["kafka"]["condition"] = "service_happy"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(broken)


def test_the_stack_is_the_infrastructure_and_the_four_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) >= {*INFRASTRUCTURE, *SERVICES}


def test_every_variable_has_a_default_but_the_secrets_which_make_secrets_writes(
    compose: dict[str, Any],
) -> None:
    """`make secrets && docker compose up` works on a fresh clone; no development secret is
    ever a default (the services would refuse it), and none is left to a service's own."""
    required = set()
    for match in VARIABLE.finditer(COMPOSE.read_text()):
        if match["name"] in SECRETS:
            assert match["operator"] == ":?", f"${{{match['name']}}} must be required (:?)"
            assert "make secrets" in match["default"], "the error says how to get it"
            required.add(match["name"])
        else:
            assert match["operator"] == ":-", f"${{{match['name']}}} needs a :-default"
    assert required == set(SECRETS)
    for name in SERVICES:
        environment = _environment(compose["services"][name])
        needed = _settings_class(name)().development_secrets()  # every secret it reads
        for secret in needed:
            variable = VARIABLE.fullmatch(environment.get(secret, ""))
            assert variable and variable["name"] == secret, f"{name}: {secret} from ${{{secret}}}"


@pytest.mark.parametrize("name", SERVICES)
def test_service_is_built_from_its_dockerfile(compose: dict[str, Any], name: str) -> None:
    build = compose["services"][name]["build"]
    assert (COMPOSE.parent / build["context"]).resolve() == REPO  # shared/ must be in context
    assert build["dockerfile"] == f"services/{name}/Dockerfile"
    assert (REPO / build["dockerfile"]).is_file()


@pytest.mark.parametrize("name", SERVICES)
def test_service_waits_for_healthy_infrastructure(compose: dict[str, Any], name: str) -> None:
    depends_on = compose["services"][name]["depends_on"]
    for dependency in INFRASTRUCTURE:
        assert depends_on[dependency]["condition"] == "service_healthy"
        assert "healthcheck" in compose["services"][dependency]


@pytest.mark.parametrize("name", [*INFRASTRUCTURE, *SERVICES])
def test_every_container_is_limited(compose: dict[str, Any], name: str) -> None:
    limits = compose["services"][name]["deploy"]["resources"]["limits"]
    assert re.fullmatch(r"\d+[MG]", limits["memory"])
    assert 0 < float(limits["cpus"]) <= 2


@pytest.mark.parametrize("name", SERVICES)
def test_the_container_environment_gives_the_intended_settings(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compose's environment and the image's ENV, read by the service's own settings class."""
    service = compose["services"][name]
    environment = {
        **Dockerfile.of(name).environment,
        **{key: _interpolate(value) for key, value in _environment(service).items()},
    }
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    settings = _settings_class(name)()
    kafka_environment = _environment(compose["services"]["kafka"])
    assert f"PLAINTEXT://{settings.kafka_bootstrap_servers}" in kafka_environment[
        "KAFKA_ADVERTISED_LISTENERS"
    ].split(",")
    assert settings.mongodb_url.startswith("mongodb://mongodb:27017/")
    assert "replicaSet=rs0" in settings.mongodb_url or "directConnection=true" in (
        settings.mongodb_url
    )
    assert settings.http_host == "0.0.0.0"
    assert settings.http_port == DEFAULT_PORTS[name]
    assert settings.key_encryption_key.get_secret_value()  # validated as 32 bytes of base64
    assert settings.development_secrets() == []  # it starts (no development secret)
    assert _published(service)[settings.http_port] == DEFAULT_PORTS[name]
    if name == "intake":
        smtp_port = settings.model_dump()["smtp_port"]
        assert _published(service)[smtp_port] == smtp_port


@pytest.mark.parametrize("name", SERVICES)
async def test_compose_healthcheck_asks_the_service_s_healthz(
    compose: dict[str, Any], name: str
) -> None:
    probe = " ".join(compose["services"][name]["healthcheck"]["test"])
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", probe)
    assert url and "urllib.request" in probe, probe
    assert int(url[1]) == DEFAULT_PORTS[name]
    assert url[2] == "/healthz"
    app = importlib.import_module(f"services.{name}.app").create_app(_settings_class(name)())
    transport = httpx.ASGITransport(app=app)  # no lifespan: alive even before Kafka answers
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        assert (await client.get(url[2])).status_code == 200


def test_kafka_is_a_single_kraft_node(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    environment = _environment(kafka)
    assert kafka["image"].startswith("apache/kafka:4.")
    assert set(environment["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", environment["CLUSTER_ID"]), (
        "the image formats with it"
    )
    listeners = dict(item.split("://") for item in environment["KAFKA_LISTENERS"].split(","))
    advertised = dict(
        item.split("://") for item in environment["KAFKA_ADVERTISED_LISTENERS"].split(",")
    )
    protocols = dict(
        item.split(":") for item in environment["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    assert set(advertised) <= set(listeners) <= set(protocols)
    assert advertised["PLAINTEXT"] == "kafka:9092"
    controller = environment["KAFKA_CONTROLLER_LISTENER_NAMES"]
    node, voter = environment["KAFKA_CONTROLLER_QUORUM_VOTERS"].split("@")
    assert node == str(environment["KAFKA_NODE_ID"])
    assert voter.rsplit(":")[-1] == listeners[controller].rsplit(":")[-1]
    external = [listener for listener in advertised if listener != "PLAINTEXT"]
    assert len(external) == 1, "one listener for clients on the host"
    host, port = advertised[external[0]].rsplit(":", 1)
    assert host in {"localhost", "127.0.0.1"}
    assert _published(kafka)[int(listeners[external[0]].rsplit(":")[-1])] == int(port)
    for key, value in environment.items():
        if key.endswith(("_REPLICATION_FACTOR", "_MIN_ISR")):
            assert str(value) == "1", key
    assert int(environment["KAFKA_NUM_PARTITIONS"]) == ServiceSettings().kafka_partitions
    assert "kafka-broker-api-versions.sh" in " ".join(kafka["healthcheck"]["test"])


def test_mongodb_is_a_replica_set_that_initiates_itself(compose: dict[str, Any]) -> None:
    mongodb = compose["services"]["mongodb"]
    assert mongodb["image"].startswith("mongo:8.")
    command = mongodb["command"]
    command = shlex.split(command) if isinstance(command, str) else command
    assert command[command.index("--replSet") + 1] == "rs0"
    assert "--bind_ip_all" in command
    probe = " ".join(mongodb["healthcheck"]["test"])
    assert "mongosh" in probe and "rs.initiate" in probe
    assert re.search(r"host:\s*['\"]mongodb:27017['\"]", probe), "member named as services see it"
    assert "isWritablePrimary" in probe or "PRIMARY" in probe


def test_named_volumes_are_declared_and_used(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    mounts = {
        name: dict(str(volume).split(":")[:2] for volume in service.get("volumes", []))
        for name, service in compose["services"].items()
    }
    used = {source for by_target in mounts.values() for source in by_target}
    named = {source for source in used if not source.startswith((".", "/", "~"))}
    assert named == declared
    kafka_data = _environment(compose["services"]["kafka"])["KAFKA_LOG_DIRS"]
    assert kafka_data in mounts["kafka"].values()
    assert "/data/db" in mounts["mongodb"].values()


@pytest.mark.parametrize("name", SERVICES)
def test_dockerfile_is_multi_stage_non_root_and_runs_the_service(name: str) -> None:
    dockerfile = Dockerfile.of(name)
    stages = dockerfile.instruction("FROM")
    assert len(stages) >= 2
    for stage in stages:
        image = stage.split()[0]
        assert image.startswith("python:3.11") and not image.endswith(":latest")
    final = dict(dockerfile.final_stage)
    assert final["USER"].split(":")[0] not in {"root", "0"}
    assert "--from=builder /opt/venv /opt/venv" in " ".join(dockerfile.instruction("COPY"))
    assert any("PATH=/opt/venv/bin:" in env for env in dockerfile.instruction("ENV")), "venv python"
    assert "HEALTHCHECK" in final
    assert json.loads(final["CMD"]) == ["python", "-m", f"services.{name}"]
    exposed = {int(port.split("/")[0]) for port in final["EXPOSE"].split()}
    assert DEFAULT_PORTS[name] in exposed
    assert dockerfile.environment[f"{name.upper()}_HTTP_HOST"] == "0.0.0.0"
    builder = " ".join(dockerfile.instruction("RUN"))
    assert "--require-hashes" in builder and "requirements.lock" in builder
    assert "[dev]" not in builder and "pyproject.toml" not in builder


@pytest.mark.parametrize("name", SERVICES)
def test_dockerfile_copies_only_shared_and_its_own_service(name: str) -> None:
    ignored = [
        line.strip().rstrip("/")
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    allowed = {"shared", "services/__init__.py", "services/serve.py", f"services/{name}"}
    sources = [
        source.rstrip("/") for sources, _ in Dockerfile.of(name).copies for source in sources
    ]
    assert set(sources) >= allowed
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: no such path in the repository"
        assert source in allowed, f"{source} does not belong in {name}"
        assert not any(Path(source).match(pattern) for pattern in ignored), source
