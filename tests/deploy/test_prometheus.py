"""Prometheus: config and rules checked by promtool, rule unit tests, runbook and k8s copies."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from tests.deploy.prometheusrule import PROMETHEUS_RULE, prometheus_rule
from tests.deploy.tools import PROMETHEUS, PROMTOOL, alert_rules, tool

REQUIRED = {
    "PurgeOverdue",
    "ErasureParticipantLate",
    "DeadLettersGrowing",
    "ConsumerLagHigh",
    "OutboxBacklogGrowing",
    "ServiceDown",
    "ServiceNotReady",
    "SurveyQueueStuck",
}
RUNBOOK = PROMETHEUS.parents[1] / "deploy" / "RUNBOOK.md"


def test_promtool_accepts_the_rules() -> None:
    result = tool(PROMTOOL, "check", "rules", str(PROMETHEUS / "alerts.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in result.stdout


def test_promtool_accepts_the_config_with_its_rules(tmp_path: Path) -> None:
    """The compose mount points (/etc/prometheus/...) laid out in a temporary directory."""
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    config["rule_files"] = ["alerts.yml"]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    shutil.copy(PROMETHEUS / "alerts.yml", tmp_path / "alerts.yml")
    result = tool(PROMTOOL, "check", "config", str(tmp_path / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 1 rule files found" in result.stdout


def test_promtool_rule_unit_tests_pass() -> None:
    result = tool(PROMTOOL, "test", "rules", "alerts_test.yml", cwd=PROMETHEUS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_prometheus_scrapes_the_four_services_and_the_lag_exporter() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    targets = {
        job["job_name"]: [t for c in job["static_configs"] for t in c["targets"]]
        for job in config["scrape_configs"]
    }
    assert targets["intake"] == ["intake:8001"] and targets["access"] == ["access:8002"]
    assert targets["retention"] == ["retention:8003"] and targets["surveys"] == ["surveys:8004"]
    assert targets["kafka-exporter"] == ["kafka-exporter:9308"]


def test_every_required_alert_exists_with_a_runbook_paragraph() -> None:
    rules = alert_rules()
    assert {rule["alert"] for rule in rules} >= REQUIRED
    headings = {
        line.removeprefix("## ").strip().lower()
        for line in RUNBOOK.read_text().splitlines()
        if line.startswith("## ")
    }
    for rule in rules:
        url = rule["annotations"]["runbook_url"]
        assert url == f"deploy/RUNBOOK.md#{rule['alert'].lower()}", rule["alert"]
        assert rule["alert"].lower() in headings, f"RUNBOOK.md has no paragraph for {rule['alert']}"
        assert rule["labels"]["severity"] in {"warning", "critical"}


def test_purge_overdue_fires_at_once() -> None:
    """> 0 for any time: no `for:` delay may soften the one alert that is always a bug."""
    (rule,) = [rule for rule in alert_rules() if rule["alert"] == "PurgeOverdue"]
    assert "for" not in rule
    assert re.search(r"retention_items_overdue\)?\s*>\s*0\b", rule["expr"])


def test_the_kubernetes_prometheus_rule_carries_exactly_these_alerts() -> None:
    committed = yaml.safe_load(PROMETHEUS_RULE.read_text())
    assert committed == prometheus_rule(), "run `make prometheusrule`"
