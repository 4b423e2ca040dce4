"""access's wiring: create_app(settings) builds the service; nothing connects until it starts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from fastapi import FastAPI

from services.access import (
    account_store,
    accounts,
    audit_log,
    crm_ingress,
    customers,
    directory,
    handlers,
    http,
    http_accounts,
    privacy,
    read_ahead,
    repository,
)
from services.access.http import AccessHttp
from services.access.http_accounts import AccountsHttp
from services.access.mailer import MailDispatcher
from services.access.metrics import AccessMetrics
from services.access.settings import AccessSettings
from services.access.unit_of_work import (
    MongoAccessUnitOfWork,
    audited_read_factory,
)
from shared import erasure_progress, topics
from shared.clock import Clock
from shared.erasure_progress import ErasureProgress
from shared.events import CloudEvent
from shared.events import crm as crm_events
from shared.events.intake import (
    ContactRectified,
    ContactRegistered,
    MessageAdded,
    RequesterRectified,
    RequestReceived,
    StatusChanged,
)
from shared.events.sources import ACCESS
from shared.http import install_error_handlers
from shared.mail import MailSender
from shared.mongo import Transaction, in_transaction
from shared.participant import participant_handlers
from shared.service import Backbone, ServiceRuntime
from shared.stores import handled_in, unit_of_work_factory
from shared.tokens import Authenticator, KeyRing
from shared.wiring import wire

Handler = Callable[[CloudEvent, Transaction], Awaitable[None]]


def create_app(
    settings: AccessSettings, *, clock: Clock | None = None, backbone: Backbone | None = None
) -> FastAPI:
    runtime = ServiceRuntime(settings, clock=clock, backbone=backbone)
    keys, clock_ = runtime.keys, runtime.clock
    metrics = AccessMetrics(runtime.registry)
    database = runtime.runner.database
    policy = accounts.AccountPolicy(
        set_password_url=settings.public_base_url.rstrip("/") + "/accounts/set-password",
        link_lifetime=timedelta(hours=settings.set_password_link_hours),
        token_lifetime=timedelta(minutes=settings.token_lifetime_minutes),
        login_window=timedelta(minutes=settings.login_window_minutes),
        failures_per_account=settings.login_failures_per_account,
        failures_per_client=settings.login_failures_per_client,
    )

    on = handled_in(MongoAccessUnitOfWork)

    privacy_handlers = participant_handlers(
        participant="access",
        source=ACCESS,
        holdings=lambda tx: privacy.AccessHoldings(
            MongoAccessUnitOfWork.in_transaction(tx), tx, now=clock_.now()
        ),
        notes=lambda tx, erasure_id: ErasureProgress(tx.database, erasure_id, now=clock_.now()),
        keys=keys,
        clock=clock_,
        runner=runtime.runner,
    )
    runtime.consume(
        topics.SUPPORT_REQUESTS,
        {
            RequestReceived.event_type: on(
                lambda e, uow: handlers.record_request_received(e, uow=uow, keys=keys)
            ),
            MessageAdded.event_type: on(
                lambda e, uow: handlers.record_message_added(e, uow=uow, keys=keys)
            ),
            StatusChanged.event_type: on(lambda e, uow: handlers.record_status_changed(e, uow=uow)),
            RequesterRectified.event_type: on(
                lambda e, uow: handlers.record_requester_rectified(e, uow=uow, keys=keys)
            ),
        },
        batch=True,
        prepare=read_ahead.requests_read_ahead(keys=keys),
    )
    runtime.consume(
        topics.SUPPORT_CONTACTS,
        {
            ContactRegistered.event_type: on(
                lambda e, uow: accounts.register_contact(
                    e, uow=uow, keys=keys, policy=policy, clock=clock_
                )
            ),
            ContactRectified.event_type: privacy_handlers[ContactRectified.event_type],
        },
        batch=True,
        prepare=read_ahead.contacts_read_ahead(keys=keys),
    )
    runtime.consume(
        topics.CRM_CONTRACTS,
        {
            crm_events.ContractSigned.event_type: on(
                lambda e, uow: customers.contract_signed(
                    e, uow=uow, keys=keys, policy=policy, clock=clock_
                )
            ),
            crm_events.ContractTerminated.event_type: on(
                lambda e, uow: customers.contract_terminated(e, uow=uow)
            ),
            crm_events.ContractReinstated.event_type: on(
                lambda e, uow: customers.contract_reinstated(e, uow=uow)
            ),
        },
    )
    runtime.consume(
        topics.CRM_CONTACTS,
        {
            crm_events.ContactUpserted.event_type: on(
                lambda e, uow: customers.contact_upserted(
                    e, uow=uow, keys=keys, policy=policy, clock=clock_
                )
            ),
            crm_events.ContactLeftOrganization.event_type: on(
                lambda e, uow: customers.contact_left(e, uow=uow)
            ),
            crm_events.OfficialContactAppointed.event_type: on(
                lambda e, uow: customers.official_contact_appointed(e, uow=uow)
            ),
            crm_events.OfficialContactRevoked.event_type: on(
                lambda e, uow: customers.official_contact_revoked(e, uow=uow)
            ),
        },
    )
    ingress = on(lambda e, uow: crm_ingress.republish_sealed(e, uow=uow, keys=keys))
    runtime.consume(
        topics.CRM_INGRESS,
        {
            event_type: ingress
            for event_type in (
                *crm_ingress.PASSED_THROUGH,
                crm_events.IngressContractSigned.event_type,
                crm_events.IngressContactUpserted.event_type,
            )
        },
    )
    runtime.keep_briefly(topics.CRM_INGRESS, hours=settings.crm_ingress_retention_hours)
    runtime.consume(topics.PRIVACY_ERASURE, privacy_handlers)
    runtime.consume(topics.PRIVACY_DSR, privacy_handlers)
    runtime.produces(
        topics.ACCESS_AUDIT,
        topics.ACCESS_MEMBERSHIPS,
        topics.CRM_CONTRACTS,
        topics.CRM_CONTACTS,
        topics.PRIVACY_ERASURE,
        topics.PRIVACY_DSR,
    )
    unit_of_work = unit_of_work_factory(runtime.runner, runtime.relay.notify, MongoAccessUnitOfWork)
    audit_relay = runtime.relay_records(audit_log.AUDIT, order_by=audit_log.AUDIT_ORDER)
    audited_read = audited_read_factory(
        database, lambda: audit_relay.notify_soon(settings.read_audit_relay_seconds)
    )

    async def prepare_storage() -> None:
        await repository.create_indexes(database)
        await directory.create_indexes(database)
        await account_store.create_indexes(database, window=policy.login_window)
        await erasure_progress.create_indexes(database)
        while await in_transaction(
            unit_of_work, lambda uow: accounts.announce_earlier_links(uow=uow, now=clock_.now())
        ):
            pass
        await in_transaction(
            unit_of_work,
            lambda uow: accounts.bootstrap_admin(
                email=settings.bootstrap_admin_email,
                password=settings.bootstrap_admin_password.get_secret_value(),
                uow=uow,
                clock=clock_,
            ),
        )

    runtime.on_startup(prepare_storage)
    dispatcher = MailDispatcher(
        mailbox=account_store.MongoMailbox(database),
        sender=MailSender.from_settings(settings),
        metrics=metrics,
        poll_seconds=settings.outbox_poll_seconds,
        retry_seconds=settings.mail_retry_seconds,
    )
    runtime.background(dispatcher.run, name="mail-dispatcher")

    app = FastAPI(title="access", version="0.2.0", lifespan=runtime.lifespan)
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(runtime.health_router())
    token_keys = KeyRing.parse(settings.token_signing_keys.get_secret_value())
    wire(
        app,
        Authenticator(keys=token_keys, staff_token=settings.staff_token),
        AccessHttp(
            unit_of_work=unit_of_work,
            audited_read=audited_read,
            audit=audit_log.MongoAuditLog(database),
            clock=clock_,
            metrics=metrics,
            token_keys=token_keys,
        ),
        AccountsHttp(
            unit_of_work=unit_of_work,
            account_store=account_store.MongoAccounts(database),
            staff_store=account_store.MongoStaff(database),
            failures=account_store.MongoLoginFailures(database),
            policy=policy,
            keys=token_keys,
            clock=clock_,
            metrics=metrics,
            picture_max_bytes=settings.picture_max_bytes,
            picture_max_pixels=settings.picture_max_pixels,
        ),
    )
    app.include_router(http.router)
    app.include_router(http_accounts.router)
    return app
