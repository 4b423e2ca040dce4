"""Every metric an alert or a dashboard reads is one the four running services really expose."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from deploy.local.services import SERVICES, ServiceProcess
from tests.deploy.tools import alert_rules, dashboard_expressions, metric_names
from tests.support.apps import eventually
from tests.support.infrastructure import Infrastructure
from tests.support.system import STAFF_TOKEN, four_services

# Not the services': the Kafka lag exporter's (danielqsj/kafka-exporter) and Prometheus' own.
LAG_EXPORTER = {"kafka_consumergroup_lag"}
PROMETHEUS_OWN = {"up"}
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}


def exposed(text: str) -> set[str]:
    """Sample names in a /metrics page, with the samples a family without children will have."""
    names = set()
    suffixes = {
        "counter": ("_total",),
        "histogram": ("_bucket", "_sum", "_count"),
        "summary": ("_sum", "_count"),
    }
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(maxsplit=3)
            names.add(name)
            stem = name.removesuffix("_total") if kind == "counter" else name
            names.update(stem + suffix for suffix in suffixes.get(kind, ()))
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


@pytest.fixture(scope="module")
async def system(
    infrastructure: Infrastructure, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, ServiceProcess]]:
    log_dir: Path = tmp_path_factory.mktemp("metrics")
    async with four_services(
        infrastructure, instance_prefix="deploymetrics_", log_dir=log_dir
    ) as processes:
        yield processes


async def _scrape(system: dict[str, ServiceProcess]) -> dict[str, str]:
    async with httpx.AsyncClient(timeout=10) as http:
        for process in system.values():  # readiness sets each <service>_ready gauge
            await eventually(lambda p=process: _ready(http, p.url))
        return {name: (await http.get(f"{p.url}/metrics")).text for name, p in system.items()}


async def _ready(http: httpx.AsyncClient, url: str) -> bool:
    return (await http.get(f"{url}/readyz")).status_code == 200


async def test_alerts_and_dashboards_read_only_exposed_metrics(
    system: dict[str, ServiceProcess],
) -> None:
    pages = await _scrape(system)
    available = set().union(*(exposed(page) for page in pages.values()))
    for name in SERVICES:
        assert f"{name}_ready 1.0" in pages[name], f"{name} is not ready"
    used_by_alerts = {rule["alert"]: metric_names(rule["expr"]) for rule in alert_rules()}
    used_by_dashboards = set(
        itertools.chain.from_iterable(metric_names(e) for e in dashboard_expressions())
    )
    allowed = available | LAG_EXPORTER | PROMETHEUS_OWN
    for alert, names in used_by_alerts.items():
        assert names, f"{alert} reads no metric"
        assert names <= allowed, f"{alert} reads {sorted(names - allowed)}, exposed by no service"
    missing = used_by_dashboards - allowed
    assert not missing, f"dashboards read {sorted(missing)}, exposed by no service"
    # the allow-list is the exporters' only: none of it may hide a misspelt service metric
    assert not (LAG_EXPORTER | PROMETHEUS_OWN) & available


async def test_access_counts_a_denied_read(system: dict[str, ServiceProcess]) -> None:
    """access_denials_total (Access dashboard) moves when a request cannot be read."""
    url = system["access"].url
    async with httpx.AsyncClient(timeout=10) as http:
        before = _sample((await http.get(f"{url}/metrics")).text, 'reason="request"')
        missing = await http.get(f"{url}/requests/no-such-request", headers=STAFF)
        assert missing.status_code == 404
        after = _sample((await http.get(f"{url}/metrics")).text, 'reason="request"')
    assert after == before + 1


def _sample(page: str, labels: str) -> float:
    for line in page.splitlines():
        if line.startswith(f"access_denials_total{{{labels}}}"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0
