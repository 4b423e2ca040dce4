"""The specification of P6: every HTTP route of access, for every role, allowed or denied.

Real HTTP (ASGI), real Kafka, real storage; every principal logged in through POST /login.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx

from tests.component.access.conftest import PASSWORD, Access
from tests.component.access.scenario import ORG_A, World, build_world, png

ROLES = (
    "anonymous",
    "requester",
    "other_requester",
    "representative",
    "former_representative",
    "official_contact",
    "official_contact_other_org",
    "colleague_with_grant",
    "colleague_with_expired_grant",
    "support_staff",
    "admin",
)
PEOPLE = {
    "requester",
    "other_requester",
    "representative",
    "former_representative",
    "official_contact",
    "official_contact_other_org",
}

# which requests each role may read (P6)
READABLE: dict[str, set[str]] = {
    "anonymous": set(),
    "requester": {"of_requester"},
    "other_requester": {"of_other_requester"},
    "representative": {"of_representative"},
    "former_representative": {"of_former_own"},
    "official_contact": {"of_representative", "of_former_for_org"},
    "official_contact_other_org": {"of_other_org"},
    "colleague_with_grant": {"of_representative"},
    "colleague_with_expired_grant": set(),
    "support_staff": {
        "of_requester",
        "of_other_requester",
        "of_representative",
        "of_former_for_org",
        "of_former_own",
        "of_other_org",
    },
    "admin": set(),
}


def by_role(
    *, anonymous: int, people: int, colleagues: int, support_staff: int, admin: int
) -> dict[str, int]:
    expected = {"anonymous": anonymous, "support_staff": support_staff, "admin": admin}
    expected |= {role: people for role in PEOPLE}
    expected |= {r: colleagues for r in ("colleague_with_grant", "colleague_with_expired_grant")}
    return expected


Action = Callable[[World, str], Awaitable[httpx.Response]]


async def test_every_route_for_every_role(access: Access) -> None:
    world = await build_world(access)
    http = access.http
    wrong: list[str] = []

    def check(action: str, role: str, got: int, want: int) -> None:
        if got != want:
            wrong.append(f"{action} as {role}: got {got}, want {want}")

    # GET /requests/{id}: 200 for readable, an indistinguishable 404 otherwise, 401 anonymous
    for role in ROLES:
        for name, request_id in world.requests.items():
            response = await http.get(f"/requests/{request_id}", headers=world.headers(role))
            want = 401 if role == "anonymous" else 200 if name in READABLE[role] else 404
            check(f"GET /requests/{{{name}}}", role, response.status_code, want)
            if want == 404:
                assert response.json() == {"detail": "no such request"}

    # GET /requests: exactly the readable ones, filtered in the query
    ours = {v: k for k, v in world.requests.items()}
    for role in ROLES:
        response = await http.get("/requests", headers=world.headers(role))
        if role == "anonymous":
            check("GET /requests", role, response.status_code, 401)
            continue
        check("GET /requests", role, response.status_code, 200)
        seen = {ours[r["request_id"]] for r in response.json() if r["request_id"] in ours}
        if seen != READABLE[role]:
            wrong.append(f"GET /requests as {role}: saw {sorted(seen)}")

    # share and revoke: support staff only; to anyone else the request is not there
    target = world.requests["of_requester"]
    share = {
        "colleague_id": world.ids["colleague_with_grant"],
        "reason": "second opinion",
        "expires_at": (access.clock.now() + timedelta(days=1)).isoformat(),
    }
    grant_ids = []
    for role in ROLES:
        response = await http.post(
            f"/requests/{target}/share-grants", headers=world.headers(role), json=share
        )
        want = by_role(anonymous=401, people=404, colleagues=404, support_staff=201, admin=404)
        check("POST /requests/{id}/share-grants", role, response.status_code, want[role])
        if response.status_code == 201:
            grant_ids.append(response.json()["grant_id"])
    [grant_id] = grant_ids
    for role in (*ROLES[:-2], "admin", "support_staff"):
        response = await http.delete(f"/share-grants/{grant_id}", headers=world.headers(role))
        want = by_role(anonymous=401, people=404, colleagues=404, support_staff=200, admin=404)
        check("DELETE /share-grants/{id}", role, response.status_code, want[role])

    # admin routes
    admin_only = by_role(anonymous=401, people=403, colleagues=403, support_staff=403, admin=200)
    for role in ROLES:
        response = await http.get("/audit", headers=world.headers(role))
        check("GET /audit", role, response.status_code, admin_only[role])
        response = await http.get("/staff", headers=world.headers(role))
        check("GET /staff", role, response.status_code, admin_only[role])
        new = {"email": f"new.{role}@support.example", "role": "colleague", "password": PASSWORD}
        response = await http.post("/staff", headers=world.headers(role), json=new)
        check(
            "POST /staff", role, response.status_code, 201 if role == "admin" else admin_only[role]
        )
    victim = (await http.get("/staff", headers=world.headers("admin"))).json()
    victim_id = next(
        m["staff_id"]
        for m in victim
        if m["role"] == "colleague" and m["staff_id"] not in world.ids.values()
    )
    for role in (*ROLES[:-1], "admin"):
        response = await http.delete(f"/staff/{victim_id}", headers=world.headers(role))
        check(
            "DELETE /staff/{id}",
            role,
            response.status_code,
            204 if role == "admin" else admin_only[role],
        )

    # the caller's own account: everyone signed in; pictures are for requester accounts
    picture = png()
    own = by_role(anonymous=401, people=200, colleagues=200, support_staff=200, admin=200)
    account = by_role(anonymous=401, people=204, colleagues=404, support_staff=404, admin=404)
    fetched = by_role(anonymous=401, people=200, colleagues=404, support_staff=404, admin=404)
    for role in ROLES:
        headers = world.headers(role)
        check("GET /me", role, (await http.get("/me", headers=headers)).status_code, own[role])
        put = await http.put(
            "/me/picture", headers={**headers, "Content-Type": "image/png"}, content=picture
        )
        check("PUT /me/picture", role, put.status_code, account[role])
        got = await http.get("/me/picture", headers=headers)
        check("GET /me/picture", role, got.status_code, fetched[role])
        gone = await http.delete("/me/picture", headers=headers)
        check("DELETE /me/picture", role, gone.status_code, account[role])

    # public routes answer the same whoever calls
    for role in ROLES:
        headers = world.headers(role)
        login = await http.post(
            "/login", headers=headers, json={"email": f"nobody.{role}@example.org", "password": "x"}
        )
        check("POST /login (wrong)", role, login.status_code, 401)
        link = await http.post(
            "/accounts/set-password",
            headers=headers,
            json={"token": "not-a-real-token-at-all", "password": PASSWORD},
        )
        check("POST /accounts/set-password (bad link)", role, link.status_code, 422)
        check("GET /healthz", role, (await http.get("/healthz", headers=headers)).status_code, 200)

    assert not wrong, "\n".join(wrong)

    # every read was audited with its ground; the trail holds ids only
    trail = await http.get(
        "/audit",
        params={"request_id": world.requests["of_representative"]},
        headers=world.headers("admin"),
    )
    grounds = {
        (a["reader_id"], a["ground"], a["grant_id"], a["organisation_id"]) for a in trail.json()
    }
    assert (world.ids["support_staff"], "support_staff", None, None) in grounds
    assert (
        world.ids["colleague_with_grant"],
        "share_grant",
        world.grants["colleague_with_grant"],
        None,
    ) in grounds
    assert (world.ids["official_contact"], "official_contact", None, ORG_A) in grounds
    assert (world.ids["representative_account"], "requester", None, None) in grounds
    assert world.ids["colleague_with_expired_grant"] not in {g[0] for g in grounds}
