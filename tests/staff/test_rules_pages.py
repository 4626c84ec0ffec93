"""The lifecycle rules pages of the staff app (issue 10; decisions 077 and 081): through the
server's one app on SQLite and PostgreSQL, and once in real headless Chromium at 1280 and 390 px
(axe)."""

from __future__ import annotations

import pytest

from consentry.core.contacts import ContactDetails
from consentry.core.events import Source
from consentry.core.rules import RuleStatus, TriggerKind
from tests.browser import look
from tests.factories import WRITTEN, admin, as_contact, make_contact, sql
from tests.factories import staff as staff_member
from tests.staff.conftest import DESKTOP, PHONE, open_settings, signed_in

NEWS = "acme/newsletters"
VIP_FORM = "VIP sign-up form: 'Yes, email me VIP offers.'"
SHOWN = VIP_FORM.replace("'", "&#39;")  # as the page escapes it


def add(client, **data):
    """Post the add form with the session's CSRF token (``csrf=None`` leaves it out)."""
    form = {"csrf": client.csrf("/settings/rules"), "scope": "acme", "trigger": "list_joined",
            "name": "vip", "value": "", "channel": "email", "status": "opted_out",
            "written_permission": "email", "given_at": "", "reference": "", **data}  # fmt: skip
    form = {k: v for k, v in form.items() if v is not None}
    return client.client.post("/settings/rules", data=form, follow_redirects=False)


def rules(ledger) -> int:
    return int(sql(ledger, "SELECT count(*) FROM lifecycle_rules")[0][0])


def vip_opt_in(ledger):
    return ledger.create_rule(
        admin(), NEWS, trigger="list_joined", name="vip", channel="email", status="opted_in",
        permission={**WRITTEN, "reference": VIP_FORM},
    )  # fmt: skip


# ── the list and adding ──
def test_an_admin_adds_an_opt_out_rule_and_sees_it_listed(staff, ledger):
    staff.sign_in("admin")
    empty = staff.client.get("/settings/rules")
    assert empty.status_code == 200 and "No lifecycle rules yet." in empty.text
    assert '<a href="/settings/rules" aria-current="page">Lifecycle rules</a>' in empty.text
    done = add(staff, scope=NEWS, given_at="2026-01-02", reference="ignored for an opt-out")
    [rule] = ledger.list_rules(admin())
    assert done.status_code == 303
    assert done.headers["location"] == f"/settings/rules/{rule.id}?done=added"
    assert (rule.trigger.kind, rule.trigger.name, rule.status, rule.scope_id) == (
        TriggerKind.LIST_JOINED, "vip", RuleStatus.OPTED_OUT, NEWS,
    )  # fmt: skip
    assert rule.permission is None  # the permission fields are left out of an opt-out rule
    page = staff.client.get(done.headers["location"]).text
    assert "Rule added" in page and "<h1>Rule: Joins the list vip</h1>" in page
    assert "No skipped firings." in page
    listing = staff.client.get("/settings/rules").text
    row = listing.split(f'href="/settings/rules/{rule.id}"', 1)[1].split("</tr>", 1)[0]
    assert ">Joins the list vip</a>" in row and "<td>Opted out of Email</td>" in row
    assert f"<td>{NEWS}</td>" in row and "<td>1</td>" in row


def test_an_opt_in_rule_keeps_the_admins_record_of_written_permission(staff, ledger):
    staff.sign_in("admin")
    done = add(
        staff, trigger="attribute_changed", name="tier", value="gold", status="opted_in",
        written_permission="signed_form", given_at="2026-01-02", reference=f"  {VIP_FORM} ",
    )  # fmt: skip
    assert done.status_code == 303
    [rule] = ledger.list_rules(admin())
    assert (rule.trigger.name, rule.trigger.value) == ("tier", "gold")
    assert rule.permission == {
        "written_permission": "signed_form", "given_at": "2026-01-02", "reference": VIP_FORM,
    }  # fmt: skip
    page = staff.client.get(f"/settings/rules/{rule.id}").text
    assert "<h1>Rule: Attribute tier changes to gold</h1>" in page
    assert f"A signed form, since 2026-01-02: {SHOWN}" in page


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        ({"status": "opted_in"}, "evidence_required", "given_at missing; reference missing"),
        ({"status": "opted_in", "given_at": "2026-01-02"}, "evidence_required", "reference"),
        ({"trigger": "created"}, "invalid", "names no list or attribute"),
        ({"name": ""}, "invalid", "names its list or attribute"),
        ({"trigger": "when_it_rains"}, "invalid", "trigger is one of"),
        ({"channel": "fax"}, "invalid_channel", "fax"),
    ],
)
def test_a_refused_rule_is_explained_next_to_the_form(staff, ledger, data, code, words):
    staff.sign_in("admin")
    refused = add(staff, **data)
    assert refused.status_code == 422
    form = refused.text.split('id="add-h"', 1)[1]
    assert 'class="error" role="alert" id="add-error"' in form and words in form
    assert f"<code>{code}</code>" in form
    if data.get("trigger") == "created":
        assert 'value="created" checked' in form and 'name="name" type="text" value="vip"' in form
    assert rules(ledger) == 0


# ── a rule's page: skips, changing, removing ──
def test_a_rules_page_lists_its_skipped_firings_with_the_reason(staff, ledger):
    rule = vip_opt_in(ledger)
    ada = make_contact(ledger)
    ledger.opt_out(as_contact(ada), ada.id, "email", NEWS, source=Source.UNSUBSCRIBE_LINK)
    ledger.update_contact(staff_member(), ada.id, ContactDetails(lists=["vip"]))
    staff.sign_in("admin")
    page = staff.client.get(f"/settings/rules/{rule.id}").text
    skips = page.split('id="skips-h"', 1)[1].split("</table>", 1)[0]
    assert f'<a href="/contacts/{ada.id}">{ada.id}</a>' in skips
    assert "<code>list_joined:vip</code>" in skips
    assert "The contact opted out themselves: a rule never lifts that" in skips


def test_changing_a_rule_makes_a_new_version(staff, ledger):
    rule = vip_opt_in(ledger)
    staff.sign_in("admin")
    page = staff.client.get(f"/settings/rules/{rule.id}").text
    change = page.split('id="change-h"', 1)[1]
    assert 'value="list_joined" checked' in change and 'value="vip"' in change
    assert '<option value="signed_form"' in change and SHOWN in change  # prefilled
    assert "Save as version 2" in change and 'name="scope"' not in change
    form = {
        "csrf": staff.csrf(),
        "trigger": "list_joined",
        "name": "vvip",
        "channel": "sms",
        "status": "opted_out",
        "written_permission": "email",
        "given_at": "",
        "reference": "",
    }
    done = staff.client.post(f"/settings/rules/{rule.id}", data=form)
    assert done.status_code == 200 and "Rule changed" in done.text
    [now] = ledger.list_rules(admin())
    assert (now.id, now.version, now.trigger.name, now.channel.value) == (rule.id, 2, "vvip", "sms")
    assert now.permission is None and now.scope_id == NEWS
    refused = staff.client.post(f"/settings/rules/{rule.id}", data={**form, "status": "opted_in"})
    assert refused.status_code == 422 and 'id="change-error"' in refused.text
    assert ledger.list_rules(admin())[0].version == 2


def test_emptying_the_value_in_the_form_clears_it(staff, ledger):
    rule = ledger.create_rule(
        admin(), NEWS, trigger="attribute_changed", name="tier", value="gold",
        channel="email", status="opted_out",
    )  # fmt: skip
    staff.sign_in("admin")
    form = {"csrf": staff.csrf(), "trigger": "attribute_changed", "name": "tier", "value": "",
            "channel": "email", "status": "opted_out", "written_permission": "email",
            "given_at": "", "reference": ""}  # fmt: skip
    done = staff.client.post(f"/settings/rules/{rule.id}", data=form)
    assert done.status_code == 200 and "Rule changed" in done.text
    [now] = ledger.list_rules(admin())
    assert (now.version, now.trigger.name, now.trigger.value) == (2, "tier", None)


def test_removing_needs_the_tick_then_the_rule_fires_no_more(staff, ledger):
    rule = vip_opt_in(ledger)
    staff.sign_in("admin")
    base = f"/settings/rules/{rule.id}"
    assert f'href="{base}/remove">Remove the rule</a>' in staff.client.get(base).text
    confirm = staff.client.get(f"{base}/remove")
    assert confirm.status_code == 200 and "This cannot be undone." in confirm.text
    refused = staff.client.post(f"{base}/remove", data={"csrf": staff.csrf()})
    assert refused.status_code == 422 and len(ledger.list_rules(admin())) == 1
    done = staff.client.post(
        f"{base}/remove", data={"csrf": staff.csrf(), "confirm": "yes"}, follow_redirects=False
    )
    assert done.headers["location"] == "/settings/rules?done=removed"
    listing = staff.client.get(done.headers["location"]).text
    assert "Rule removed" in listing and "No lifecycle rules yet." in listing
    assert ledger.list_rules(admin()) == []


# ── who may ──
@pytest.mark.parametrize("who", ["staff", "viewer"])
def test_staff_and_viewers_are_not_shown_rules_and_are_refused(staff, ledger, who):
    rule = vip_opt_in(ledger)
    staff.sign_in(who)
    assert "/settings/rules" not in staff.client.get("/contacts").text
    base = f"/settings/rules/{rule.id}"
    for path in ("/settings/rules", base, f"{base}/remove"):
        assert staff.client.get(path).status_code == 403
    csrf = staff.csrf()
    definition = {"trigger": "created", "channel": "email", "status": "opted_out"}
    for path, data in [
        ("/settings/rules", {"scope": "acme", **definition}),
        (base, definition),
        (f"{base}/remove", {"confirm": "yes"}),
    ]:
        refused = staff.client.post(path, data={"csrf": csrf, **data})
        assert refused.status_code == 403 and "forbidden" in refused.text, path
    assert ledger.list_rules(admin()) == [rule] and rules(ledger) == 1


def test_a_client_admin_manages_only_the_rules_in_reach(staff, ledger):
    news = vip_opt_in(ledger)
    group = ledger.create_rule(
        admin(), "acme", trigger="created", channel="sms", status="opted_out"
    )
    staff.sign_in("client_admin")
    listing = staff.client.get("/settings/rules").text
    assert f"/settings/rules/{news.id}" in listing and f"/settings/rules/{group.id}" not in listing
    assert staff.client.get(f"/settings/rules/{group.id}").status_code == 403
    refused = add(staff, scope="acme")
    assert refused.status_code == 403 and "out_of_scope" in refused.text and rules(ledger) == 2
    staff.client.cookies.clear()
    staff.sign_in("globex")
    assert staff.client.get(f"/settings/rules/{news.id}").status_code == 404


def test_every_rule_form_refuses_a_missing_or_wrong_csrf_token(staff, ledger):
    rule = vip_opt_in(ledger)
    staff.sign_in("admin")
    base = f"/settings/rules/{rule.id}"
    definition = {"trigger": "created", "channel": "email", "status": "opted_out"}
    forms = [
        ("/settings/rules", {"scope": "acme", **definition}),
        (base, definition),
        (f"{base}/remove", {"confirm": "yes"}),
    ]
    for csrf in (None, "", "0" * 64):
        token: dict[str, str] = {} if csrf is None else {"csrf": csrf}
        for path, data in forms:
            refused = staff.client.post(path, data={**token, **data})
            assert refused.status_code == 403 and "forbidden" in refused.text, (path, csrf)
    assert ledger.list_rules(admin()) == [rule] and rules(ledger) == 1


# ── in the browser ──
@pytest.mark.browser
@pytest.mark.parametrize("site", ["sqlite"], indirect=True)  # the pages; both DBs above
@pytest.mark.parametrize(("viewport", "size"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_an_admin_adds_changes_and_removes_a_rule_in_chromium(site, browser, viewport, size):
    page = signed_in(browser, site, "admin", viewport)
    open_settings(page, "Lifecycle rules")
    page.wait_for_url("**/settings/rules")
    page.get_by_label("The list or the attribute").fill(f"vip-{size}")
    page.get_by_label("Opted in (revalidate").check()
    page.get_by_role("button", name="Add the rule").click()
    page.wait_for_selector("#add-error")  # no record of written permission: refused, explained
    assert "evidence_required" in page.locator("#add-error").inner_text()
    assert page.get_by_label("The list or the attribute").input_value() == f"vip-{size}"
    look(page, f"staff-rules-refused-{size}.png")
    page.get_by_label("What did the contacts give?").select_option("signed_form")
    page.get_by_label("Since when does it say so?").fill("2026-01-02")
    page.get_by_label("Where is it kept, or what does it say?").fill(VIP_FORM)
    page.get_by_role("button", name="Add the rule").click()
    page.wait_for_selector("text=Rule added")
    assert page.locator("h1").inner_text() == f"Rule: Joins the list vip-{size}"
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    look(page, f"staff-rule-{size}.png")
    page.get_by_role("link", name="Remove the rule").click()
    page.get_by_label("I understand the rule stops firing").check()
    look(page, f"staff-rule-remove-{size}.png")
    page.get_by_role("button", name="Remove the rule").click()
    page.wait_for_url("**/settings/rules?done=removed")
    assert page.get_by_role("status").inner_text() == "Rule removed: it fires no more"
    page.context.close()
