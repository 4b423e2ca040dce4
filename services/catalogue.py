"""The four services in one place: name, default HTTP port, settings class and app factory.

The local stack, the AsyncAPI documents, the bench and the tests all read this catalogue, so a
service is added here once. Nothing of a service is imported until asked for: the local
stack's supervisor reads names and ports without loading any service."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, cast

from fastapi import FastAPI

from shared.settings import ServiceSettings


@dataclass(frozen=True)
class Service:
    name: str
    port: int
    settings_class_name: str

    @property
    def settings_class(self) -> type[ServiceSettings]:
        module = importlib.import_module(f"services.{self.name}.settings")
        return cast(type[ServiceSettings], getattr(module, self.settings_class_name))

    def settings(self) -> ServiceSettings:
        """The service's settings, read from the environment now."""
        return self.settings_class()

    def create_app(self, settings: ServiceSettings | None = None, **wiring: Any) -> FastAPI:
        """The service's app (wired, not started), with these settings or the environment's;
        `wiring` goes to its `create_app` as is (a clock, a backbone: the in-memory layer)."""
        module = importlib.import_module(f"services.{self.name}.app")
        chosen = settings if settings is not None else self.settings()
        return cast(FastAPI, module.create_app(chosen, **wiring))


CATALOGUE: dict[str, Service] = {
    service.name: service
    for service in (
        Service("intake", 8001, "IntakeSettings"),
        Service("access", 8002, "AccessSettings"),
        Service("retention", 8003, "RetentionSettings"),
        Service("surveys", 8004, "SurveySettings"),
    )
}
