"""A customer's representative (P3, P7): named on an order form signed weeks before it is read,
they still get a set-password link that works (its lifetime runs from when it is made), and as
the official contact they see their organisation's requests, marked as such."""

from __future__ import annotations

from datetime import timedelta

from tests.support import producers
from tests.support.producers import Person
from tests.unit.portal.conftest import NOW, Portal
from tests.unit.portal.test_requester_pages import PASSWORD, signed_in, writes_in


async def test_an_order_form_weeks_old_mails_a_link_that_still_works(portal: Portal) -> None:
    official, colleague = Person.new("Olga Official"), Person.new("Carl Colleague")
    portal.system.publish(
        *producers.contract_signed(
            "org-1",
            representatives={"c-official": official, "c-colleague": colleague},
            official="c-official",
            signed_at=NOW - timedelta(days=30),
        )
    )
    await portal.system.settle()
    link = await portal.set_password_link(official.email)
    page = await portal.browser().get(link)
    assert page.status_code == 200 and 'action="/accounts/set-password"' in page.text

    browser = await signed_in(portal, official)  # the link works: a password is set, signed in
    reference = await writes_in(portal, colleague, "Invoice question for org-1")
    await portal.system.settle()
    mine = await browser.get("/my/requests")
    assert reference in mine.text
    assert "Your organisation&#39;s" in mine.text or "Your organisation's" in mine.text
    assert PASSWORD not in mine.text
