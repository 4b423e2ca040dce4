"""access's HTTP API for people: login, set-password links, profile pictures, staff admin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Body, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from services.access import accounts, handlers
from services.access.account_store import MongoAccounts, MongoLoginFailures, MongoStaff
from services.access.domain import StaffRole, administers
from services.access.metrics import AccessMetrics
from services.access.pictures import PictureRejectedError, clean_picture
from services.access.ports import Accounts, Record
from services.access.unit_of_work import UnitOfWorkFactory
from shared.clock import Clock
from shared.mongo import in_transaction
from shared.tokens import Caller, KeyRing, Principal
from shared.wiring import wired

LOGIN_FAILED = "email or password is wrong"


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)


class SetPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=16, max_length=200)
    password: str = Field(min_length=12, max_length=256)


class LinkWanted(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320)


class NewStaff(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    role: StaffRole
    password: str = Field(min_length=12, max_length=256)


class StaffOut(BaseModel):
    staff_id: str
    role: str


class MeOut(BaseModel):
    principal_id: str
    role: str
    has_profile_picture: bool = False


@dataclass(frozen=True)
class AccountsHttp:
    """What these routes need, wired by create_app."""

    unit_of_work: UnitOfWorkFactory
    account_store: MongoAccounts
    staff_store: MongoStaff
    failures: MongoLoginFailures
    policy: accounts.AccountPolicy
    keys: KeyRing
    clock: Clock
    metrics: AccessMetrics
    picture_max_bytes: int
    picture_max_pixels: int


Ctx = Annotated[AccountsHttp, Depends(wired(AccountsHttp))]

router = APIRouter(tags=["accounts"])


@router.post("/login", response_model=TokenOut)
async def login(ctx: Ctx, credentials: Login, request: Request) -> TokenOut:
    """A short-lived signed token; throttled per account and per client."""
    try:
        token = await accounts.login(
            email=credentials.email,
            password=credentials.password,
            client=request.client.host if request.client else "unknown",
            accounts=ctx.account_store,
            staff=ctx.staff_store,
            failures=ctx.failures,
            policy=ctx.policy,
            keys=ctx.keys,
            clock=ctx.clock,
        )
    except accounts.LoginThrottledError:
        ctx.metrics.logins.labels(outcome="throttled").inc()
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many failed logins; try again later",
            headers={"Retry-After": str(int(ctx.policy.login_window.total_seconds()))},
        ) from None
    except accounts.LoginFailedError:
        ctx.metrics.logins.labels(outcome="failed").inc()
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, LOGIN_FAILED) from None
    ctx.metrics.logins.labels(outcome="ok").inc()
    return TokenOut(access_token=token)


@router.post("/accounts/set-password", status_code=status.HTTP_204_NO_CONTENT)
async def set_password(ctx: Ctx, link: SetPassword) -> Response:
    """Spend a one-time link from the account mail to set the password."""
    try:
        await in_transaction(
            ctx.unit_of_work,
            lambda uow: accounts.set_password(
                token=link.token, password=link.password, uow=uow, clock=ctx.clock
            ),
        )
    except handlers.RejectedError as error:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"field": error.field, "rule": error.rule, "message": "link is not usable"}],
        ) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/accounts/set-password-links",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,
    responses={202: {"description": "Accepted; a link is mailed if the address has an account."}},
)
async def new_set_password_link(ctx: Ctx, wanted: LinkWanted) -> Response:
    """Mail a new set-password link (an expired link, a forgotten password). The answer is
    the same whether or not the address has an account."""
    await in_transaction(
        ctx.unit_of_work,
        lambda uow: accounts.new_link(
            email=wanted.email, uow=uow, policy=ctx.policy, now=ctx.clock.now()
        ),
    )
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.get("/me", response_model=MeOut)
async def me(ctx: Ctx, caller: Caller) -> MeOut:
    """Who the token names."""
    account = await ctx.account_store.by_contact(caller.principal_id)
    picture = bool(caller.role == "requester" and account and account.get("picture"))
    return MeOut(principal_id=caller.principal_id, role=caller.role, has_profile_picture=picture)


@router.put("/me/picture", status_code=status.HTTP_204_NO_CONTENT)
async def upload_picture(ctx: Ctx, request: Request, caller: Caller) -> Response:
    """A profile picture (PNG or JPEG body), re-encoded without its metadata."""
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > ctx.picture_max_bytes:
            raise _picture_rejected("too_many_bytes")
    try:
        clean, media_type = clean_picture(
            bytes(raw), max_bytes=ctx.picture_max_bytes, max_pixels=ctx.picture_max_pixels
        )
    except PictureRejectedError as error:
        raise _picture_rejected(error.rule) from None
    kept = {"media_type": media_type, "data": clean}
    try:
        await in_transaction(
            ctx.unit_of_work, lambda uow: accounts.set_picture(caller, kept, uow=uow)
        )
    except handlers.NotFoundError:
        raise _no_account() from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/me/picture",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}, "image/jpeg": {}}, "description": "The picture."}
    },
)
async def picture(ctx: Ctx, caller: Caller) -> Response:
    """The caller's profile picture."""
    account = await _account(caller, ctx.account_store)
    if not account.get("picture"):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no picture")
    return Response(bytes(account["picture"]["data"]), media_type=account["picture"]["media_type"])


@router.delete("/me/picture", status_code=status.HTTP_204_NO_CONTENT)
async def delete_picture(ctx: Ctx, caller: Caller) -> Response:
    try:
        await in_transaction(
            ctx.unit_of_work, lambda uow: accounts.set_picture(caller, None, uow=uow)
        )
    except handlers.NotFoundError:
        raise _no_account() from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/staff", response_model=StaffOut, status_code=status.HTTP_201_CREATED)
async def add_staff(ctx: Ctx, member: Annotated[NewStaff, Body()], caller: Caller) -> StaffOut:
    """Admins add support staff, colleagues and admins."""
    _require_admin(caller)
    try:
        added = await in_transaction(
            ctx.unit_of_work,
            lambda uow: accounts.add_staff(
                email=str(member.email),
                role=member.role,
                password=member.password,
                uow=uow,
                clock=ctx.clock,
            ),
        )
    except handlers.RejectedError as error:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"field": error.field, "rule": error.rule, "message": "breaks a rule"}],
        ) from None
    return StaffOut(staff_id=added["_id"], role=added["role"])


@router.get("/staff", response_model=list[StaffOut])
async def list_staff(ctx: Ctx, caller: Caller) -> list[StaffOut]:
    _require_admin(caller)
    return [StaffOut(staff_id=m["_id"], role=m["role"]) for m in await ctx.staff_store.all()]


@router.delete("/staff/{staff_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_staff(ctx: Ctx, staff_id: str, caller: Caller) -> Response:
    _require_admin(caller)
    try:
        await in_transaction(ctx.unit_of_work, lambda uow: accounts.remove_staff(staff_id, uow=uow))
    except handlers.NotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such staff member") from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _account(caller: Principal, store: Accounts) -> Record:
    try:
        return await accounts.account_of(caller, accounts=store)
    except handlers.NotFoundError:
        raise _no_account() from None


def _no_account() -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, "no such account")


def _require_admin(caller: Principal) -> None:
    if not administers(caller):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admins only")


def _picture_rejected(rule: str) -> HTTPException:
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        [{"field": "picture", "rule": rule, "message": "PNG or JPEG within the limits"}],
    )
