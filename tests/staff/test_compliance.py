"""Compliance through the real app (decision 079): for a chosen period, the sends and violations
per sender scope and channel, each opt-out's time to be honoured against its rule's clock, the
violations with their deciding events; who sees what; and the page in a browser."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from consentry.adapters.clock import FixedClock, SystemClock
from consentry.core.events import Source
from consentry.core.sends import SendReport
from consentry.staff.compliance import PAGE_SIZE
from tests.browser import look
from tests.factories import T0, WRITTEN, admin, as_contact, make_contact, sender
from tests.staff.conftest import DESKTOP, PHONE, signed_in

DAY = timedelta(days=1)


def seed(ledger, clock_set, now: datetime) -> None:
    """Dee opted in to email, unsubscribed (hard) 15 days before ``now``; sends after it: one
    a day later (within Gmail/Yahoo's 2 days), one 14 days later (past it)."""
    dee = make_contact(ledger, email="dee@example.com", mobile="+447700900126", name="Dee")
    clock_set(now - 20 * DAY)
    ledger.opt_in(admin(), dee.id, "email", "acme/newsletters", evidence=WRITTEN)
    clock_set(now - 15 * DAY)
    ledger.opt_out(as_contact(dee), dee.id, "email", "acme", source=Source.UNSUBSCRIBE_LINK)
    clock_set(now)
    ledger.report_sends(sender(), [
        SendReport(message_id=f"news-{n}", contact_id=dee.id, channel="email",
                   scope_id="acme/newsletters", sent_at=now - days * DAY)
        for n, days in enumerate((18, 14, 1))
    ])  # fmt: skip


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_the_report_and_the_violations_with_their_deciding_event(staff, ledger, clock):
    seed(ledger, clock.set, T0 + 30 * DAY)
    staff.sign_in("viewer")
    answer = staff.client.get("/compliance")
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert "<h1>Compliance</h1>" in html and 'href="/compliance" aria-current="page"' in html
    words = text_of(html)
    assert "acme/newsletters Email 3 2" in words  # three sends, two violations
    assert "1 opt-out honoured after the rule's clock ran out." in words
    assert "14 days (2 sends) Exceeded (Gmail/Yahoo: 2 days)" in words
    assert words.count("Opted out by the contact") == 2
    assert "opted_out (hard) at acme, recorded" in words and ">Dee</a>" in html
    narrow = staff.client.get("/compliance", params={"from": "2026-02-08", "to": "2026-02-09"})
    assert "No violations in this period." in text_of(narrow.text)


def test_the_period_is_checked_and_a_sign_in_comes_first(staff):
    answer = staff.client.get("/compliance", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in")
    staff.sign_in("staff")
    bad = staff.client.get("/compliance", params={"from": "2026-02-09", "to": "2026-02-01"})
    assert bad.status_code == 422


def test_violations_are_paged(staff, ledger, clock):
    seed(ledger, clock.set, T0 + 30 * DAY)
    dee = ledger.find_contact(admin(), email="dee@example.com")
    ledger.report_sends(sender(), [
        SendReport(message_id=f"more-{n:02d}", contact_id=dee.id, channel="email",
                   scope_id="acme/newsletters", sent_at=T0 + 20 * DAY + n * timedelta(minutes=1))
        for n in range(PAGE_SIZE)
    ])  # fmt: skip
    staff.sign_in("admin")
    first = staff.client.get("/compliance").text
    [link] = re.findall(r'href="(/compliance\?after=[^"]+)"', first)
    second = staff.client.get(unescape(link)).text
    assert "more-49" in first and "news-1" in second and "news-1" not in first


# ── in a browser ──
@pytest.fixture(scope="module")
def reported(site):
    """The site with Dee's sends after her unsubscribe (the site runs on the real clock)."""
    ledger = site.ledger
    fixed = FixedClock(datetime.now(UTC))
    ledger.context.clock = fixed
    try:
        seed(ledger, fixed.set, datetime.now(UTC))
    finally:
        ledger.context.clock = SystemClock()
    return site


@pytest.mark.browser
@pytest.mark.parametrize(("viewport", "size"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_compliance_page_in_a_browser(reported, browser, viewport, size):
    page = signed_in(browser, reported, "staff", viewport)
    page.get_by_role("link", name="Compliance").click()
    page.wait_for_url("**/compliance")
    assert page.locator("h1").inner_text() == "Compliance"
    assert "honoured after the rule's clock ran out" in page.get_by_role("status").inner_text()
    look(page, f"staff-compliance-{size}.png")
    page.get_by_label("Channel").select_option(label="SMS")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**channel=sms*")
    assert page.get_by_text("No violations in this period.").is_visible()
    page.context.close()
