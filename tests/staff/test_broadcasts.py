"""Broadcasts: what a send would get (SPEC §6; seeds/001, 004; decision 063), through the real
app on SQLite and PostgreSQL: the counts and reasons, the struck-through excluded, the alert for
opted-out pasted contacts, the CSV of the eligible, the API example, and who may preview."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
from html import unescape
from pathlib import Path

import pytest

from consentry.core.events import Source
from consentry.staff import broadcasts
from tests.browser import look
from tests.factories import WRITTEN, admin, as_contact, make_contact, sender, system
from tests.staff.conftest import DESKTOP, PHONE, Staff, signed_in

HARD_SMS = "Opted out of SMS: the contact's own opt-out"


def opted_in(ledger, contact, *channels):
    """Opt a contact in to each channel at acme, with written permission."""
    for channel in channels:
        ledger.opt_in(admin(), contact.id, channel, "acme", evidence=WRITTEN)
    return contact


def opted_out_themselves(ledger, contact, channel):
    """The contact's own opt-out (a hard one), through an unsubscribe link."""
    ledger.opt_out(as_contact(contact), contact.id, channel, "acme", source=Source.UNSUBSCRIBE_LINK)


def seed_001(ledger):
    """Contact A opted out of SMS, Contact B opted out of Calls; both opted in to the rest."""
    a = opted_in(ledger, make_contact(ledger, name="Contact A"), "sms", "voice")
    b = opted_in(
        ledger,
        make_contact(ledger, email="b@example.com", mobile="+447700900124", name="Contact B"),
        "sms",
        "voice",
    )
    opted_out_themselves(ledger, a, "sms")
    opted_out_themselves(ledger, b, "voice")
    return a, b


def preview(staff: Staff, **query: str) -> str:
    """The broadcast page for the query; it answers 200."""
    answer = staff.client.get("/broadcasts", params={"scope": "acme", **query})
    assert answer.status_code == 200, answer.text
    return str(answer.text)


def text_of(html: str) -> str:
    """The page's words, tags and repeated spaces gone, entities read."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def listed(html: str) -> dict[str, tuple[bool, str]]:
    """The audience table: contact id → (struck through, the reason in words)."""
    body = html.split('class="broadcast-audience"', 1)[1].split("</tbody>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr[^>]*>.*?</tr>", body, flags=re.S)[1:]:  # after the header
        found = re.search(r'href="/contacts/([^"]+)"', row)
        assert found, row
        why = re.search(r'class="reason-words[^"]*" aria-hidden="true">([^<]+)<', row)
        assert why, row
        struck = (
            '<tr class="excluded">' in row and '<s><span class="visually-hidden">excluded: ' in row
        )
        rows[found.group(1)] = (struck, unescape(why.group(1)))
    return rows


def alerts(html: str) -> list[str]:
    """The items of the role="alert" box, if there is one."""
    if 'role="alert"' not in html:
        return []
    box = html.split('role="alert"', 1)[1].split("</div>", 1)[0]
    return [text_of(item).strip() for item in re.findall(r"<li>(.*?)</li>", box, flags=re.S)]


# ── the seed-001 example ──
def test_an_sms_broadcast_includes_only_contact_b(staff, ledger):
    a, b = seed_001(ledger)
    staff.sign_in("staff")
    html = preview(staff, channel="sms")
    words = text_of(html)
    assert "1 contact will get this SMS" in words
    assert f"1 {HARD_SMS}" in words
    assert "No manual filtering is required" in words
    assert listed(html) == {a.id: (True, HARD_SMS), b.id: (False, "Subscribed to SMS")}
    assert 'class="optin optin-hard"' in html.split(f'href="/contacts/{a.id}"', 1)[1]


def test_a_voice_broadcast_includes_only_contact_a(staff, ledger):
    a, b = seed_001(ledger)
    staff.sign_in("staff")
    html = preview(staff, channel="voice")
    words = text_of(html)
    assert "1 contact will get this call or voicemail" in words
    hard_voice = "Opted out of Calls & Voicemails: the contact's own opt-out"
    assert f"1 {hard_voice}" in words
    assert listed(html) == {
        a.id: (False, "Subscribed to Calls & Voicemails"),
        b.id: (True, hard_voice),
    }


def test_every_reason_is_counted_in_words(staff, ledger):
    opted_in(ledger, make_contact(ledger, name="Ada"), "sms")
    soft = make_contact(ledger, email="soft@example.com", mobile="+447700900124")
    ledger.opt_out(admin(), soft.id, "sms", "acme")
    make_contact(ledger, email="none@example.com", mobile="+447700900125")
    make_contact(ledger, email="nomobile@example.com", mobile=None)
    staff.sign_in("admin")
    words = text_of(preview(staff, channel="sms"))
    assert "1 contact will get this SMS" in words
    for line in ("1 Opted out of SMS ", "1 No opt-in for SMS", "1 No address for SMS"):
        assert line in words, line
    assert "4 contacts in this audience" in words


def test_the_sender_scope_decides_which_opt_outs_count(staff, ledger):
    ada = opted_in(ledger, make_contact(ledger, name="Ada"), "sms")
    ledger.opt_out(admin(), ada.id, "sms", "acme/newsletters")  # the newsletters only
    staff.sign_in("staff")
    news = preview(staff, channel="sms", scope="acme/newsletters")
    assert listed(news) == {ada.id: (True, "Opted out of SMS")}
    assert "0 contacts will get this SMS" in text_of(news)
    events = preview(staff, channel="sms", scope="acme/events")
    assert listed(events) == {ada.id: (False, "Subscribed to SMS")}


def test_the_table_lists_the_first_contacts_and_says_how_many_there_are(staff, ledger, monkeypatch):
    monkeypatch.setattr(broadcasts, "MAX_SHOWN", 3)
    made = [
        make_contact(ledger, email=f"c{n}@example.com", mobile=f"+4477009001{n:02d}")
        for n in range(5)
    ]
    staff.sign_in("staff")
    html = preview(staff, channel="sms")
    assert list(listed(html)) == sorted(c.id for c in made)[:3]
    assert "The first 3 of 5 contacts in this audience" in text_of(html)


# ── pasted addresses ──
def test_a_pasted_hard_opted_out_contact_gets_the_alert_and_is_struck_through(staff, ledger):
    ada = opted_in(ledger, make_contact(ledger, name="Ada"), "sms")
    bob = make_contact(ledger, email="bob@example.com", mobile="+447700900124", name="Bob")
    opted_out_themselves(ledger, bob, "sms")
    staff.sign_in("staff")
    html = preview(staff, channel="sms", addresses="07700 900123\n\n  BOB@example.com \n")
    assert alerts(html) == [
        "Bob (bob@example.com) is opted out of SMS and will not get this broadcast"
    ]
    assert listed(html) == {ada.id: (False, "Subscribed to SMS"), bob.id: (True, HARD_SMS)}
    words = text_of(html)
    assert "1 contact will get this SMS" in words and "unknown" not in words


def test_more_than_twenty_opted_out_pasted_contacts_are_summed_up(staff, ledger):
    emails = [f"out{n}@example.com" for n in range(23)]
    for n, email in enumerate(emails):
        contact = make_contact(ledger, email=email, mobile=f"+4477009002{n:02d}")
        ledger.opt_out(admin(), contact.id, "email", "acme")  # soft: opted out all the same
    staff.sign_in("viewer")
    html = preview(staff, channel="email", addresses="\n".join(emails))
    said = alerts(html)
    assert len(said) == 20
    assert said[0].endswith("is opted out of Email and will not get this broadcast")
    assert "and 3 more" in html.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert "0 contacts will get this email" in text_of(html)


def test_unknown_and_unreadable_pasted_addresses_are_counted(staff, ledger):
    ada = opted_in(ledger, make_contact(ledger), "sms")
    staff.sign_in("staff")
    pasted = "ada@example.com\nnobody@example.com\n+44 7700 900999\nnot an address\n12"
    html = preview(staff, channel="sms", addresses=pasted)
    words = text_of(html)
    assert "1 contact will get this SMS" in words
    assert "2 unknown addresses" in words
    assert "2 pasted lines not an email address or a mobile number" in words
    assert "line 4: not an address" in words and "line 5: 12" in words
    assert list(listed(html)) == [ada.id]
    assert alerts(html) == []


def test_pasting_only_lines_that_are_not_addresses_names_nobody(staff, ledger):
    opted_in(ledger, make_contact(ledger), "sms")
    staff.sign_in("staff")
    html = preview(staff, channel="sms", addresses="hello\nworld")
    words = text_of(html)
    assert "0 contacts will get this SMS" in words
    assert "No contact is in this audience" in words


# ── lists and attributes ──
def test_a_list_audience(staff, ledger):
    vip = opted_in(ledger, make_contact(ledger, lists=["vip"]), "sms")
    opted_in(ledger, make_contact(ledger, email="b@example.com", mobile="+447700900124"), "sms")
    staff.sign_in("staff")
    html = preview(staff, channel="sms", list="vip")
    assert "1 contact will get this SMS" in text_of(html)
    assert listed(html) == {vip.id: (False, "Subscribed to SMS")}


def test_an_attribute_audience_narrowed_by_a_list(staff, ledger):
    gold = opted_in(ledger, make_contact(ledger, attributes={"plan": "gold"}, lists=["vip"]), "sms")
    opted_in(
        ledger,
        make_contact(
            ledger, email="b@example.com", mobile="+447700900124", attributes={"plan": "gold"}
        ),
        "sms",
    )
    make_contact(ledger, email="c@example.com", mobile="+447700900125", attributes={"plan": "tin"})
    staff.sign_in("staff")
    html = preview(staff, channel="sms", attribute=" plan = gold ")
    assert "2 contacts will get this SMS" in text_of(html)
    html = preview(staff, channel="sms", attribute="plan=gold", list="vip")
    assert listed(html) == {gold.id: (False, "Subscribed to SMS")}


# ── the CSV ──
def test_the_csv_holds_exactly_the_eligible_and_neutralises_formulas(staff, ledger):
    a, b = seed_001(ledger)
    evil = opted_in(
        ledger,
        make_contact(
            ledger, email="-evil@example.com", mobile="+447700900125", name='=HYPERLINK("x")'
        ),
        "sms",
    )
    staff.sign_in("staff")
    answer = staff.client.get(
        "/broadcasts/eligible.csv", params={"channel": "sms", "scope": "acme"}
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        'attachment; filename="broadcast-sms-eligible.csv"'
    )
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["contact_id", "email", "mobile", "name"]
    assert sorted(rows[1:]) == sorted([
        [b.id, "b@example.com", "tel:+447700900124", "Contact B"],
        [evil.id, "'-evil@example.com", "tel:+447700900125", "'=HYPERLINK(\"x\")"],
    ])  # fmt: skip
    assert a.id not in answer.text
    page = preview(staff, channel="sms")
    download = page.split('action="/broadcasts/eligible.csv"', 1)[1].split("</form>", 1)[0]
    fields = dict(re.findall(r'<input type="hidden" name="([a-z]+)" value="([^"]*)"', download))
    assert fields == {"csrf": staff.csrf(), "channel": "sms", "scope": "acme"}
    posted = staff.client.post("/broadcasts/eligible.csv", data=fields)
    assert posted.status_code == 200 and posted.text == answer.text


def test_the_csv_of_pasted_addresses_and_of_an_audience_read_page_by_page(
    staff, ledger, monkeypatch
):
    monkeypatch.setattr(broadcasts, "CSV_PAGE", 5)  # 13 contacts: three pages
    monkeypatch.setattr(broadcasts, "CSV_BATCH", 4)  # and sent four lines at a time
    make_contact(ledger, email="out@example.com", mobile=None)  # no consent: not in the CSV
    many = [
        opted_in(ledger, make_contact(ledger, email=f"p{n}@example.com", mobile=None), "email")
        for n in range(12)
    ]
    staff.sign_in("staff")
    pasted = "p3@example.com\np7@example.com\nnobody@example.com"
    answer = staff.client.get(
        "/broadcasts/eligible.csv", params={"channel": "email", "addresses": pasted}
    )
    ids = [r[0] for r in csv.reader(io.StringIO(answer.text))][1:]
    assert sorted(ids) == sorted([many[3].id, many[7].id])
    everyone = staff.client.get("/broadcasts/eligible.csv", params={"channel": "email"})
    ids = [r[0] for r in csv.reader(io.StringIO(everyone.text))][1:]
    assert sorted(ids) == sorted(c.id for c in many)


# ── the API example ──
def test_the_page_shows_the_same_audience_through_the_api(staff, ledger):
    opted_in(ledger, make_contact(ledger), "sms")
    staff.sign_in("staff")
    html = preview(staff, channel="sms", list="o'brien", addresses="07700 900123")
    found = re.search(r"<pre><code>(.*?)</code></pre>", html, flags=re.S)
    assert found, "no example"
    pre = unescape(found.group(1))
    assert pre.startswith("curl -sN -X POST https://testserver/v1/audiences/resolve")
    assert "Authorization: Bearer csk_…" in pre
    body = json.loads(shlex.split(pre)[-1])
    assert body == {
        "channel": "sms", "scope": "acme", "category": "marketing",
        "segment": {"list": "o'brien", "mobiles": ["+447700900123"]},
    }  # fmt: skip


# ── who may preview ──
def test_a_viewer_may_preview(staff, ledger):
    seed_001(ledger)
    ledger.add_scope(system(), "acme/sales", name="Sales team")
    staff.sign_in("viewer")
    form = preview(staff)
    assert "<h1>Broadcasts</h1>" in form and 'aria-current="page">Broadcasts' in form
    assert '<option value="sms" selected>SMS</option>' in form
    assert '<option value="acme/newsletters">Client: acme/newsletters</option>' in form
    assert '<option value="acme/sales">Client: Sales team (acme/sales)</option>' in form
    assert "1 contact will get this SMS" in text_of(preview(staff, channel="sms"))


def test_a_client_admin_may_not_send_from_outside_its_client(staff, ledger):
    seed_001(ledger)
    staff.sign_in("client_admin")
    form = staff.client.get("/broadcasts").text
    assert '<option value="acme/newsletters" selected>' in form
    assert '<option value="acme">' not in form
    inside = staff.client.get("/broadcasts", params={"channel": "sms", "scope": "acme/newsletters"})
    assert inside.status_code == 200
    for scope in ("acme", "acme/events"):
        outside = staff.client.get("/broadcasts", params={"channel": "sms", "scope": scope})
        assert outside.status_code == 403 and "out_of_scope" in outside.text
        csv_answer = staff.client.get(
            "/broadcasts/eligible.csv", params={"channel": "sms", "scope": scope}
        )
        assert csv_answer.status_code == 403 and "out_of_scope" in csv_answer.text


def test_another_groups_contacts_never_appear(staff, ledger):
    ada = opted_in(ledger, make_contact(ledger), "sms")
    other = make_contact(ledger, email="bob@example.com", mobile="+447700900124", group="globex")
    ledger.opt_in(admin("globex"), other.id, "sms", "globex", evidence=WRITTEN)
    staff.sign_in("staff")
    html = preview(staff, channel="sms", addresses="ada@example.com\nbob@example.com")
    assert list(listed(html)) == [ada.id] and other.id not in html
    assert "1 unknown address" in text_of(html)
    csv_text = staff.client.get("/broadcasts/eligible.csv", params={"channel": "sms"}).text
    assert other.id not in csv_text and ada.id in csv_text
    foreign = staff.client.get("/broadcasts", params={"channel": "sms", "scope": "globex"})
    assert foreign.status_code == 404 and "scope_not_found" in foreign.text
    staff.sign_in("globex")
    theirs = text_of(staff.client.get("/broadcasts", params={"channel": "sms"}).text)
    assert "1 contact will get this SMS" in theirs and "ada@example.com" not in theirs


def test_signing_in_comes_first(staff):
    answer = staff.client.get("/broadcasts", params={"channel": "sms"}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=/broadcasts"


# ── the form is checked once ──
@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"channel": "fax"}, "invalid_channel"),
        ({"channel": "sms", "attribute": "no sign"}, "invalid"),
        ({"channel": "sms", "attribute": "=gold"}, "invalid"),
        ({"channel": "sms", "addresses": "\n".join(["07700 900123"] * 10_001)}, "too_many_items"),
        ({"channel": "sms", "addresses": "a" * 321 + "@example.com"}, "text_too_long"),
        ({"channel": "sms", "list": "x" * 201}, "text_too_long"),
        ({"channel": "sms", "list": "vip\x00"}, "invalid_text"),
        ({"channel": ["sms", "email"]}, "too_many_items"),
    ],
)
def test_a_form_that_cannot_be_read_is_refused(staff, query, code):
    staff.sign_in("staff")
    for path in ("/broadcasts", "/broadcasts/eligible.csv"):
        posted = staff.client.post(path, data={"csrf": staff.csrf("/broadcasts"), **query})
        assert posted.status_code == 422 and f"<code>{code}</code>" in posted.text
        if len(str(query)) < 60_000:  # what fits in a URL
            got = staff.client.get(path, params=query)
            assert got.status_code == 422 and f"<code>{code}</code>" in got.text


# ── posting the form: a long paste does not fit in a URL ──
def test_ten_thousand_pasted_lines_are_posted_with_the_form(staff, ledger):
    ada = opted_in(ledger, make_contact(ledger), "sms")
    bob = make_contact(ledger, email="bob@example.com", mobile="+447700900124", name="Bob")
    opted_out_themselves(ledger, bob, "sms")
    pasted = ["ada@example.com", "07700 900124"] + [f"u{n}@example.com" for n in range(9_998)]
    staff.sign_in("staff")
    form = {"csrf": staff.csrf("/broadcasts"), "channel": "sms", "scope": "acme"}
    answer = staff.client.post("/broadcasts", data={**form, "addresses": "\r\n".join(pasted)})
    assert answer.status_code == 200
    words = text_of(answer.text)
    assert "1 contact will get this SMS" in words and "9,998 unknown addresses" in words
    assert alerts(answer.text) == [
        "Bob (+447700900124) is opted out of SMS and will not get this broadcast"
    ]
    assert listed(answer.text) == {ada.id: (False, "Subscribed to SMS"), bob.id: (True, HARD_SMS)}
    assert "the first 10 pasted addresses; send all 10,000" in words


def test_a_posted_form_needs_the_sessions_csrf_token(staff):
    staff.sign_in("staff")
    for path in ("/broadcasts", "/broadcasts/eligible.csv"):
        for token in (None, "forged-by-another-site"):
            data = {"channel": "sms"} | ({"csrf": token} if token else {})
            answer = staff.client.post(path, data=data)
            assert answer.status_code == 403 and "<code>forbidden</code>" in answer.text


# ── in a real browser ──
@pytest.mark.browser
@pytest.mark.parametrize(("viewport", "size"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_staff_previews_an_sms_broadcast_with_pasted_addresses(site, browser, viewport, size):
    ada = site.ada
    if not site.ledger.check(sender(), ada.id, "sms", "acme").allowed:
        site.ledger.opt_in(admin(), ada.id, "sms", "acme", evidence=WRITTEN)
    page = signed_in(browser, site, "staff", viewport)
    page.get_by_role("link", name="Broadcasts").click()
    page.wait_for_url("**/broadcasts")
    assert page.get_by_label("Channel").input_value() == "sms"
    assert page.get_by_label("Sender scope").input_value() == "acme"
    page.get_by_label("Pasted addresses").fill(
        "07700 900123\nbob@example.com\nnobody@example.com\nnot an address"
    )
    page.get_by_role("button", name="Preview").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    said = "Bob (bob@example.com) is opted out of SMS and will not get this broadcast"
    assert said in alert.inner_text()
    bob = page.locator("tr.excluded", has=page.get_by_role("link", name="Bob"))
    struck = bob.locator("s").first
    assert "line-through" in struck.evaluate("e => getComputedStyle(e).textDecorationLine")
    hidden = struck.locator(".visually-hidden")  # "excluded:" is for screen readers only
    assert hidden.inner_text().strip() == "excluded:" and hidden.bounding_box()["width"] <= 1
    assert bob.locator(f'[aria-label="{HARD_SMS}"]').get_attribute("class") == "optin optin-hard"
    plain = page.locator("tr", has=page.get_by_role("link", name="Ada Lovelace"))
    assert plain.get_attribute("class") is None and plain.locator("s").count() == 0
    assert "1 contact will get this SMS" in page.locator(".broadcast-count").inner_text()
    look(page, f"staff-broadcast-{size}.png")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the 1 eligible as CSV").click()
    assert download.value.suggested_filename == "broadcast-sms-eligible.csv"
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert [r[0] for r in rows] == ["contact_id", ada.id]
    page.context.close()
