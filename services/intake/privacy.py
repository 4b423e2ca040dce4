"""intake's part in the privacy protocol (P7, P8, P11): its holdings, for shared/participant.py
to erase, export and rectify."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence, Set
from datetime import datetime

from pymongo import UpdateOne

from services.intake import correspondence, events
from services.intake.domain import attachment_key_id, message_key_id
from services.intake.export import IntakeExport, holdings_of
from services.intake.handlers import Matching, address_marks
from services.intake.rectification import rectify_contact
from services.intake.repository import (
    ACKNOWLEDGEMENTS,
    ATTACHMENTS,
    CHANNEL_ITEMS,
    CONTACTS,
    MESSAGES,
    RAW_MAILS,
    REQUEST_COPIES,
    REQUESTS,
    MongoContacts,
)
from services.intake.representative_store import REPRESENTATIVES
from services.intake.smtp import mail_key_id
from shared.crypto import KeyStore, seal
from shared.events.intake import ContactDetails
from shared.events.privacy import ErasureScope, KeptGround, KeptRecords
from shared.holdings import A_CUSTOMERS, ErasureNotes, Kept, owned_by, person_ids
from shared.mongo import Document, Transaction, delete_in, delete_matching, each_at_once, kept_out
from shared.outbox import add_to_outbox


def representatives_in(scope: ErasureScope) -> Document | None:
    """The representatives' entries a scope covers: an organisation's, or the person's."""
    if scope.kind == "organisation":
        return {"organisation_id": scope.id}
    if scope.kind == "person":
        return {"contact_id": {"$in": person_ids(scope)}}
    return None


def scoped(scope: ErasureScope) -> tuple[Document, Document] | None:
    """(requests in scope, copies of their parts in scope) as filters; None if all is kept."""
    keep = list(scope.keep_request_ids)
    if scope.kind == "request":
        if scope.id in keep:
            return None
        return {"_id": scope.id}, {"request_id": scope.id}
    return kept_out(owned_by(scope), keep), kept_out(owned_by(scope), keep, "request_id")


class IntakeHoldings:
    """intake's copies of personal data for the privacy protocol (shared/participant.py):
    requests, their messages, channel items, acknowledgements and raw mails, and contacts."""

    person_records = "contacts"

    def __init__(self, tx: Transaction, *, keys: KeyStore, matching: Matching) -> None:
        """An erasure reads and deletes outside the handler's transaction, so each step sees
        the last (a transaction reads a snapshot from its start) and what it did is kept with
        its notes if the transaction is lost; exports and rectifications use the transaction."""
        self._tx, self._database, self._session = tx, tx.database, tx.session
        self._keys = keys
        self._matching = matching
        self._contacts = MongoContacts(tx.database, tx)

    async def persons_in(self, scope: ErasureScope) -> set[str]:
        """The scope's persons (who wrote only on its requests are found by `delete`)."""
        if scope.kind == "person":
            return {scope.id}
        filters = scoped(scope)
        found: set[str] = set()
        if filters is not None:
            requesters = await self._database[REQUESTS].distinct("requester_id", filters[0])
            found.update(str(r) for r in requesters)
        if scope.kind == "organisation":
            tagged = self._database[CONTACTS].find({"organisation_ids": scope.id}, {"_id": 1})
            found.update([str(contact["_id"]) async for contact in tagged])
        return found

    async def customers_requests(self, scope: ErasureScope) -> set[str]:
        query = {**owned_by(scope), **A_CUSTOMERS}
        return {str(r) for r in await self._database[REQUESTS].distinct("_id", query)}

    async def delete(self, scope: ErasureScope, *, notes: ErasureNotes) -> None:
        if scope.kind == "person":  # what they wrote on others' requests
            written = correspondence.written_by(person_ids(scope), scope)
            await correspondence.delete_written(
                self._database, written, keys=self._keys, notes=notes
            )
        filters = scoped(scope)
        if filters is None:
            return
        requests, copies = filters
        if scope.kind == "person":  # a service may read them only after its part (P11)
            await notes.requests_found(await self._database[REQUESTS].distinct("_id", requests))
        # a correspondent's message, sealed with its own key, may quote the request; who wrote
        # only on requests that go may go with them (P8): noted before their writing goes
        quoting = self._database[MESSAGES].find(
            {**copies, "correspondent_id": {"$gt": ""}}, {"_id": 1, "correspondent_id": 1}
        )
        quoted = {str(m["_id"]): str(m["correspondent_id"]) async for m in quoting}
        only = await correspondence.only_correspondents(self._database, set(quoted.values()))
        await notes.subjects_found(only)
        await self._keys.shred_many([message_key_id(m) for m in quoted])
        mails = self._database[RAW_MAILS].find(copies, {"_id": 1})
        mail_ids = [mail["_id"] async for mail in mails]
        await self._keys.shred_many([mail_key_id(str(mail_id)) for mail_id in mail_ids])
        await notes.deleted(
            "raw_mails", await delete_in(self._database[RAW_MAILS], "_id", mail_ids)
        )
        files = self._database[ATTACHMENTS].find(copies, {"_id": 1})
        file_keys = [attachment_key_id(str(file["_id"])) async for file in files]
        await self._keys.shred_many(file_keys)

        async def delete_copies(name: str) -> int:
            return await notes.deleted(name, await delete_matching(self._database[name], copies))

        names = (MESSAGES, CHANNEL_ITEMS, ACKNOWLEDGEMENTS, ATTACHMENTS)
        await each_at_once({name: delete_copies(name) for name in names})
        await notes.deleted("requests", await delete_matching(self._database[REQUESTS], requests))
        named = representatives_in(scope)
        if named is not None:
            if scope.kind == "person":  # a CRM statement about them may still be on its way
                await notes.persons_erased(person_ids(scope))
            deleted = await delete_matching(self._database[REPRESENTATIVES], named)
            await notes.deleted("representatives", deleted)

    async def release(
        self, persons: Sequence[str], scope: ErasureScope, *, held: Set[str], notes: ErasureNotes
    ) -> dict[str, Kept]:
        """A contact goes with their last request (P8), unless a hold names them."""
        contacts = self._database[CONTACTS]
        known = contacts.find(
            {"_id": {"$in": list(persons)}},
            {"correspondent_only": 1, "email_normalised": 1, "phone_e164": 1},
        )
        left: dict[str, set[str | None]] = {}
        only: list[str] = []  # who filed no request of their own
        addresses: dict[str, tuple[str | None, str | None]] = {}
        async for contact in known:
            left[str(contact["_id"])] = set()
            addresses[str(contact["_id"])] = (
                contact.get("email_normalised"),
                contact.get("phone_e164"),
            )
            if contact.get("correspondent_only"):
                only.append(str(contact["_id"]))
        others = self._database[REQUESTS].find(
            {"requester_id": {"$in": list(left)}}, {"requester_id": 1, "organisation_id": 1}
        )
        async for request in others:
            left[request["requester_id"]].add(request.get("organisation_id"))
        writing = await correspondence.still_writing(self._database, only, scope)
        kept: dict[str, Kept] = {}
        for person, organisations in left.items():
            if person in held:
                kept[person] = Kept("legal_hold", person)
            elif (organisations and scope.kind != "person") or person in writing:
                # requests of theirs stay (or, never a requester, one they wrote on)
                kept[person] = Kept("other_requests", person)
            elif organisations:  # the requests a person's erasure keeps: the customer's, or held
                ground: KeptGround = "customer_records" if any(organisations) else "legal_hold"
                kept[person] = Kept(ground, person)
        doomed = sorted(set(left) - set(kept))
        if doomed:  # a call or mail of theirs read late registers them no more
            marks = [
                mark
                for person in doomed
                for mark in await address_marks(
                    self._keys, email_key=addresses[person][0], phone_key=addresses[person][1]
                )
            ]
            await notes.addresses_erased(marks)
            await notes.deleted("contacts", await delete_in(contacts, "_id", doomed))
        if doomed and scope.kind != "person":  # with their last request, what they wrote (P8)
            written = correspondence.written_by(doomed, scope)
            await correspondence.delete_written(
                self._database, written, keys=self._keys, notes=notes
            )
        if kept:  # the organisations of what is left
            await contacts.bulk_write(
                [
                    UpdateOne(
                        {"_id": p}, {"$set": {"organisation_ids": sorted(filter(None, left[p]))}}
                    )
                    for p in sorted(kept)
                ],
                ordered=False,
            )
        return kept

    async def remaining(self, scope: ErasureScope, *, released: set[str]) -> dict[str, int]:
        filters = scoped(scope)
        left = {name: 0 for name in (*REQUEST_COPIES, REQUESTS)}
        counting: dict[str, Awaitable[int]] = {
            CONTACTS: self._database[CONTACTS].count_documents({"_id": {"$in": sorted(released)}})
        }
        if filters is not None:
            requests, copies = filters
            for name in REQUEST_COPIES:
                counting[name] = self._database[name].count_documents(copies)
            counting[REQUESTS] = self._database[REQUESTS].count_documents(requests)
        named = representatives_in(scope)
        if named is not None:
            counting[REPRESENTATIVES] = self._database[REPRESENTATIVES].count_documents(named)
        writers = person_ids(scope) if scope.kind == "person" else sorted(released)
        if writers:
            written = correspondence.written_by(writers, scope)
            for name in (MESSAGES, RAW_MAILS):
                counting[f"written.{name}"] = self._database[name].count_documents(written)
        counted = await each_at_once(counting)
        for name in (MESSAGES, RAW_MAILS):  # what they wrote elsewhere counts as those copies
            counted[name] = counted.get(name, 0) + counted.pop(f"written.{name}", 0)
        return {**left, **counted}

    async def kept_alongside(
        self, scope: ErasureScope, *, released: set[str]
    ) -> tuple[KeptRecords, ...]:
        writers = person_ids(scope) if scope.kind == "person" else sorted(released)
        return await correspondence.kept_with_others(self._database, writers, scope)

    async def export(self, data_subject_id: str) -> IntakeExport:
        return await holdings_of(
            data_subject_id, database=self._database, session=self._session, keys=self._keys
        )

    async def rectify(self, data_subject_id: str, details: ContactDetails, *, at: datetime) -> None:
        """The contact's details replaced, and announced after its registration (a service
        reading `support.contacts` late then corrects what it registers from it)."""
        done = await rectify_contact(
            contact_id=data_subject_id,
            details=details,
            contacts=self._contacts,
            matching=self._matching,
            at=at,
        )
        contact = None if done == "unknown_contact" else await self._contacts.get(data_subject_id)
        if contact is not None and not contact.correspondent_only:  # announced: registered
            filed = self._database[REQUESTS].find(
                {"requester_id": data_subject_id}, {"_id": 1}, session=self._session
            )
            request_ids = [str(request["_id"]) async for request in filed]
            for topic, event in await events.rectified(
                contact, request_ids, at=at, keys=self._keys
            ):
                await add_to_outbox(self._tx, topic=topic, event=event)
        phone = self._matching.phone_key(details.phone)
        sealed = await seal(details, data_subject_id=data_subject_id, keys=self._keys)
        await self._database[REPRESENTATIVES].update_many(
            {"contact_id": data_subject_id, "details": {"$ne": None}},
            {"$set": {"phone_e164": phone, "details": sealed.model_dump() if phone else None}},
            session=self._session,
        )
