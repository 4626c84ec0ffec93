"""Trends through the real app (seeds/002, decision 066): a card per channel with the totals and
their change in words, the chart as an SVG of its own with no script and nothing from the
internet, the spike warning, who sees what; and the page in a browser."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import unescape
from itertools import count

import pytest

from consentry.adapters.clock import FixedClock, SystemClock
from consentry.core.channels import Channel
from tests.browser import look
from tests.factories import T0, WRITTEN, admin, make_contact
from tests.staff.conftest import DESKTOP, PHONE, signed_in

EARLY = {**WRITTEN, "given_at": "2025-01-01"}  #: written permission from long ago
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
SPIKE_WORDS = "SMS: Unsubscribes spiked on {day}: {n}, against a usual 2 a day"


def seed(ledger, at: Callable[[datetime], None], today: datetime) -> None:
    """Last month four SMS opt-ins at the newsletters client; then 28 days of two opt-outs a day
    at the events client, and twelve on ``today``: a spike. ``at`` moves the ledger's clock."""
    made = count()

    def contact():
        n = next(made)
        return make_contact(ledger, email=f"t{n}@example.com", mobile=f"+4477009{n + 10000:05d}")

    at(today - timedelta(days=40))
    for _ in range(4):
        ledger.opt_in(admin(), contact().id, "sms", "acme/newsletters", evidence=EARLY)
    for n in range(28, 0, -1):
        at(today - timedelta(days=n))
        for _ in range(2):
            ledger.opt_out(admin(), contact().id, "sms", "acme/events")
    at(today)
    for _ in range(12):
        ledger.opt_out(admin(), contact().id, "sms", "acme/events")
    ledger.opt_in(admin(), contact().id, "sms", "acme/newsletters", evidence=EARLY)


def text_of(html: str) -> str:
    """The page's words, tags and repeated spaces gone, entities read."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def chart_links(html: str) -> list[str]:
    return [unescape(link) for link in re.findall(r'<img class="trend-chart" src="([^"]+)"', html)]


# ── the page ──
def test_a_card_per_channel_with_its_totals_and_their_change_in_words(staff, ledger, clock):
    seed(ledger, clock.set, T0)
    staff.sign_in("admin")
    answer = staff.client.get("/trends")
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert "<h1>Trends</h1>" in html and 'href="/trends" aria-current="page"' in html
    assert '<link rel="stylesheet" href="/staff/trends.css">' in html
    assert staff.client.get("/staff/trends.css").status_code == 200
    words = text_of(html)
    sms = words[words.index(" SMS Subscribed") :]
    assert sms.startswith(" SMS Subscribed 5 ▲ Up 25.0 % against last month Unsubscribed 68 ▲ Up")
    assert "Unsubscribed 68 ▲ Up 41.7 % against last month" in words  # 48 at the end of December
    assert ' class="change change-good"' in html and ' class="change change-bad"' in html
    assert "Email Subscribed 0 No change against last month" in words
    assert html.count('<section class="card trend-card"') == 8  # every channel of the deployment
    assert '<option value="90" selected>Last 90 days</option>' in html
    for label in ("Group: acme", "Client: acme/newsletters", "User: acme/newsletters/ada"):
        assert f">{label}</option>" in html


def test_the_spike_warning_is_an_alert_that_links_to_that_days_opt_outs(staff, ledger, clock):
    seed(ledger, clock.set, T0)
    staff.sign_in("viewer")
    html = staff.client.get("/trends").text
    alert = re.search(r'<div class="trends-alert" role="alert">(.*?)</div>', html, re.S)
    assert alert, "no spike warning"
    assert SPIKE_WORDS.format(day="2026-01-05", n=12) in text_of(alert.group(1))
    link = "/activity/opt-outs?scope=acme&amp;channel=sms&amp;from=2026-01-05&amp;to=2026-01-05"
    assert f'<a href="{link}">' in alert.group(1)
    assert '<strong class="spike-mark">(a spike)</strong>' in html  # the day in the table too
    news = staff.client.get("/trends", params={"scope": "acme/newsletters"}).text
    assert 'role="alert"' not in news  # the spike is beside the newsletters client


def test_no_warning_without_a_spike_and_an_empty_deployment_shows_zeros(staff):
    staff.sign_in("admin")
    html = staff.client.get("/trends", params={"days": "30"}).text
    assert 'role="alert"' not in html
    assert "SMS Subscribed 0 No change against last month Unsubscribed 0" in text_of(html)
    assert '<option value="30" selected>Last 30 days</option>' in html
    assert html.count('<tr><th scope="row">') == 8 * 30  # a row per day in each table


def test_the_chart_is_svg_with_no_script_and_nothing_from_the_internet(staff, ledger, clock):
    seed(ledger, clock.set, T0)
    staff.sign_in("admin")
    links = chart_links(staff.client.get("/trends", params={"days": "365"}).text)
    assert links[1] == "/trends/chart.svg?channel=sms&scope=acme&days=365"
    answer = staff.client.get(links[1])
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/svg+xml"
    assert (
        answer.headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    )
    svg = answer.text
    assert svg.startswith("<svg") and "Subscribed" in svg and "Unsubscribed" in svg
    assert "<script" not in svg.lower() and "<!--" not in svg
    assert set(re.findall(r"https?://[^\s\"'<>)]+", svg)) <= NAMESPACES
    assert "javascript:" not in svg.lower() and "@import" not in svg
    assert 'width="560" height="300"' in svg
    narrow = staff.client.get(links[1] + "&size=narrow")
    assert narrow.status_code == 200 and 'width="340" height="280"' in narrow.text
    assert "<script" not in narrow.text.lower()
    page = staff.client.get("/trends", params={"days": "365"}).text
    srcset = "/trends/chart.svg?channel=sms&amp;scope=acme&amp;days=365&amp;size=narrow"
    assert f'<source media="(max-width: 30rem)" srcset="{srcset}"' in page


def test_the_chart_names_its_numbers_in_the_alt_text(staff, ledger, clock):
    seed(ledger, clock.set, T0)
    staff.sign_in("admin")
    html = staff.client.get("/trends", params={"days": "30"}).text
    alt = "SMS over the last 30 days: subscribed from 4 to 5, unsubscribed from 0 to 68."
    assert f'alt="{alt}"' in html


def test_a_total_down_against_last_month_and_one_new_since(staff, ledger, clock):
    ada = make_contact(ledger)
    bob = make_contact(ledger, email="bob@example.com", mobile="+447700900124")
    clock.set(T0 - timedelta(days=20))
    for p in (ada, bob):
        ledger.opt_in(admin(), p.id, "email", "acme", evidence=EARLY)
    clock.set(T0)
    ledger.opt_out(admin(), bob.id, "email", "acme")
    staff.sign_in("admin")
    html = staff.client.get("/trends").text
    words = text_of(html)
    assert "Email Subscribed 1 ▼ Down 50.0 % against last month" in words
    assert "Unsubscribed 1 ▲ Up new since last month" in words
    down = '<span class="change change-bad"><span aria-hidden="true">▼</span>'
    assert down + '<span class="visually-hidden">Down</span> 50.0 % against last month' in html


# ── who sees what, and bad values ──
def test_a_client_admin_sees_its_client_only(staff, ledger, clock):
    seed(ledger, clock.set, T0)
    staff.sign_in("client_admin")
    html = staff.client.get("/trends").text
    assert ">Client: acme/newsletters</option>" in html and "Group: acme<" not in html
    assert 'role="alert"' not in html and "SMS Subscribed 5" in text_of(html)
    for path, more in (("/trends", {}), ("/trends/chart.svg", {"channel": "sms"})):
        refused = staff.client.get(path, params={"scope": "acme", **more})
        assert refused.status_code == 403 and "<code>out_of_scope</code>" in refused.text


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/trends", {"days": "0"}, 422, "invalid"),
        ("/trends", {"days": "731"}, 422, "invalid"),
        ("/trends", {"days": "ninety"}, 422, "invalid"),
        ("/trends", {"days": "²"}, 422, "invalid"),
        ("/trends", {"scope": "Not a scope!"}, 422, "invalid_scope"),
        ("/trends", {"scope": "acme/nowhere"}, 404, "scope_not_found"),
        ("/trends", {"scope": "globex"}, 403, "out_of_scope"),
        ("/trends/chart.svg", {"channel": "pigeon"}, 422, "invalid_channel"),
        ("/trends/chart.svg", {}, 422, "invalid_channel"),
        ("/trends/chart.svg", {"channel": "sms", "days": "-1"}, 422, "invalid"),
        ("/trends/chart.svg", {"channel": "sms", "size": "huge"}, 422, "invalid"),
    ],
)
def test_bad_values_get_the_error_page(staff, path, params, status, code):
    staff.sign_in("admin")
    answer = staff.client.get(path, params=params)
    assert answer.status_code == status, answer.text
    assert f"<code>{code}</code>" in answer.text


def test_a_channel_the_deployment_does_not_use_has_no_chart(staff, ledger):
    ledger.context.policy = type(ledger.policy)(enabled=frozenset({Channel.SMS}))
    staff.sign_in("admin")
    assert staff.client.get("/trends").text.count('<section class="card trend-card"') == 1
    answer = staff.client.get("/trends/chart.svg", params={"channel": "email"})
    assert answer.status_code == 422 and "<code>invalid_channel</code>" in answer.text


def test_trends_ask_for_a_sign_in_first(staff):
    for path in ("/trends", "/trends/chart.svg?channel=sms"):
        answer = staff.client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in")


# ── in a browser ──
@pytest.fixture(scope="module")
def spiked(site):
    """The site with a month of opt-outs and a spike today (the site runs on the real clock)."""
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
def test_the_trends_page_in_a_browser(spiked, browser, viewport, size):
    page = signed_in(browser, spiked, "admin", viewport)
    page.get_by_role("link", name="Trends").click()
    page.wait_for_url("**/trends")
    assert page.locator("h1").inner_text() == "Trends"
    alert = page.get_by_role("alert")
    today = datetime.now(UTC).date().isoformat()
    assert SPIKE_WORDS.format(day=today, n=13) in alert.inner_text()  # and the site's Bob
    cards = page.locator("section.trend-card")
    assert cards.count() == 3  # email, SMS and voice in this deployment
    charts = page.locator("img.trend-chart")
    drawn = 340 if size == "phone" else 560  # a phone gets the narrow drawing
    for n in range(charts.count()):  # every chart was fetched and drawn
        assert charts.nth(n).evaluate("i => i.complete && i.naturalWidth") == drawn
    page.get_by_label("Period", exact=True).select_option(label="Last 30 days")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**days=30*")
    look(page, f"staff-trends-{size}.png")
    page.get_by_text("SMS: the numbers by day").click()
    assert page.locator("tr.spike").first.is_visible()
    look(page, f"staff-trends-table-{size}.png", full_page=False)
    page.context.close()
