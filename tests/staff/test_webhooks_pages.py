"""The webhooks pages of the staff app (issue 10; decisions 076 and 081): through the server's one
app on SQLite and PostgreSQL, and once in real headless Chromium at 1280 and 390 px (axe)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from consentry.adapters.webhook_sender import HttpSender
from consentry.core.webhooks import DisabledReason, EventType
from tests.browser import look
from tests.factories import T0, admin, make_contact, sql
from tests.mail import free_port
from tests.staff.conftest import DESKTOP, PHONE, open_settings, signed_in

CRM = "https://crm.example.com/consentry"
TYPES = ["consent.opted_out", "contact.erased"]


def add(staff, **data):
    """Post the add form with the session's CSRF token (``csrf=None`` leaves it out)."""
    form = {"csrf": staff.csrf("/settings/webhooks"), "url": CRM, "scope": "acme",
            "event_types": TYPES, **data}  # fmt: skip
    form = {k: v for k, v in form.items() if v is not None}
    return staff.client.post("/settings/webhooks", data=form, follow_redirects=False)


def rows(ledger) -> int:
    return int(sql(ledger, "SELECT count(*) FROM webhook_subscriptions")[0][0])


def every_form(base: str) -> list[tuple[str, dict[str, Any]]]:
    """Each webhook form's path and a valid filling (without its CSRF token)."""
    return [
        ("/settings/webhooks", {"url": CRM, "scope": "acme", "event_types": TYPES}),
        (f"{base}/enabled", {"enabled": "no"}),
        (f"{base}/replay", {"since": "2026-01-05T08:00"}),
        (base, {"url": CRM + "/x", "event_types": TYPES}),
        (f"{base}/delete", {"confirm": "yes"}),
    ]


def failing(ledger, clock) -> str:
    """A subscription to a closed port, failed until the worker disabled it; its id."""
    sub, _ = ledger.create_webhook(
        admin(), "acme", f"http://127.0.0.1:{free_port()}/hooks", event_types=["consent.opted_out"]
    )
    ada = make_contact(ledger)
    ledger.opt_out(admin(), ada.id, "email", "acme")
    sender = HttpSender(timeout=2)
    try:
        for _ in range(20):
            if ledger.deliver_webhooks(sender, jitter=lambda: 0.0).disabled:
                break
            clock.set(clock.now() + timedelta(hours=7))
    finally:
        sender.close()
    assert ledger.get_webhook(admin(), sub.id).subscription.enabled is False
    return str(sub.id)


# ── adding ──
def test_an_admin_adds_a_webhook_and_sees_its_secret_once(staff, ledger):
    staff.sign_in("admin")
    listing = staff.client.get("/settings/webhooks")
    assert listing.status_code == 200 and "No webhooks yet." in listing.text
    assert '<a href="/settings/webhooks" aria-current="page">Webhooks</a>' in listing.text
    made = add(staff)
    assert made.status_code == 201 and "shown this once" in made.text
    found = re.search(r'value="(whsec_[^"]+)"', made.text)
    assert found, "the new webhook's signing secret is on the page"
    [sub] = ledger.list_webhooks(admin())
    assert found.group(1) == ledger.context.webhook_secrets.secret(sub.id)
    assert (sub.url, sub.scope_id, sorted(sub.event_types)) == (CRM, "acme", TYPES)
    again = staff.client.get("/settings/webhooks").text
    assert found.group(1) not in again and "whsec_" not in again
    assert f'<a href="/settings/webhooks/{sub.id}">{CRM}</a>' in again
    assert "<code>consent.opted_out</code>, <code>contact.erased</code>" in again
    assert '<td class="state state-on">Enabled</td>' in again
    detail = staff.client.get(f"/settings/webhooks/{sub.id}")
    assert detail.status_code == 200 and "whsec_" not in detail.text
    assert (
        "<h1>Webhook to crm.example.com</h1>" in detail.text and "No attempts yet." in detail.text
    )


def test_the_add_form_offers_every_event_type_a_webhook_can_take(staff):
    staff.sign_in("admin")
    form = staff.client.get("/settings/webhooks").text
    offered = set(re.findall(r'name="event_types" value="([^"]+)"', form))
    assert offered == {t.value for t in EventType}
    assert "nothing sends this yet" not in form  # journeys and violations are raised (078, 079)


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        ({"url": "http://crm.example.com/x"}, "invalid_webhook_url", "a webhook URL is https"),
        ({"url": "https://me:pw@crm.example.com/"}, "invalid_webhook_url", "no credentials"),
        ({"event_types": None}, "invalid", "name at least one event type"),
        ({"event_types": ["consent.nothing"]}, "invalid_event_type", "unknown event type"),
    ],
)
def test_a_refused_webhook_is_explained_next_to_the_form(staff, ledger, data, code, words):
    staff.sign_in("admin")
    refused = add(staff, **data)
    assert refused.status_code == 422
    form = refused.text.split('id="add-h"', 1)[1]
    assert 'class="error" role="alert" id="add-error"' in form and words in form
    assert f"<code>{code}</code>" in form
    assert 'aria-describedby="add-url-hint add-error"' in form
    url = data.get("url", CRM)
    assert f'value="{url}"' in form  # what was typed stays
    assert rows(ledger) == 0


def test_the_add_form_keeps_the_ticked_types_and_the_scope(staff):
    staff.sign_in("admin")
    refused = add(staff, url="ftp://x", scope="acme/events", event_types=["contact.erased"])
    assert refused.status_code == 422
    assert '<option value="acme/events" selected>' in refused.text
    assert 'value="contact.erased" checked' in refused.text
    assert 'value="consent.opted_out" checked' not in refused.text


# ── one subscription: state, attempts, enable, change, replay ──
def test_a_webhook_disabled_after_repeated_failure_says_why_and_is_enabled_again(
    staff, ledger, clock
):
    sub_id = failing(ledger, clock)
    staff.sign_in("admin")
    listing = staff.client.get("/settings/webhooks").text
    since = T0.strftime("%Y-%m-%d %H:%M UTC")
    assert f"Disabled after repeated failure since {since}" in listing
    detail = staff.client.get(f"/settings/webhooks/{sub_id}").text
    state = detail.split('id="state"', 1)[1].split("</dd>", 1)[0]
    assert f"Disabled after repeated failure since {since}" in state
    attempts = detail.split('id="attempts-h"', 1)[1].split("</table>", 1)[0]
    assert attempts.count("<tr>") == 11  # the header and ten attempts
    assert "<code>consent.opted_out</code>" in attempts and "HTTP" not in attempts
    assert " ms</td>" in attempts
    enabled = staff.client.post(
        f"/settings/webhooks/{sub_id}/enabled", data={"csrf": staff.csrf(), "enabled": "yes"},
        follow_redirects=False,
    )  # fmt: skip
    assert enabled.headers["location"] == f"/settings/webhooks/{sub_id}?done=enabled"
    page = staff.client.get(enabled.headers["location"]).text
    assert "Webhook enabled" in page and '<dd id="state" class="state-on">Enabled</dd>' in page
    sub = ledger.get_webhook(admin(), sub_id).subscription
    assert (sub.enabled, sub.failures, sub.disabled_reason) == (True, 0, None)


def test_an_admin_disables_changes_and_replays_a_webhook(staff, ledger, clock):
    sub, _ = ledger.create_webhook(admin(), "acme", CRM, event_types=["consent.opted_out"])
    ada = make_contact(ledger)
    ledger.opt_out(admin(), ada.id, "email", "acme")
    clock.set(T0 + timedelta(hours=2))
    staff.sign_in("admin")
    base = f"/settings/webhooks/{sub.id}"
    off = staff.client.post(f"{base}/enabled", data={"csrf": staff.csrf(), "enabled": "no"})
    assert "Webhook disabled" in off.text
    assert "Disabled by an admin on 2026-01-05 11:00 UTC" in off.text
    assert ledger.get_webhook(admin(), sub.id).subscription.disabled_reason is (
        DisabledReason.BY_ADMIN
    )
    changed = staff.client.post(
        base, data={"csrf": staff.csrf(), "url": CRM + "/v2",
                    "event_types": ["consent.opted_in", "consent.opted_out"]},
    )  # fmt: skip
    assert changed.status_code == 200 and "Webhook changed" in changed.text
    now = ledger.get_webhook(admin(), sub.id).subscription
    assert now.url == CRM + "/v2" and len(now.event_types) == 2
    replayed = staff.client.post(
        f"{base}/replay", data={"csrf": staff.csrf(), "since": "2026-01-05T08:30"}
    )
    assert "Replay queued: 1 delivery to go out again" in replayed.text
    deliveries = sql(ledger, "SELECT count(*) FROM webhook_deliveries")[0][0]
    assert deliveries == 2  # the first and its replay


@pytest.mark.parametrize(
    ("since", "words"),
    [("yesterday", "as a date and a time"), ("2026-01-06T09:00", "a moment in the past"),
     ("", "as a date and a time")],
)  # fmt: skip
def test_a_refused_replay_is_explained_next_to_its_form(staff, ledger, since, words):
    sub, _ = ledger.create_webhook(admin(), "acme", CRM, event_types=["consent.opted_out"])
    staff.sign_in("admin")
    base = f"/settings/webhooks/{sub.id}"
    refused = staff.client.post(f"{base}/replay", data={"csrf": staff.csrf(), "since": since})
    assert refused.status_code == 422
    form = refused.text.split('id="replay-h"', 1)[1].split("</form>", 1)[0]
    assert 'id="replay-error"' in form and words in form and f'value="{since}"' in form
    assert 'id="change-error"' not in refused.text
    assert sql(ledger, "SELECT count(*) FROM webhook_deliveries")[0][0] == 0


def test_a_refused_change_is_explained_and_changes_nothing(staff, ledger):
    sub, _ = ledger.create_webhook(admin(), "acme", CRM, event_types=["consent.opted_out"])
    staff.sign_in("admin")
    refused = staff.client.post(
        f"/settings/webhooks/{sub.id}", data={"csrf": staff.csrf(), "url": "http://x.example"}
    )
    assert refused.status_code == 422
    form = refused.text.split('id="change-h"', 1)[1].split("</form>", 1)[0]
    assert 'id="change-error"' in form and "invalid_webhook_url" in form
    assert 'value="http://x.example"' in form
    assert ledger.get_webhook(admin(), sub.id).subscription.url == CRM


# ── deleting ──
def test_deleting_needs_the_tick_then_the_webhook_is_gone(staff, ledger):
    sub, _ = ledger.create_webhook(admin(), "acme", CRM, event_types=["consent.opted_out"])
    staff.sign_in("admin")
    base = f"/settings/webhooks/{sub.id}"
    assert f'href="{base}/delete">Delete the webhook</a>' in staff.client.get(base).text
    confirm = staff.client.get(f"{base}/delete")
    assert confirm.status_code == 200 and "This cannot be undone." in confirm.text
    assert 'name="confirm" value="yes" required' in confirm.text
    refused = staff.client.post(f"{base}/delete", data={"csrf": staff.csrf()})
    assert refused.status_code == 422 and rows(ledger) == 1
    done = staff.client.post(
        f"{base}/delete", data={"csrf": staff.csrf(), "confirm": "yes"}, follow_redirects=False
    )
    assert done.headers["location"] == "/settings/webhooks?done=deleted"
    assert "Webhook deleted" in staff.client.get(done.headers["location"]).text
    assert rows(ledger) == 0


# ── who may ──
@pytest.mark.parametrize("who", ["staff", "viewer"])
def test_staff_and_viewers_are_not_shown_webhooks_and_are_refused(staff, ledger, who):
    sub, _ = ledger.create_webhook(admin(), "acme", CRM, event_types=["consent.opted_out"])
    staff.sign_in(who)
    assert "/settings/webhooks" not in staff.client.get("/contacts").text
    base = f"/settings/webhooks/{sub.id}"
    for path in ("/settings/webhooks", base, f"{base}/delete"):
        assert staff.client.get(path).status_code == 403
    csrf = staff.csrf()
    for path, data in every_form(base):
        refused = staff.client.post(path, data={"csrf": csrf, **data})
        assert refused.status_code == 403 and "forbidden" in refused.text, path
    assert ledger.get_webhook(admin(), sub.id).subscription == sub and rows(ledger) == 1


def test_a_client_admin_sees_only_the_webhooks_in_reach(staff, ledger):
    group, _ = ledger.create_webhook(admin(), "acme", CRM, event_types=["consent.opted_out"])
    news, _ = ledger.create_webhook(
        admin(), "acme/newsletters", CRM + "/news", event_types=["consent.opted_out"]
    )
    staff.sign_in("client_admin")
    listing = staff.client.get("/settings/webhooks").text
    assert (
        f"/settings/webhooks/{news.id}" in listing
        and f"/settings/webhooks/{group.id}" not in listing
    )
    assert '<option value="acme"' not in listing
    assert staff.client.get(f"/settings/webhooks/{group.id}").status_code == 403
    refused = add(staff, scope="acme")
    assert refused.status_code == 403 and "out_of_scope" in refused.text and rows(ledger) == 2
    staff.client.cookies.clear()
    staff.sign_in("globex")
    assert staff.client.get(f"/settings/webhooks/{news.id}").status_code == 404


def test_every_webhook_form_refuses_a_missing_or_wrong_csrf_token(staff, ledger):
    sub, _ = ledger.create_webhook(admin(), "acme", CRM, event_types=["consent.opted_out"])
    staff.sign_in("admin")
    base = f"/settings/webhooks/{sub.id}"
    for csrf in (None, "", "0" * 64):
        token: dict[str, str] = {} if csrf is None else {"csrf": csrf}
        for path, data in every_form(base):
            refused = staff.client.post(path, data={**token, **data})
            assert refused.status_code == 403 and "forbidden" in refused.text, (path, csrf)
    assert ledger.get_webhook(admin(), sub.id).subscription == sub and rows(ledger) == 1


# ── in the browser ──
@pytest.mark.browser
@pytest.mark.parametrize("site", ["sqlite"], indirect=True)  # the pages; both DBs above
@pytest.mark.parametrize(("viewport", "size"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_an_admin_adds_and_deletes_a_webhook_in_chromium(site, browser, viewport, size):
    page = signed_in(browser, site, "admin", viewport)
    open_settings(page, "Webhooks")
    page.wait_for_url("**/settings/webhooks")
    url = f"https://crm.example.com/{size}"
    page.get_by_label("URL the events are posted to").fill(url)
    page.get_by_label("Opted out consent.opted_out").check()
    page.get_by_role("button", name="Add the webhook").click()
    page.wait_for_selector("text=shown this once")
    assert page.get_by_label("Signing secret").input_value().startswith("whsec_")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    look(page, f"staff-webhooks-{size}.png")
    page.get_by_role("link", name=url).click()
    page.wait_for_selector("h1:has-text('Webhook to crm.example.com')")
    page.get_by_label("Send again every event recorded since").fill("2026-01-01T09:00")
    page.get_by_role("button", name="Replay").click()
    page.wait_for_selector("text=Replay queued")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    look(page, f"staff-webhook-{size}.png")
    page.get_by_role("link", name="Delete the webhook").click()
    page.get_by_label("I understand this cannot be undone").check()
    look(page, f"staff-webhook-delete-{size}.png")
    page.get_by_role("button", name="Delete the webhook").click()
    page.wait_for_url("**/settings/webhooks?done=deleted")
    assert page.get_by_role("status").inner_text() == "Webhook deleted"
    assert url not in page.content()
    page.context.close()
