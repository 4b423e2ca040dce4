"""The registry of topic names. Topics are per aggregate and keyed by aggregate id."""

from __future__ import annotations

from typing import Final

WEB_INTAKE: Final = "intake.web"
EMAIL_INTAKE: Final = "intake.email"
PHONE_INTAKE: Final = "intake.phone"
SUPPORT_REQUESTS: Final = "support.requests"
SUPPORT_CONTACTS: Final = "support.contacts"
CRM_CONTRACTS: Final = "crm.contracts"
CRM_CONTACTS: Final = "crm.contacts"
CRM_INGRESS: Final = "crm.ingress"
"""Where an outside CRM publishes with contact details in clear (kept days); access seals them
and republishes on crm.contracts and crm.contacts."""
LEGAL_HOLDS: Final = "legal.holds"
PRIVACY_ERASURE: Final = "privacy.erasure"
PRIVACY_DSR: Final = "privacy.dsr"
SURVEYS: Final = "surveys"
ACCESS_AUDIT: Final = "access.audit"
ACCESS_MEMBERSHIPS: Final = "access.memberships"
"""access's decision of which customer organisation a request belongs to (keyed by request id)."""

ALL: Final = (
    WEB_INTAKE,
    EMAIL_INTAKE,
    PHONE_INTAKE,
    SUPPORT_REQUESTS,
    SUPPORT_CONTACTS,
    CRM_CONTRACTS,
    CRM_CONTACTS,
    CRM_INGRESS,
    LEGAL_HOLDS,
    PRIVACY_ERASURE,
    PRIVACY_DSR,
    SURVEYS,
    ACCESS_AUDIT,
    ACCESS_MEMBERSHIPS,
)

DEAD_LETTER_SUFFIX: Final = ".dlq"


def dead_letter_topic(topic: str) -> str:
    """The dead-letter topic of a consumed topic."""
    return topic + DEAD_LETTER_SUFFIX
