"""deploy/k8s: base and overlays rendered by kustomize, every object checked against its schema."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from deploy.local.services import DEFAULT_PORTS, SERVICES
from tests.deploy.tools import K8S, KUSTOMIZE, tool

KUBERNETES_VERSION = "1.33.0"
TARGETS = ("base", "overlays/dev", "overlays/prod")
MAIL_SENDERS = {"intake", "access", "surveys"}
NAME = {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"}
METADATA = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": NAME, "namespace": NAME, "labels": {"type": "object"}},
}
# The Prometheus Operator CRDs, structurally: the fields this project uses, nothing unknown.
CRDS: dict[str, dict[str, Any]] = {
    "ServiceMonitor": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": "monitoring.coreos.com/v1"},
            "kind": {"const": "ServiceMonitor"},
            "metadata": METADATA,
            "spec": {
                "type": "object",
                "required": ["selector", "endpoints"],
                "additionalProperties": False,
                "properties": {
                    "selector": {"type": "object", "required": ["matchLabels"]},
                    "jobLabel": {"type": "string"},
                    "namespaceSelector": {"type": "object"},
                    "endpoints": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["port"],
                            "additionalProperties": False,
                            "properties": {
                                "port": {"type": "string"},
                                "path": {"type": "string"},
                                "interval": {"type": "string", "pattern": "^[0-9]+[smh]$"},
                            },
                        },
                    },
                },
            },
        },
    },
    "PrometheusRule": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": "monitoring.coreos.com/v1"},
            "kind": {"const": "PrometheusRule"},
            "metadata": METADATA,
            "spec": {
                "type": "object",
                "required": ["groups"],
                "additionalProperties": False,
                "properties": {
                    "groups": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["name", "rules"],
                            "additionalProperties": False,
                            "properties": {
                                "name": {"type": "string"},
                                "rules": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["alert", "expr"],
                                        "additionalProperties": False,
                                        "properties": {
                                            "alert": {"type": "string"},
                                            "expr": {"type": "string"},
                                            "for": {"type": "string"},
                                            "labels": {"type": "object"},
                                            "annotations": {"type": "object"},
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


@cache
def rendered(target: str) -> tuple[dict[str, Any], ...]:
    result = tool(KUSTOMIZE, "build", str(K8S / target))
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def objects(target: str, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in rendered(target) if o["kind"] == kind}


@pytest.mark.parametrize("target", TARGETS)
def test_every_rendered_object_is_valid_against_its_schema(target: str) -> None:
    kinds = set()
    for document in rendered(target):
        kinds.add(document["kind"])
        if document["kind"] in CRDS:
            jsonschema.validate(document, CRDS[document["kind"]])
        else:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    assert kinds >= {
        "Deployment",
        "Service",
        "ConfigMap",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ServiceMonitor",
        "PrometheusRule",
    }


def test_schema_validation_rejects_a_broken_deployment() -> None:
    """The validator is strict: an unknown field or a port as a word is refused."""
    deployment = yaml.safe_load(yaml.safe_dump(objects("base", "Deployment")["intake"]))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["prot"] = (
        8001
    )
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("target", TARGETS)
def test_no_secret_values_are_committed(target: str) -> None:
    assert not [o for o in rendered(target) if o["kind"] == "Secret"]
    for deployment in objects(target, "Deployment").values():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        refs = [source.get("secretRef", {}).get("name") for source in container["envFrom"]]
        assert "platform-secrets" in refs
        for variable in container.get("env", []):
            name = variable["name"]
            assert not any(word in name for word in ("TOKEN", "KEY", "PASSWORD")), name


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", SERVICES)
def test_each_service_has_probes_resources_and_its_companions(target: str, name: str) -> None:
    deployment = objects(target, "Deployment")[name]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["http"] == DEFAULT_PORTS[name]
    env = {v["name"]: v["value"] for v in container["env"]}
    assert env[f"{name.upper()}_HTTP_PORT"] == str(DEFAULT_PORTS[name])
    labels = deployment["spec"]["selector"]["matchLabels"]
    assert objects(target, "Service")[name]["spec"]["selector"] == labels
    assert objects(target, "PodDisruptionBudget")[name]["spec"]["selector"]["matchLabels"] == labels
    assert objects(target, "NetworkPolicy")[name]["spec"]["podSelector"]["matchLabels"] == labels
    hpa = objects(target, "HorizontalPodAutoscaler")[name]
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": name,
    }
    configs = [
        source["configMapRef"]["name"]
        for source in container["envFrom"]
        if "configMapRef" in source
    ]
    assert configs and set(configs) <= set(objects(target, "ConfigMap")), "hashed name resolved"


def replicas_beyond_partitions(
    partitions: int, hpas: dict[str, dict[str, Any]], deployments: dict[str, dict[str, Any]]
) -> list[str]:
    """The services whose replica bounds are not 1 <= min <= max <= partitions, or whose
    deployment starts with more replicas than its autoscaler allows."""
    return [
        name
        for name, hpa in hpas.items()
        if not 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] <= partitions
        or deployments[name]["spec"]["replicas"] > hpa["spec"]["maxReplicas"]
    ]


@pytest.mark.parametrize("target", TARGETS)
def test_replicas_are_bounded_by_the_partition_count(target: str) -> None:
    """A consumer group hands each partition to one member: more replicas would idle."""
    (config,) = objects(target, "ConfigMap").values()
    partitions = int(config["data"]["KAFKA_PARTITIONS"])
    hpas = objects(target, "HorizontalPodAutoscaler")
    assert set(hpas) == {"intake", "access", "retention", "surveys"}, "every consumer scales"
    assert replicas_beyond_partitions(partitions, hpas, objects(target, "Deployment")) == []


def test_the_replica_bound_check_catches_an_autoscaler_beyond_the_partitions() -> None:
    (config,) = objects("overlays/prod", "ConfigMap").values()
    partitions = int(config["data"]["KAFKA_PARTITIONS"])
    hpas = copy.deepcopy(objects("overlays/prod", "HorizontalPodAutoscaler"))
    hpas["access"]["spec"]["maxReplicas"] = partitions + 1
    deployments = objects("overlays/prod", "Deployment")
    assert replicas_beyond_partitions(partitions, hpas, deployments) == ["access"]


@pytest.mark.parametrize("target", TARGETS)
def test_network_policies_let_only_what_must_talk(target: str) -> None:
    policies = objects(target, "NetworkPolicy")
    assert policies["default-deny"]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }
    for name in SERVICES:
        spec = policies[name]["spec"]
        assert spec["policyTypes"] == ["Ingress", "Egress"]
        destinations = {
            peer["podSelector"]["matchLabels"].get("app.kubernetes.io/name")
            for rule in spec["egress"]
            for peer in rule["to"]
        }
        expected = {None, "kafka", "mongodb"} | ({"smtp-relay"} if name in MAIL_SENDERS else set())
        assert destinations == expected, name  # None: DNS (k8s-app=kube-dns)
        ingress_ports = {p["port"] for rule in spec["ingress"] for p in rule["ports"]}
        assert ingress_ports == {DEFAULT_PORTS[name]} | ({2525} if name == "intake" else set())


def test_overlays_differ_where_they_should() -> None:
    dev, prod = objects("overlays/dev", "Deployment"), objects("overlays/prod", "Deployment")
    assert {d["metadata"]["namespace"] for d in dev.values()} == {"support-dev"}
    assert {d["metadata"]["namespace"] for d in prod.values()} == {"support-prod"}
    for name in SERVICES:
        assert dev[name]["spec"]["replicas"] == 1
        assert prod[name]["spec"]["replicas"] >= 2
        image = prod[name]["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image == f"support-data-platform/{name}:1.0.0"
        assert objects("overlays/prod", "PodDisruptionBudget")[name]["spec"]["minAvailable"] >= 1
    (dev_config,) = objects("overlays/dev", "ConfigMap").values()
    assert dev_config["data"]["LOG_LEVEL"] == "DEBUG"
    (prod_config,) = objects("overlays/prod", "ConfigMap").values()
    assert "replicaSet=rs0" in prod_config["data"]["MONGODB_URL"]


def test_service_monitor_scrapes_every_service_s_metrics_port() -> None:
    (monitor,) = objects("base", "ServiceMonitor").values()
    selector = monitor["spec"]["selector"]["matchLabels"]
    for service in objects("base", "Service").values():
        assert selector.items() <= service["metadata"]["labels"].items()
        assert "http" in {port["name"] for port in service["spec"]["ports"]}
    assert monitor["spec"]["endpoints"][0] == {
        "port": "http",
        "path": "/metrics",
        "interval": "15s",
    }


@pytest.mark.parametrize("target", TARGETS)
def test_the_portal_reaches_only_the_services_it_calls(target: str) -> None:
    """The pages hold no data: no Kafka, no store, no mail; only intake, access and retention,
    each of which lets the portal in on its own port."""
    policies = objects(target, "NetworkPolicy")
    spec = policies["portal"]["spec"]
    destinations = {
        peer["podSelector"]["matchLabels"].get("app.kubernetes.io/name")
        for rule in spec["egress"]
        for peer in rule["to"]
    }
    assert destinations == {None, "intake", "access", "retention"}
    assert {p["port"] for rule in spec["ingress"] for p in rule["ports"]} == {8000}
    for name in ("intake", "access", "retention"):
        admitted = [
            rule
            for rule in policies[name]["spec"]["ingress"]
            for peer in rule.get("from", [])
            if peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name")
            == "portal"
        ]
        assert [p["port"] for rule in admitted for p in rule["ports"]] == [DEFAULT_PORTS[name]]
