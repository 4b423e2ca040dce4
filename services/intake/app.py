"""intake's wiring: create_app(settings) builds the service; nothing connects until it starts."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake import http, repository, representatives, upgrades, web_form
from services.intake.acknowledgements import AcknowledgementDispatcher
from services.intake.consumers import (
    email_handler,
    note_nobodys,
    phone_batch_preparer,
    phone_handler,
    published_request_observer,
)
from services.intake.customers import apply_organisation_decision
from services.intake.decisions_awaited import ErasuresAwaitingDecisions
from services.intake.handlers import Matching
from services.intake.mail_intake import MailPolicy
from services.intake.metrics import IntakeMetrics
from services.intake.privacy import IntakeHoldings
from services.intake.ratelimit import TokenBuckets
from services.intake.settings import IntakeSettings
from services.intake.smtp import SmtpServer
from services.intake.web_intake import WebIntake
from shared import topics
from shared.clock import Clock
from shared.erasure_progress import ErasureProgress
from shared.events import CloudEvent
from shared.events.access import RequestOrganisationDecided
from shared.events.channels import EmailReceived, PhoneCallLogged
from shared.events.crm import ContactLeftOrganization, ContactUpserted, ContractSigned
from shared.events.intake import RequestReceived
from shared.events.privacy import ErasureRequested
from shared.events.sources import INTAKE_PRIVACY
from shared.http import install_error_handlers
from shared.mail import MailSender
from shared.participant import participant_handlers
from shared.service import Backbone, ServiceRuntime
from shared.stores import handled_in, unit_of_work_factory
from shared.tokens import Authenticator, KeyRing
from shared.wiring import wire


def create_app(
    settings: IntakeSettings, *, clock: Clock | None = None, backbone: Backbone | None = None
) -> FastAPI:
    runtime = ServiceRuntime(settings, clock=clock, backbone=backbone)
    metrics = IntakeMetrics(runtime.registry)
    matching = Matching(
        fold_plus_addressing=settings.fold_plus_addressing,
        default_phone_region=settings.default_phone_region,
    )
    runtime.produces(
        topics.SUPPORT_REQUESTS,
        topics.SUPPORT_CONTACTS,
        topics.EMAIL_INTAKE,
        topics.PRIVACY_ERASURE,
        topics.PRIVACY_DSR,
    )
    runtime.on_startup(lambda: repository.create_indexes(runtime.runner))
    runtime.on_startup(lambda: upgrades.upgrade(runtime.runner.database))
    keys = runtime.keys
    runtime.consume(
        topics.EMAIL_INTAKE,
        {
            EmailReceived.event_type: email_handler(
                keys=keys,
                policy=MailPolicy(
                    own_addresses=frozenset({matching.email_key(settings.mail_from)}),
                    mail_domain=settings.smtp_hostname,
                    max_body_chars=settings.max_body_chars,
                    matching=matching,
                ),
                metrics=metrics,
                raw_mail_store_bytes=settings.raw_mail_store_bytes,
            )
        },
    )
    runtime.consume(
        topics.PHONE_INTAKE,
        {
            PhoneCallLogged.event_type: phone_handler(
                keys=keys,
                metrics=metrics,
                default_phone_region=settings.default_phone_region,
                fold_plus_addressing=settings.fold_plus_addressing,
                mail_domain=settings.smtp_hostname,
            )
        },
        batch=True,
        prepare=phone_batch_preparer(keys=keys, matching=matching),
    )
    runtime.consume(
        topics.SUPPORT_REQUESTS,
        {
            RequestReceived.event_type: published_request_observer(
                metrics=metrics, clock=runtime.clock
            )
        },
        batch=True,
    )

    on = handled_in(repository.MongoIntakeUnitOfWork)
    # a person's erasure waits for the organisation decisions of their requests (P7)
    awaiting = ErasuresAwaitingDecisions(
        runner=runtime.runner, clock=runtime.clock, wake_relay=runtime.relay.notify
    )

    async def organisation_decided(
        event: CloudEvent, uow: repository.MongoIntakeUnitOfWork
    ) -> None:
        awaiting.decision_read(uow.tx)
        decided = RequestOrganisationDecided.from_event(event)
        await apply_organisation_decision(decided, uow=uow, noted=uow.tx.in_batch)

    on_organisation_decided = on(organisation_decided)

    runtime.consume(  # one decision a request: the records fetched together, one commit
        topics.ACCESS_MEMBERSHIPS,
        {RequestOrganisationDecided.event_type: on_organisation_decided},
        batch=True,
        prepare=note_nobodys,
    )
    # the customers' representatives a caller may be
    runtime.consume(
        topics.CRM_CONTRACTS,
        {
            ContractSigned.event_type: on(
                lambda e, uow: representatives.contract_signed(
                    ContractSigned.from_event(e), uow=uow, keys=keys, matching=matching
                )
            )
        },
    )
    runtime.consume(
        topics.CRM_CONTACTS,
        {
            ContactUpserted.event_type: on(
                lambda e, uow: representatives.contact_upserted(
                    ContactUpserted.from_event(e), uow=uow, keys=keys, matching=matching
                )
            ),
            ContactLeftOrganization.event_type: on(
                lambda e, uow: representatives.contact_left(
                    ContactLeftOrganization.from_event(e), uow=uow
                )
            ),
        },
    )
    privacy = participant_handlers(
        participant="intake",
        source=INTAKE_PRIVACY,
        holdings=lambda tx: IntakeHoldings(tx, keys=keys, matching=matching),
        notes=lambda tx, erasure_id: ErasureProgress(
            tx.database, erasure_id, now=runtime.clock.now()
        ),
        keys=keys,
        clock=runtime.clock,
        runner=runtime.runner,
    )
    erasing = awaiting.gate(privacy[ErasureRequested.event_type])
    runtime.consume(topics.PRIVACY_ERASURE, {**privacy, ErasureRequested.event_type: erasing})
    runtime.consume(topics.PRIVACY_DSR, privacy)
    runtime.background(awaiting.run, name="erasures-awaiting-decisions")
    smtp = SmtpServer(settings=settings, keys=keys, clock=runtime.clock, metrics=metrics)
    runtime.background(smtp.run, name="smtp-server")
    dispatcher = AcknowledgementDispatcher(
        runner=runtime.runner,
        sender=MailSender.from_settings(settings),
        clock=runtime.clock,
        metrics=metrics,
        base_url=settings.public_base_url,
        poll_seconds=settings.acknowledgement_poll_seconds,
        max_backoff_seconds=settings.retry_max_backoff_seconds,
    )
    runtime.background(dispatcher.run, name="acknowledgements")

    def after_commit() -> None:
        runtime.relay.notify()
        dispatcher.notify()

    web = WebIntake(
        unit_of_work=unit_of_work_factory(
            runtime.runner, after_commit, repository.MongoIntakeUnitOfWork, held_writes=True
        ),
        keys=keys,
        clock=runtime.clock,
        metrics=metrics,
        matching=matching,
        mail_domain=settings.smtp_hostname,
        limiter=TokenBuckets(
            per_minute=settings.web_rate_per_minute, burst=settings.web_rate_burst
        ),
        form_max_bytes=settings.web_form_max_bytes,
    )
    app = FastAPI(title="intake", version="0.2.0", lifespan=runtime.lifespan)
    app.state.runtime = runtime
    app.state.smtp = smtp
    app.state.erasures_awaiting_decisions = awaiting
    install_error_handlers(app)
    app.include_router(runtime.health_router())
    wire(
        app,
        web,
        Authenticator(
            keys=KeyRing.parse(settings.token_signing_keys.get_secret_value()),
            staff_token=settings.staff_token,
        ),
    )
    app.include_router(web_form.router)
    app.include_router(http.router)
    return app
