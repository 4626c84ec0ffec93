"""The staff web app (decision 067): the uploaded copy of written permission kept and linked from
the profile's history, the contacts table's status filter, and broadcast audiences of several
attributes; through the real app on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import shlex
from datetime import timedelta
from html import unescape

import pytest

from consentry.adapters.store import contacts_sql
from consentry.core import limits
from consentry.core.events import Source
from tests.factories import WRITTEN, admin, as_contact, count_rows, make_contact, sql
from tests.staff.test_broadcasts import opted_in, preview, text_of

SCAN = b"%PDF-1.4\n% Ada's signed form\n%%EOF\n"
FORM = {"channel": "sms", "choice": "yes", **WRITTEN}


def upload(staff, contact_id: str, files: dict[str, tuple[str, bytes, str]]):
    """Post the Yes form of SMS with the written permission and the files."""
    return staff.client.post(
        f"/contacts/{contact_id}/preferences",
        data={"csrf": staff.csrf(), **FORM}, files=files,
    )  # fmt: skip


def link_of(html: str) -> str:
    """The history's link to the kept copy."""
    found = re.search(r'<a class="evidence-file" href="([^"]+)">', html)
    assert found, "no link to a kept copy on the profile"
    return found.group(1)


# ── the kept copy ──
def test_the_uploaded_copy_is_kept_and_linked_from_its_history_row(staff, ledger):
    ada = make_contact(ledger)
    staff.sign_in("staff")
    done = upload(staff, ada.id, {"file": ("signed form.pdf", SCAN, "application/pdf")})
    assert done.status_code == 200 and "Contact updated" in done.text
    event = ledger.history(admin(), ada.id)[-1]
    digest = event.evidence_data["file_sha256"]
    assert link_of(done.text) == f"/contacts/{ada.id}/evidence/{digest}"
    assert "Download the copy: signed form.pdf" in text_of(done.text)
    staff.sign_in("viewer")  # anyone who may view the contact
    got = staff.client.get(link_of(staff.client.get(f"/contacts/{ada.id}").text))
    assert got.status_code == 200 and got.content == SCAN
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith('attachment; filename="signed form.pdf"')
    assert got.headers["x-content-type-options"] == "nosniff"


def test_a_copy_of_another_type_downloads_as_octet_stream(staff, ledger):
    ada = make_contact(ledger)
    staff.sign_in("staff")
    upload(staff, ada.id, {"file": ("note.html", b"<script>alert(1)</script>", "text/html")})
    got = staff.client.get(link_of(staff.client.get(f"/contacts/{ada.id}").text))
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-security-policy"] == "default-src 'none'; sandbox"


def test_a_copy_over_ten_mebibytes_is_refused_and_nothing_is_written(staff, ledger):
    ada = make_contact(ledger)
    staff.sign_in("staff")
    before = count_rows(ledger)
    big = b"x" * (limits.MAX_EVIDENCE_FILE + 1)
    refused = upload(staff, ada.id, {"file": ("scan.pdf", big, "application/pdf")})
    assert refused.status_code == 413 and "<code>evidence_file_too_large</code>" in refused.text
    assert count_rows(ledger) == before
    assert sql(ledger, "SELECT count(*) FROM evidence_files") == [(0,)]


def test_the_downloads_refusals(staff, ledger):
    ada = make_contact(ledger)
    staff.sign_in("staff")
    upload(staff, ada.id, {"file": ("form.pdf", SCAN, "application/pdf")})
    link = link_of(staff.client.get(f"/contacts/{ada.id}").text)
    unknown = staff.client.get(f"/contacts/{ada.id}/evidence/{'0' * 64}")
    assert unknown.status_code == 404 and "<code>evidence_file_not_found</code>" in unknown.text
    malformed = staff.client.get(f"/contacts/{ada.id}/evidence/not-a-hash")
    assert malformed.status_code == 422 and "<code>invalid</code>" in malformed.text
    sql(ledger, "UPDATE evidence_files SET content = :c", c=SCAN.replace(b"Ada", b"Eve"))
    altered = staff.client.get(link)
    assert altered.status_code == 500 and "<code>evidence_file_altered</code>" in altered.text
    assert b"Eve" not in altered.content
    staff.sign_in("globex")
    walled = staff.client.get(link)
    assert walled.status_code == 404 and "<code>contact_not_found</code>" in walled.text
    signed_out = staff.client.post("/sign-out", data={"csrf": staff.csrf()})
    assert signed_out.status_code == 200
    later = staff.client.get(link, follow_redirects=False)
    assert later.status_code == 303 and later.headers["location"].startswith("/sign-in")


def test_a_hash_without_a_kept_copy_says_so(staff, ledger):
    ada = make_contact(ledger)
    ledger.opt_in(admin(), ada.id, "sms", "acme", evidence={**WRITTEN, "file_sha256": "ab" * 32})
    staff.sign_in("viewer")
    html = staff.client.get(f"/contacts/{ada.id}").text
    assert "A copy was hashed but not kept here." in html
    assert 'class="evidence-file" href=' not in html


# ── the contacts table's status filter ──
def contacts_in(html: str) -> set[str]:
    return set(re.findall(r'<td><a href="/contacts/([^"]+)">', html))


def test_the_status_filter_shows_what_the_icon_shows(staff, ledger):
    ada = make_contact(ledger)
    bob = make_contact(ledger, email="bob@example.com", mobile="+447700900124")
    cy = make_contact(ledger, email="cy@example.com", mobile="+447700900125")
    for c in (ada, bob, cy):
        ledger.opt_in(admin(), c.id, "sms", "acme", evidence=WRITTEN)
    ledger.opt_out(
        as_contact(bob), bob.id, "sms", "acme/newsletters", source=Source.UNSUBSCRIBE_LINK
    )
    ledger.record_bounce(admin(), cy.id, "sms")
    staff.sign_in("viewer")
    page = staff.client.get("/contacts").text
    assert '<select id="status" name="status">' in page and '<optgroup label="SMS">' in page
    assert '<option value="sms:hard_opt_out">Opted out of SMS by the contact</option>' in page
    at_group = staff.client.get("/contacts", params={"status": "sms:opted_in"}).text
    assert contacts_in(at_group) == {ada.id, bob.id}  # bob's opt-out is the client's, below
    assert 'value="sms:opted_in" selected' in at_group
    bounced = staff.client.get("/contacts", params={"status": "sms:bounced"}).text
    assert contacts_in(bounced) == {cy.id}
    staff.sign_in("client_admin")  # at acme/newsletters: bob's own opt-out counts there
    hard = staff.client.get("/contacts", params={"status": "sms:hard_opt_out"}).text
    assert contacts_in(hard) == {bob.id}
    assert "Opt-In Status at acme/newsletters" in hard
    both = staff.client.get("/contacts", params={"status": "sms:opted_in", "unsubscribed": "sms"})
    assert contacts_in(both.text) == set()  # bob is opted out here, so not subscribed


@pytest.mark.parametrize("value", ["fax:opted_in", "sms:opted_out", "sms", ":", "x" * 65])
def test_a_status_the_table_has_no_option_for_is_refused(staff, value):
    staff.sign_in("viewer")
    answer = staff.client.get("/contacts", params={"status": value})
    code = "text_too_long" if len(value) > 64 else "invalid"
    assert answer.status_code == 422 and f"<code>{code}</code>" in answer.text


def test_a_short_page_of_the_filter_offers_the_next(staff, ledger, clock, monkeypatch):
    made = []
    for n in range(5):  # in id order: the one with no consent is last
        clock.set(clock.now() + timedelta(seconds=1))
        made.append(make_contact(ledger, email=f"n{n}@example.com", mobile=None).id)
    for contact_id in made[:4]:
        ledger.opt_in(admin(), contact_id, "email", "acme", evidence=WRITTEN)
    monkeypatch.setattr(contacts_sql, "STATUS_SCAN", 2)
    staff.sign_in("viewer")
    first = staff.client.get("/contacts", params={"status": "email:no_consent"}).text
    assert contacts_in(first) == set() and 'id="read-on"' in first
    found = re.search(r'href="(/contacts\?[^"]*after=[^"]+)">Next page</a>', first)
    assert found, "no next page"
    nxt = unescape(found.group(1))
    assert "status=email%3Ano_consent" in nxt
    seen: set[str] = set()
    while nxt:
        html = staff.client.get(nxt).text
        seen |= contacts_in(html)
        more = re.search(r'href="(/contacts\?[^"]*after=[^"]+)">Next page</a>', html)
        nxt = unescape(more.group(1)) if more else ""
    assert seen == {made[4]}


# ── broadcasts of several attributes ──
def test_a_broadcast_audience_of_several_attributes(staff, ledger):
    gold_gb = opted_in(
        ledger, make_contact(ledger, attributes={"plan": "gold", "country": "GB"}), "sms"
    )
    opted_in(
        ledger,
        make_contact(
            ledger, email="b@example.com", mobile="+447700900124",
            attributes={"plan": "gold", "country": "FR"},
        ),
        "sms",
    )  # fmt: skip
    staff.sign_in("staff")
    html = preview(staff, channel="sms", attribute="plan=gold\r\n\r\n country = GB \n")
    assert "1 contact will get this SMS" in text_of(html)
    assert f'href="/contacts/{gold_gb.id}"' in html
    assert "plan=gold\r\n\r\n country = GB" in unescape(html)  # the form keeps what was typed
    found = re.search(r"<pre><code>(.*?)</code></pre>", html, flags=re.S)
    assert found, "no API example"
    body = json.loads(shlex.split(unescape(found.group(1)))[-1])
    assert body["segment"] == {
        "attributes": [{"name": "plan", "value": "gold"}, {"name": "country", "value": "GB"}]
    }
    one = preview(staff, channel="sms", attribute="plan=gold")
    assert "2 contacts will get this SMS" in text_of(one)


def test_more_than_eight_attributes_are_refused(staff):
    staff.sign_in("staff")
    lines = "\n".join(f"k{n}=v" for n in range(limits.MAX_SEGMENT_ATTRIBUTES + 1))
    for answer in (
        staff.client.get("/broadcasts", params={"channel": "sms", "attribute": lines}),
        staff.client.post(
            "/broadcasts",
            data={"csrf": staff.csrf("/broadcasts"), "channel": "sms", "attribute": lines},
        ),
    ):
        assert answer.status_code == 422 and "<code>too_many_items</code>" in answer.text
    bad = staff.client.get("/broadcasts", params={"channel": "sms", "attribute": "plan=gold\nvip"})
    assert bad.status_code == 422 and "<code>invalid</code>" in bad.text
