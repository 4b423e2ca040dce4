"""docker-compose.yml's operations side: Prometheus, Grafana, Mailpit, the lag exporter."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from deploy.local.services import SERVICES
from tests.deploy.dockerfiles import REPO
from tests.deploy.tools import dashboards

COMPOSE = REPO / "docker-compose.yml"
OPERATIONS = ("mailpit", "kafka-exporter", "prometheus", "grafana")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> host path or volume name."""
    return {str(v).split(":")[1]: str(v).split(":")[0] for v in service.get("volumes", [])}


@pytest.mark.parametrize("name", OPERATIONS)
def test_operations_images_are_pinned_and_limited(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    image, _, tag = service["image"].partition(":")
    assert image and re.fullmatch(r"v?\d+\.\d+\.\d+", tag), service["image"]
    limits = service["deploy"]["resources"]["limits"]
    assert re.fullmatch(r"\d+[MG]", limits["memory"]) and 0 < float(limits["cpus"]) <= 1
    assert service["healthcheck"]["test"]


def test_every_dependency_waits_for_health_where_there_is_a_healthcheck(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no healthcheck"
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            want = "service_healthy" if dependency != "kafka-exporter" else "service_started"
            assert condition["condition"] == want, f"{name} -> {dependency}"


@pytest.mark.parametrize("name", SERVICES)
def test_services_relay_mail_through_mailpit(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    assert service["environment"]["SMTP_RELAY_HOST"] == "mailpit"
    assert int(service["environment"]["SMTP_RELAY_PORT"]) == 1025  # Mailpit's SMTP port
    assert service["depends_on"]["mailpit"]["condition"] == "service_healthy"
    assert "8025:8025" in compose["services"]["mailpit"]["ports"]  # the inbox, from the host


def test_prometheus_mounts_its_config_and_the_alerts(compose: dict[str, Any]) -> None:
    prometheus = compose["services"]["prometheus"]
    mounts = _mounts(prometheus)
    assert mounts["/etc/prometheus/prometheus.yml"] == "./deploy/prometheus/prometheus.yml"
    assert mounts["/etc/prometheus/alerts.yml"] == "./deploy/prometheus/alerts.yml"
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    assert mounts["/prometheus"] in compose["volumes"]
    for host in mounts.values():
        if host.startswith("./"):
            assert (REPO / host).is_file(), host


def test_grafana_is_provisioned_with_prometheus_and_the_dashboards(
    compose: dict[str, Any],
) -> None:
    mounts = _mounts(compose["services"]["grafana"])
    provisioning = REPO / mounts["/etc/grafana/provisioning"]
    (datasource,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())[
        "datasources"
    ]
    assert datasource["url"] == "http://prometheus:9090" and datasource["type"] == "prometheus"
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "platform.yml").read_text())[
        "providers"
    ]
    assert provider["options"]["path"] in mounts
    assert REPO / mounts[provider["options"]["path"]] == REPO / "deploy" / "grafana" / "dashboards"
    boards = dashboards()
    assert set(boards) == {"overview", "retention-privacy", "access", "surveys"}
    uids = [board["uid"] for board in boards.values()]
    assert len(set(uids)) == len(uids)
    for name, board in boards.items():
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == datasource["uid"], (name, panel["title"])
            assert panel["targets"] and all(t["expr"] for t in panel["targets"])
    assert "3000:3000" in compose["services"]["grafana"]["ports"]


@pytest.mark.parametrize(
    ("board", "words"),
    [
        ("overview", ["requests", "latency", "lag", "errors"]),
        ("retention-privacy", ["due", "overdue", "holds", "erasure", "completion", "certificates"]),
        ("access", ["reads", "ground", "denials"]),
        ("surveys", ["invitations", "responses", "csat"]),
    ],
)
def test_dashboards_show_what_the_issue_asks(board: str, words: list[str]) -> None:
    titles = " ".join(panel["title"] for panel in dashboards()[board]["panels"]).lower()
    for word in words:
        assert word in titles, f"{board}: no panel about {word}"


def test_the_lag_exporter_reads_the_compose_broker(compose: dict[str, Any]) -> None:
    exporter = compose["services"]["kafka-exporter"]
    assert "--kafka.server=kafka:9092" in exporter["command"]
    assert exporter["depends_on"]["kafka"]["condition"] == "service_healthy"
    prometheus = yaml.safe_load((REPO / "deploy" / "prometheus" / "prometheus.yml").read_text())
    targets = [
        target
        for job in prometheus["scrape_configs"]
        for config in job["static_configs"]
        for target in config["targets"]
    ]
    assert f"kafka-exporter:{exporter['ports'][0].split(':')[1]}" in targets
