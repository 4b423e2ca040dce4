"""At the HTTP edge: hostile tokens get 401 with a reason, and brute-force loops on login and on the
web channel hit their rate limits (429 with Retry-After) instead of getting through."""

from __future__ import annotations

from uuid import uuid4

from tests.hostile.conftest import Started
from tests.security.test_token_forgery import hostile_tokens
from tests.support.reliability import profile, record

ADMIN_EMAIL = "admin@support.example"
ADMIN_PASSWORD = "admin-password-long-enough"
ATTEMPTS = {"short": 15, "full": 400}


async def test_protected_routes_refuse_every_hostile_token(start_service: Started) -> None:
    env = {
        "ACCESS_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
        "ACCESS_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    async with start_service("access", **env) as (_app, http):
        login = await http.post("/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert login.status_code == 200
        good = login.json()["access_token"]
        assert (await http.get("/me", headers={"Authorization": f"Bearer {good}"})).json()[
            "role"
        ] == "admin"
        header, payload, _signature = good.split(".")
        presented = {
            **hostile_tokens(),
            "access token, signature cut": f"{header}.{payload}.",
            "no Authorization header": None,
            "Basic instead of Bearer": "Basic",
        }
        refused = 0
        for name, token in presented.items():
            if token is None:
                headers = {}
            elif token == "Basic":
                headers = {"Authorization": "Basic YWRtaW46YWRtaW4="}
            else:
                headers = {"Authorization": f"Bearer {token}"}
            response = await http.get("/me", headers=headers)
            assert response.status_code == 401, name
            assert response.json()["detail"], name
            refused += 1
    record(
        "security",
        "hostile bearer tokens",
        tried=len(presented),
        survived=refused,
        violations=len(presented) - refused,
        detail="forged, expired, wrong key/kid/audience/issuer, alg none, HS512, no exp: all 401",
    )


async def test_login_brute_force_is_throttled_even_for_the_right_password(
    start_service: Started,
) -> None:
    env = {
        "ACCESS_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
        "ACCESS_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    async with start_service("access", **env) as (_app, http):
        statuses = []
        for attempt in range(ATTEMPTS[profile()]):
            guess = {"email": ADMIN_EMAIL, "password": f"guess-{attempt}"}
            statuses.append((await http.post("/login", json=guess)).status_code)
        right = await http.post("/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        sprayed = []
        for attempt in range(20):
            guess = {"email": f"nobody{attempt}@example.org", "password": "Password1"}
            sprayed.append(await http.post("/login", json=guess))
    let_through = statuses.count(200) + (right.status_code == 200)
    record(
        "security",
        "login brute force",
        tried=len(statuses) + 1 + len(sprayed),
        survived=len(statuses) + 1 + len(sprayed) - let_through,
        violations=let_through,
        detail="5 failures per account, 20 per client in the window; then 429",
    )
    assert set(statuses[:5]) == {401}
    assert set(statuses[5:]) == {429}
    assert right.status_code == 429  # the account is locked for the window, right password or not
    assert right.headers["Retry-After"]
    sprayed_statuses = [response.status_code for response in sprayed]
    # the client's own budget (20 failures in the window, 5 spent above) runs out while spraying
    assert sprayed_statuses == [401] * 15 + [429] * 5
    assert all(response.json()["detail"] for response in sprayed)


async def test_web_intake_flood_is_held_to_the_burst(start_service: Started) -> None:
    attempts = ATTEMPTS[profile()]
    async with start_service(
        "intake", INTAKE_WEB_RATE_BURST="5", INTAKE_WEB_RATE_PER_MINUTE="1"
    ) as (
        _app,
        http,
    ):
        responses = []
        for _ in range(attempts):
            submission = {
                "full_name": "Flood Sender",
                "email": f"flood.{uuid4().hex[:8]}@example.org",
                "subject": "flood",
                "body": "flood",
            }
            responses.append(await http.post("/requests", json=submission))
    accepted = sum(response.status_code == 202 for response in responses)
    throttled = [response for response in responses if response.status_code == 429]
    record(
        "security",
        "web intake flood",
        tried=attempts,
        survived=attempts - max(0, accepted - 6),
        violations=max(0, accepted - 6),
        detail="burst 5, 1 per minute: everything past the burst gets 429 with Retry-After",
    )
    assert 5 <= accepted <= 6  # the burst, plus at most one refilled token
    assert len(throttled) == attempts - accepted
    assert all(response.headers["Retry-After"] for response in throttled)
    assert all(response.json()["detail"] for response in throttled)
