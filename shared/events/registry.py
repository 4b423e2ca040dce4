"""Every event type the system knows, by CloudEvents `type`. Add new types to `_ALL`."""

from __future__ import annotations

from shared.events.access import ACCESS_EVENTS
from shared.events.base import EventData
from shared.events.channels import CHANNEL_EVENTS
from shared.events.crm import CRM_EVENTS, INGRESS_EVENTS
from shared.events.intake import (
    ContactRectified,
    ContactRegistered,
    MessageAdded,
    OrganisationChanged,
    RequesterRectified,
    RequestReceived,
    StatusChanged,
)
from shared.events.legal import LegalHoldPlaced, LegalHoldReleased
from shared.events.privacy import (
    ErasureCompleted,
    ErasureRequested,
    ExportContributed,
    ExportRequested,
    RectificationRequested,
    RequestsErased,
)
from shared.events.surveys import SurveyResponseRecorded

_ALL: tuple[type[EventData], ...] = (
    RectificationRequested,
    LegalHoldPlaced,
    LegalHoldReleased,
    RequestReceived,
    MessageAdded,
    StatusChanged,
    OrganisationChanged,
    RequesterRectified,
    ContactRegistered,
    ContactRectified,
    ErasureRequested,
    ErasureCompleted,
    RequestsErased,
    ExportRequested,
    ExportContributed,
    SurveyResponseRecorded,
    *CRM_EVENTS,
    *INGRESS_EVENTS,
    *ACCESS_EVENTS,
    *CHANNEL_EVENTS,
)

EVENT_TYPES: dict[str, type[EventData]] = {model.event_type: model for model in _ALL}


def data_model_for(event_type: str) -> type[EventData]:
    return EVENT_TYPES[event_type]
