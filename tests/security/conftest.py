"""Security checks start services in-process the same way the hostile-input suite does."""

from tests.hostile.conftest import producer, start_service

__all__ = ["producer", "start_service"]
