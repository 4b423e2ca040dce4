"""Reading the services' Dockerfiles and the project's runtime dependencies, for the tests."""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Dockerfile:
    """A Dockerfile as (instruction, arguments) pairs, continuations joined, comments dropped."""

    name: str
    instructions: tuple[tuple[str, str], ...]

    @staticmethod
    @cache
    def of(name: str) -> Dockerfile:
        text = (REPO / "services" / name / "Dockerfile").read_text()
        lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
        joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
        pairs = []
        for line in joined.splitlines():
            if line.strip():
                keyword, _, arguments = line.strip().partition(" ")
                pairs.append((keyword.upper(), arguments.strip()))
        return Dockerfile(name, tuple(pairs)).resolved()

    @property
    def build_arguments(self) -> dict[str, str]:
        """The ARG defaults declared before the first FROM (the per-service header)."""
        found = {}
        for keyword, arguments in self.instructions:
            if keyword == "FROM":
                break
            if keyword == "ARG" and "=" in arguments:
                key, value = arguments.split("=", 1)
                found[key] = value
        return found

    def resolved(self) -> Dockerfile:
        """`${ARG}` replaced by its default everywhere but in the ARG lines themselves."""
        arguments = self.build_arguments

        def substitute(text: str) -> str:
            return re.sub(r"\$\{(\w+)\}", lambda m: arguments.get(m[1], m[0]), text)

        pairs = tuple(
            (keyword, text if keyword == "ARG" else substitute(text))
            for keyword, text in self.instructions
        )
        return Dockerfile(self.name, pairs)

    def instruction(self, keyword: str) -> list[str]:
        return [arguments for found, arguments in self.instructions if found == keyword]

    @property
    def final_stage(self) -> list[tuple[str, str]]:
        starts = [i for i, (keyword, _) in enumerate(self.instructions) if keyword == "FROM"]
        return list(self.instructions[starts[-1] :])

    @property
    def environment(self) -> dict[str, str]:
        """The final stage's ENV, less PATH (which points into the image's venv)."""
        found = {}
        for keyword, arguments in self.final_stage:
            if keyword == "ENV":
                found.update(item.split("=", 1) for item in shlex.split(arguments))
        found.pop("PATH", None)
        return found

    @property
    def copies(self) -> list[tuple[list[str], str]]:
        """The final stage's COPY lines from the build context: (sources, destination)."""
        found = []
        for keyword, arguments in self.final_stage:
            words = shlex.split(arguments)
            if keyword == "COPY" and not any(w.startswith("--from") for w in words):
                paths = [word for word in words if not word.startswith("--")]
                found.append((paths[:-1], paths[-1]))
        return found


def runtime_distributions() -> set[str]:
    """pyproject's [project].dependencies and everything they pull in, extras honoured."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    pending = [Requirement(text) for text in pyproject["project"]["dependencies"]]
    seen: set[tuple[str, str]] = set()  # (distribution, extra): `pydantic[email]` != `pydantic`
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        extras = {extra for extra in {"", *requirement.extras} if (name, extra) not in seen}
        if not extras:
            continue
        seen.update((name, extra) for extra in extras)
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            child = Requirement(text)
            if child.marker is None or any(child.marker.evaluate({"extra": e}) for e in extras):
                pending.append(child)
    return {name for name, _ in seen}
