"""The deploy validation tools `make tools` installs into .cache/tools, and PromQL metric names."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from tests.deploy.dockerfiles import REPO

TOOLS = REPO / ".cache" / "tools"
KUSTOMIZE = TOOLS / "bin" / "kustomize"
PROMTOOL = TOOLS / "bin" / "promtool"
COMPOSE_SCHEMA = TOOLS / "compose-spec.json"
PROMETHEUS = REPO / "deploy" / "prometheus"
GRAFANA = REPO / "deploy" / "grafana"
K8S = REPO / "deploy" / "k8s"

KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "bool", "offset"}
KEYWORDS |= {"group_left", "group_right", "inf", "nan"}
NAME_MATCHER = re.compile(r'__name__\s*=~?\s*"([^"]*)"')


def tool(path: Path, *arguments: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """Run one of the installed tools; a missing tool is a failure (`make tools` installs it)."""
    assert path.is_file(), f"{path} is missing: run `make tools`"
    return subprocess.run(
        [str(path), *arguments], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def _expand(pattern: str) -> set[str]:
    """`(a|b)_suffix` -> {a_suffix, b_suffix}: the only regex form the rules use for names."""
    match = re.fullmatch(r"\(([\w|]+)\)(\w+)", pattern)
    assert match or re.fullmatch(r"\w+", pattern), f"unsupported metric name pattern {pattern}"
    if match is None:
        return {pattern}
    return {prefix + match[2] for prefix in match[1].split("|")}


def metric_names(expression: str) -> set[str]:
    """The metric names one PromQL expression reads."""
    names: set[str] = set()
    for pattern in NAME_MATCHER.findall(expression):
        names |= _expand(pattern)
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)  # string literals
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # range and subquery selectors
    text = re.sub(
        r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text
    )  # grouping labels
    for match in re.finditer(r"\b([a-zA-Z_:][\w:]*)\b(\s*\()?", text):
        word, call = match[1], match[2]
        if call or word.lower() in KEYWORDS or re.fullmatch(r"\d+\w*", word):
            continue
        names.add(word)
    return names


def alert_rules() -> list[dict[str, Any]]:
    import yaml

    document: dict[str, Any] = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboards() -> dict[str, dict[str, Any]]:
    return {
        path.stem: json.loads(path.read_text())
        for path in sorted((GRAFANA / "dashboards").glob("*.json"))
    }


def dashboard_expressions() -> list[str]:
    return [
        target["expr"]
        for board in dashboards().values()
        for panel in board["panels"]
        for target in panel.get("targets", [])
    ]
