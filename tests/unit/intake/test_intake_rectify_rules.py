"""Rectifying a contact: fields replaced, matching keys recomputed, no takeover of an email."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.intake.domain import Contact
from services.intake.handlers import Matching
from services.intake.rectification import rectify_contact
from shared.events.intake import ContactDetails


@dataclass
class FakeContacts:
    """Contacts by id, with the stored email and phone keys."""

    contacts: dict[str, Contact] = field(default_factory=dict)
    email_keys: dict[str, str] = field(default_factory=dict)
    phone_keys: dict[str, str | None] = field(default_factory=dict)

    def put(self, contact: Contact, *, matching: Matching) -> None:
        self.contacts[contact.contact_id] = contact
        self.email_keys[contact.contact_id] = matching.email_key(str(contact.details.email))

    async def get(self, contact_id: str) -> Contact | None:
        return self.contacts.get(contact_id)

    async def by_email(self, normalised_email: str) -> Contact | None:
        for contact_id, key in self.email_keys.items():
            if key == normalised_email:
                return self.contacts[contact_id]
        return None

    async def replace_details(
        self, contact: Contact, *, email_key: str | None, phone_key: str | None, at: datetime
    ) -> None:
        if email_key is not None:
            self.email_keys[contact.contact_id] = email_key
        self.contacts[contact.contact_id] = contact
        self.phone_keys[contact.contact_id] = phone_key


AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MATCHING = Matching(fold_plus_addressing=True, default_phone_region="NO")


def contacts() -> FakeContacts:
    fake = FakeContacts()
    for contact_id, email in (("a", "ada@example.org"), ("b", "bob@example.org")):
        details = ContactDetails(full_name=contact_id.upper(), email=email)
        fake.put(Contact(contact_id=contact_id, details=details), matching=MATCHING)
    return fake


async def test_corrected_details_replace_the_old_and_keys_are_recomputed() -> None:
    fake = contacts()
    corrected = ContactDetails(
        full_name="Ada Lovelace", email="Ada.L+work@Example.org", phone="22 33 44 55"
    )
    outcome = await rectify_contact(
        contact_id="a", details=corrected, contacts=fake, matching=MATCHING, at=AT
    )
    assert outcome == "rectified"
    assert fake.contacts["a"].details == corrected
    assert fake.email_keys["a"] == "ada.l@example.org"
    assert fake.phone_keys["a"] == "+4722334455"


async def test_an_email_another_contact_matches_on_is_not_taken_over() -> None:
    fake = contacts()
    corrected = ContactDetails(full_name="Ada Lovelace", email="BOB+x@example.org", company="X")
    outcome = await rectify_contact(
        contact_id="a", details=corrected, contacts=fake, matching=MATCHING, at=AT
    )
    assert outcome == "email_kept"
    assert fake.contacts["a"].details == ContactDetails(
        full_name="Ada Lovelace", email="ada@example.org", company="X"
    )
    assert fake.email_keys == {"a": "ada@example.org", "b": "bob@example.org"}
    assert fake.contacts["b"].details.full_name == "B"


async def test_an_unknown_contact_is_left_alone() -> None:
    fake = contacts()
    details = ContactDetails(full_name="Nobody", email="nobody@example.org")
    outcome = await rectify_contact(
        contact_id="zz", details=details, contacts=fake, matching=MATCHING, at=AT
    )
    assert outcome == "unknown_contact"
    assert set(fake.contacts) == {"a", "b"}
