"""retention's wiring: create_app(settings) builds the service; nothing connects until it starts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi import FastAPI

from services.retention import (
    handlers,
    http,
    http_privacy,
    http_processors,
    http_status,
    privacy,
    purge_store,
    repository,
)
from services.retention.certified import CertificateAnnouncements
from services.retention.metrics import RetentionMetrics
from services.retention.read_ahead import clocks_read_ahead, decisions_read_ahead
from services.retention.register_store import MongoProcessors
from services.retention.rights import Retention, RetentionPeriods
from services.retention.scheduler import PurgeScheduler, SchedulerPolicy
from services.retention.settings import RetentionSettings
from services.retention.unit_of_work import MongoRetentionUnitOfWork, RetentionStores
from shared import person_links, topics
from shared.clock import Clock
from shared.erasure_progress import ErasureProgress
from shared.events import CloudEvent
from shared.events.access import AccountContactsLinked, RequestOrganisationDecided
from shared.events.crm import ContractReinstated, ContractSigned, ContractTerminated
from shared.events.intake import (
    MessageAdded,
    OrganisationChanged,
    RequestReceived,
    StatusChanged,
)
from shared.events.legal import LegalHoldPlaced, LegalHoldReleased
from shared.events.privacy import ErasureCompleted, ExportContributed
from shared.events.sources import RETENTION
from shared.http import install_error_handlers
from shared.participant import participant_handlers
from shared.service import Backbone, ServiceRuntime
from shared.stores import handled_in
from shared.tokens import Authenticator, KeyRing
from shared.wiring import wire


def create_app(
    settings: RetentionSettings, *, clock: Clock | None = None, backbone: Backbone | None = None
) -> FastAPI:
    runtime = ServiceRuntime(settings, clock=clock, backbone=backbone)
    retention = timedelta(days=settings.retention_days)
    erasure_within = timedelta(hours=settings.erasure_deadline_hours)
    metrics = RetentionMetrics(runtime.registry)
    stores = RetentionStores(runtime.runner, after_commit=runtime.relay.notify)
    certificates_recorded = CertificateAnnouncements()
    scheduler = PurgeScheduler(
        stores=stores,
        keys=runtime.keys,
        clock=runtime.clock,
        metrics=metrics,
        policy=SchedulerPolicy(
            every=timedelta(seconds=settings.scheduler_seconds),
            batch_size=settings.purge_batch_size,
            erasure_within=erasure_within,
            late_after=timedelta(seconds=settings.participant_late_seconds),
        ),
        announce_certified=certificates_recorded.announce,
    )

    def after_commit(uow: MongoRetentionUnitOfWork, wake: Callable[[], None]) -> None:
        """The scheduler looks once the handler's transaction has committed (before, it would
        find nothing new and wait out its interval)."""
        if uow.tx is None:
            wake()
        else:
            uow.tx.after_commit(wake)

    on = handled_in(MongoRetentionUnitOfWork)
    on_request_received = on(
        lambda e, uow: handlers.start_retention_clock(e, clocks=uow.clocks, retention=retention)
    )
    on_activity = on(
        lambda e, uow: handlers.record_request_activity(e, clocks=uow.clocks, retention=retention)
    )

    async def follow_organisation(event: CloudEvent, uow: MongoRetentionUnitOfWork) -> None:
        # a request of an organisation purged before the decision got here is due at once
        if await handlers.follow_organisation(event, clocks=uow.clocks, retention=retention):
            after_commit(uow, scheduler.wake)

    on_organisation_changed = on(follow_organisation)

    on_organisation_decided = on(
        lambda e, uow: handlers.note_organisation_decision(
            e, clocks=uow.clocks, retention=retention, noted=bool(uow.tx and uow.tx.in_batch)
        )
    )

    async def schedule_and_wake(event: CloudEvent, uow: MongoRetentionUnitOfWork) -> None:
        # a termination read late may be due already: the scheduler looks after the commit
        await handlers.schedule_organisation_purge(
            event, organisations=uow.organisations, retention=retention
        )
        after_commit(uow, scheduler.wake)

    on_terminated = on(schedule_and_wake)
    on_in_force = on(lambda e, uow: handlers.contract_in_force(e, organisations=uow.organisations))
    on_hold_placed = on(lambda e, uow: handlers.place_legal_hold(e, holds=uow.holds))
    on_person_linked = on(lambda e, uow: handlers.link_person(e, persons=uow.persons))

    async def release_and_wake(event: CloudEvent, uow: MongoRetentionUnitOfWork) -> None:
        await handlers.release_legal_hold(event, holds=uow.holds)
        after_commit(uow, scheduler.wake)

    on_hold_released = on(release_and_wake)

    participant = participant_handlers(
        participant="retention",
        source=RETENTION,
        holdings=privacy.RetentionHoldings,
        notes=lambda tx, erasure_id: ErasureProgress(
            tx.database, erasure_id, now=runtime.clock.now()
        ),
        keys=runtime.keys,
        clock=runtime.clock,
        runner=runtime.runner,
    )

    async def track_and_wake(event: CloudEvent, uow: MongoRetentionUnitOfWork) -> None:
        # only the last answer gives the scheduler something to do (keys, certificate); a
        # pass for each of the other three read the purges under way for nothing
        if await privacy.track_erasure_completion(event, purges=uow.purges):
            after_commit(uow, scheduler.move_on)

    on_erasure_completed = on(track_and_wake)
    on_export_contributed = on(
        lambda e, uow: privacy.collect_export_contribution(e, exports=uow.exports)
    )

    runtime.consume(
        topics.SUPPORT_REQUESTS,
        {
            RequestReceived.event_type: on_request_received,
            MessageAdded.event_type: on_activity,
            StatusChanged.event_type: on_activity,
            OrganisationChanged.event_type: on_organisation_changed,
        },
        batch=True,
        prepare=clocks_read_ahead,
    )
    runtime.consume(
        topics.CRM_CONTRACTS,
        {
            ContractSigned.event_type: on_in_force,
            ContractTerminated.event_type: on_terminated,
            ContractReinstated.event_type: on_in_force,
        },
    )
    runtime.consume(  # one decision a request: the records fetched together, one commit
        topics.ACCESS_MEMBERSHIPS,
        {
            AccountContactsLinked.event_type: on_person_linked,
            RequestOrganisationDecided.event_type: on_organisation_decided,
        },
        batch=True,
        prepare=decisions_read_ahead,
    )
    runtime.consume(
        topics.LEGAL_HOLDS,
        {
            LegalHoldPlaced.event_type: on_hold_placed,
            LegalHoldReleased.event_type: on_hold_released,
        },
    )
    runtime.consume(topics.PRIVACY_ERASURE, participant)
    # The completions (four per erasure) do not wait behind retention's own erasures, and
    # share a transaction and a scheduler pass when several come together.
    runtime.consume(
        topics.PRIVACY_ERASURE,
        {ErasureCompleted.event_type: on_erasure_completed},
        batch=True,
        group="completions",
    )
    runtime.consume(
        topics.PRIVACY_DSR,
        {**participant, ExportContributed.event_type: on_export_contributed},
    )
    runtime.produces(topics.PRIVACY_ERASURE, topics.PRIVACY_DSR, topics.LEGAL_HOLDS)
    processors = MongoProcessors(runtime.runner.database)
    runtime.on_startup(lambda: repository.create_indexes(runtime.runner))
    runtime.on_startup(lambda: person_links.create_indexes(runtime.runner))
    runtime.on_startup(lambda: purge_store.create_indexes(runtime.runner))
    runtime.on_startup(processors.seed)
    runtime.background(scheduler.run, name="purge-scheduler")

    app = FastAPI(title="retention", version="0.2.0", lifespan=runtime.lifespan)
    app.state.runtime = runtime
    app.state.scheduler = scheduler
    install_error_handlers(app)
    http.install_error_answers(app)
    wire(
        app,
        Authenticator(
            keys=KeyRing.parse(settings.token_signing_keys.get_secret_value()),
            staff_token=settings.staff_token,
        ),
        Retention(
            stores=stores,
            keys=runtime.keys,
            clock=runtime.clock,
            periods=RetentionPeriods(
                export_wait=timedelta(seconds=settings.export_wait_seconds),
                link_lifetime=timedelta(minutes=settings.export_link_minutes),
                erasure_within=erasure_within,
                late_after=timedelta(seconds=settings.participant_late_seconds),
                decision_wait=timedelta(seconds=settings.organisation_decision_wait_seconds),
            ),
            wake_scheduler=scheduler.wake,
            certificates_recorded=certificates_recorded,
        ),
    )
    app.include_router(runtime.health_router())
    for module in (http, http_privacy, http_processors, http_status):
        app.include_router(module.router)
    return app
