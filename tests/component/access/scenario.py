"""A populated access instance: two customer organisations, requesters, staff and grants.

Everybody logs in for real (mailed link, set password, POST /login); the CRM and intake events
go through real Kafka. Used by the role x action matrix and the audit tests.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import uuid4

from PIL import Image

from shared.events.crm import ContactLeftOrganization
from tests.component.access.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Access, bearer, days
from tests.support.apps import eventually

ORG_A = "org-a"
ORG_B = "org-b"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


@dataclass
class World:
    access: Access
    tokens: dict[str, str | None] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    requests: dict[str, str] = field(default_factory=dict)
    grants: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        token = self.tokens[role]
        return bearer(token) if token else {}


def _email(name: str) -> str:
    return f"{name}.{uuid4().hex[:6]}@example.org"


async def build_world(access: Access) -> World:
    """Set up every role of the matrix; grant C2's share expires before the clock moves on."""
    world = World(access=access)
    t0 = access.clock.now() - days(1)
    world.tokens["anonymous"] = None
    admin = await access.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    world.tokens["admin"] = admin
    for role, staff_role in (
        ("support_staff", "support_staff"),
        ("colleague_with_grant", "colleague"),
        ("colleague_with_expired_grant", "colleague"),
    ):
        world.ids[role], world.tokens[role] = await access.add_staff(admin, staff_role)

    emails = {
        name: _email(name)
        for name in (
            "requester",
            "other_requester",
            "representative",
            "former_representative",
            "official_contact",
            "official_contact_other_org",
        )
    }
    for name in emails:
        world.ids[name] = str(uuid4())
    await access.sign_contract(
        ORG_A,
        contacts={
            world.ids[n]: emails[n]
            for n in ("representative", "former_representative", "official_contact")
        },
        official=world.ids["official_contact"],
        at=t0,
    )
    other = world.ids["official_contact_other_org"]
    await access.sign_contract(
        ORG_B, contacts={other: emails["official_contact_other_org"]}, official=other, at=t0
    )
    for name in ("requester", "other_requester"):
        await access.register_contact(world.ids[name], emails[name])
    # intake knows the representative under its own contact id; access links them by email
    representative_at_intake = str(uuid4())
    await access.register_contact(representative_at_intake, emails["representative"])
    for name, email in emails.items():
        world.tokens[name] = await access.activate(email)

    async def linked() -> str | None:
        # one account per person, named by whichever of the two events access read first
        account = await access.document("accounts", {"email_normalised": emails["representative"]})
        both = {world.ids["representative"], representative_at_intake}
        return str(account["_id"]) if account and both <= set(account["contact_ids"]) else None

    world.ids["representative_account"] = await eventually(linked)

    def receive(name: str, requester_id: str, at_hour: float):  # type: ignore[no-untyped-def]
        return access.receive_request(
            requester_id=requester_id, email=emails[name], at=t0 + timedelta(hours=at_hour)
        )

    world.requests["of_requester"] = await receive("requester", world.ids["requester"], 1)
    world.requests["of_other_requester"] = await receive(
        "other_requester", world.ids["other_requester"], 1
    )
    world.requests["of_representative"] = await receive(
        "representative", representative_at_intake, 1
    )
    world.requests["of_former_for_org"] = await receive(
        "former_representative", world.ids["former_representative"], 1
    )
    # the official contact of ORG_B writes in: access finds it is ORG_B's from the CRM
    world.requests["of_other_org"] = await receive("official_contact_other_org", other, 1)
    await access.publish(
        ContactLeftOrganization(
            organisation_id=ORG_A,
            contact_id=world.ids["former_representative"],
            left_at=t0 + timedelta(hours=2),
        ),
        subject=ORG_A,
    )

    async def left() -> bool:
        rep = await access.document(
            "representatives", {"contact_id": world.ids["former_representative"]}
        )
        return bool(rep and rep["member"] is False)

    await eventually(left)
    world.requests["of_former_own"] = await receive(
        "former_representative", world.ids["former_representative"], 3
    )

    support = world.headers("support_staff")
    for colleague, lifetime in (
        ("colleague_with_grant", days(30)),
        ("colleague_with_expired_grant", timedelta(hours=1)),
    ):
        response = await access.http.post(
            f"/requests/{world.requests['of_representative']}/share-grants",
            headers=support,
            json={
                "colleague_id": world.ids[colleague],
                "reason": "needs the billing team's view",
                "expires_at": (access.clock.now() + lifetime).isoformat(),
            },
        )
        assert response.status_code == 201, response.text
        world.grants[colleague] = response.json()["grant_id"]
    access.clock.advance(timedelta(hours=2))
    return world
