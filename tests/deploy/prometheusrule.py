"""deploy/k8s/base/prometheusrule.yaml, made from deploy/prometheus/alerts.yml (`make prometheusrule`)."""

from __future__ import annotations

from typing import Any

import yaml

from tests.deploy.dockerfiles import REPO

ALERTS = REPO / "deploy" / "prometheus" / "alerts.yml"
PROMETHEUS_RULE = REPO / "deploy" / "k8s" / "base" / "prometheusrule.yaml"
HEADER = (
    "# Generated from deploy/prometheus/alerts.yml (tests/deploy/test_prometheus.py asserts the\n"
    "# groups are identical): regenerate with `make prometheusrule` after editing the alerts.\n"
)


def prometheus_rule() -> dict[str, Any]:
    """The Prometheus Operator object carrying exactly the groups of alerts.yml."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": "support-data-platform",
            "labels": {"app.kubernetes.io/part-of": "support-data-platform"},
        },
        "spec": yaml.safe_load(ALERTS.read_text()),
    }


if __name__ == "__main__":
    PROMETHEUS_RULE.write_text(
        HEADER + yaml.safe_dump(prometheus_rule(), sort_keys=False, width=100)
    )
