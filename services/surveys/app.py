"""surveys' wiring: create_app(settings) builds the service; nothing connects until it starts."""

from __future__ import annotations

from fastapi import FastAPI

from services.surveys import handlers, http, privacy, read_ahead, repository
from services.surveys.dispatch import InvitationDispatcher
from services.surveys.domain import Reason, SurveyKeys, SurveyPolicy
from services.surveys.http import SurveysHttp
from services.surveys.mailing import InvitationLinks
from services.surveys.metrics import SurveyMetrics
from services.surveys.results import keep_metrics_fresh
from services.surveys.settings import SurveySettings
from shared import topics
from shared.clock import Clock
from shared.erasure_progress import ErasureProgress
from shared.events.access import AccountContactsLinked
from shared.events.intake import (
    ContactRectified,
    ContactRegistered,
    OrganisationChanged,
    RequestReceived,
    StatusChanged,
)
from shared.events.sources import SURVEYS
from shared.http import install_error_handlers
from shared.mail import MailSender
from shared.participant import participant_handlers
from shared.service import Backbone, ServiceRuntime
from shared.stores import handled_in, unit_of_work_factory
from shared.tokens import Authenticator, KeyRing
from shared.wiring import wire


def create_app(
    settings: SurveySettings, *, clock: Clock | None = None, backbone: Backbone | None = None
) -> FastAPI:
    runtime = ServiceRuntime(settings, clock=clock, backbone=backbone)
    metrics = SurveyMetrics(runtime.registry)
    secrets = SurveyKeys(
        hash_key=settings.opt_out_hash_key.get_secret_value().encode(),
        link_secret=settings.link_secret.get_secret_value().encode(),
    )
    policy = SurveyPolicy(
        sample_rate=settings.sample_rate,
        sample_seed=settings.sample_seed,
        delay=settings.delay,
        cooldown=settings.cooldown,
    )
    unit_of_work = unit_of_work_factory(
        runtime.runner, runtime.relay.notify, repository.MongoSurveysUnitOfWork
    )

    def counted(uow: repository.MongoSurveysUnitOfWork) -> handlers.CountDecision:
        """Decisions are counted once their transaction commits: a batch that fails is handled
        again record by record, and must not count twice."""

        def count(reason: Reason) -> None:
            uow.tx.after_commit(lambda: metrics.decisions.labels(reason=reason).inc())

        return count

    on = handled_in(repository.MongoSurveysUnitOfWork)
    on_request_received = on(
        lambda e, uow: handlers.watch_new_request(e, candidates=uow.candidates)
    )
    on_status_changed = on(
        lambda e, uow: handlers.follow_status(
            e, uow=uow, policy=policy, secrets=secrets, clock=runtime.clock, count=counted(uow)
        )
    )
    on_contact_registered = on(
        lambda e, uow: handlers.register_contact(
            e,
            uow=uow,
            keys=runtime.keys,
            secrets=secrets,
            policy=policy,
            clock=runtime.clock,
            count=counted(uow),
        )
    )
    on_organisation_changed = on(
        lambda e, uow: handlers.follow_organisation(
            e,
            uow=uow,
            purge_missed=privacy.purge_missed(uow, keys=runtime.keys, clock=runtime.clock),
        )
    )
    on_person_linked = on(
        lambda e, uow: handlers.link_person(e, uow=uow, clock=runtime.clock, count=counted(uow))
    )

    participant = participant_handlers(
        participant="surveys",
        source=SURVEYS,
        holdings=lambda tx: privacy.SurveysHoldings(
            repository.MongoSurveysUnitOfWork(tx.database, tx),
            keys=runtime.keys,
            secrets=secrets,
            clock=runtime.clock,
        ),
        notes=lambda tx, erasure_id: ErasureProgress(
            tx.database, erasure_id, now=runtime.clock.now()
        ),
        keys=runtime.keys,
        clock=runtime.clock,
        runner=runtime.runner,
    )

    runtime.consume(
        topics.SUPPORT_REQUESTS,
        {
            RequestReceived.event_type: on_request_received,
            StatusChanged.event_type: on_status_changed,
            OrganisationChanged.event_type: on_organisation_changed,
        },
        batch=True,
        prepare=read_ahead.requests_read_ahead,
    )
    runtime.consume(
        topics.SUPPORT_CONTACTS,
        {
            ContactRegistered.event_type: on_contact_registered,
            ContactRectified.event_type: participant[ContactRectified.event_type],
        },
        batch=True,
        prepare=read_ahead.contacts_read_ahead(keys=runtime.keys, secrets=secrets),
    )
    runtime.consume(topics.ACCESS_MEMBERSHIPS, {AccountContactsLinked.event_type: on_person_linked})
    runtime.consume(topics.PRIVACY_ERASURE, participant)
    runtime.consume(topics.PRIVACY_DSR, participant)
    runtime.produces(topics.SURVEYS, topics.PRIVACY_ERASURE, topics.PRIVACY_DSR)
    runtime.on_startup(lambda: repository.create_indexes(runtime.runner))

    sender = MailSender.from_settings(settings)
    dispatcher = InvitationDispatcher(
        unit_of_work=unit_of_work,
        keys=runtime.keys,
        sender=sender,
        links=InvitationLinks(base_url=settings.public_base_url, secrets=secrets),
        secrets=secrets,
        clock=runtime.clock,
        metrics=metrics,
        link_ttl=settings.link_ttl,
        cooldown=settings.cooldown,
        mail_domain=settings.mail_domain,
        poll_seconds=settings.dispatch_poll_seconds,
        max_backoff_seconds=settings.retry_max_backoff_seconds,
    )
    runtime.background(dispatcher.run, name="invitation-dispatcher")
    runtime.background(
        lambda: keep_metrics_fresh(
            unit_of_work=unit_of_work,
            metrics=metrics,
            clock=runtime.clock,
            every_seconds=settings.results_refresh_seconds,
        ),
        name="csat-metrics",
    )

    app = FastAPI(title="surveys", version="0.1.0", lifespan=runtime.lifespan)
    app.state.runtime = runtime
    app.state.dispatcher = dispatcher
    install_error_handlers(app)
    app.include_router(runtime.health_router())
    wire(
        app,
        Authenticator(
            keys=KeyRing.parse(settings.token_signing_keys.get_secret_value()),
            staff_token=settings.staff_token,
        ),
        SurveysHttp(
            unit_of_work=unit_of_work, keys=runtime.keys, clock=runtime.clock, metrics=metrics
        ),
    )
    app.include_router(http.router)
    return app
