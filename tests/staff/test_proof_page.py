"""The proof of consent in the staff app (decision 069): ``/contacts/{id}/proof`` and its PDF,
through the server's one app and in real headless Chromium at 1280 and 390 px (axe-checked)."""

from __future__ import annotations

import html
import struct
import subprocess

import pytest

from consentry.core.events import Source
from tests.browser import SHOTS, look
from tests.factories import WRITTEN, make_contact, sender, staff
from tests.staff.conftest import DESKTOP, PHONE, signed_in


def ada_with_a_stop(ledger):
    ada = make_contact(ledger, name="Ada Lovelace")
    ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN)
    ledger.opt_out(
        sender(), ada.id, "sms", "acme", source=Source.SMS_KEYWORD, evidence={"inbound": "STOP"}
    )
    return ada


def test_a_viewer_opens_the_proof_page_and_its_pdf(staff, ledger, tmp_path, db_url):
    ada = ada_with_a_stop(ledger)
    staff.sign_in("viewer")
    page = staff.client.get(f"/contacts/{ada.id}/proof")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "style-src 'sha256-" in page.headers["content-security-policy"]
    text = html.unescape(page.text)
    assert "<h1>Proof of consent: Ada Lovelace</h1>" in text
    assert "The record of this contact's consent is intact: its 2 events" in text
    assert f'<a href="/contacts/{ada.id}/proof.pdf">Download the PDF</a>' in text
    pdf = staff.client.get(f"/contacts/{ada.id}/proof.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith(f'attachment; filename="proof-{ada.id}-')
    assert pdf.content.startswith(b"%PDF-")
    (tmp_path / "proof.pdf").write_bytes(pdf.content)
    shot = SHOTS / f"staff-proof-pdf-{db_url.split(':', 1)[0]}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
         str(tmp_path / "proof.pdf"), str(shot)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    head = shot.with_suffix(".png").read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", head[16:24]) == (497, 702)


def test_the_proof_needs_a_session_and_keeps_the_group_wall(staff, ledger):
    ada = ada_with_a_stop(ledger)
    for path in (f"/contacts/{ada.id}/proof", f"/contacts/{ada.id}/proof.pdf"):
        first = staff.client.get(path, follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"].startswith("/sign-in")
    staff.sign_in("globex")
    for path in (f"/contacts/{ada.id}/proof", f"/contacts/{ada.id}/proof.pdf"):
        hidden = staff.client.get(path)
        assert hidden.status_code == 404 and "contact_not_found" in hidden.text


@pytest.mark.browser
@pytest.mark.parametrize(("viewport", "size"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_proof_page_in_chromium(site, browser, viewport, size):
    page = signed_in(browser, site, "viewer", viewport)
    page.goto(f"{site.base}/contacts/{site.ada.id}/proof")
    assert page.title() == "Proof of consent: Ada Lovelace"
    assert page.locator("h1").inner_text() == "Proof of consent: Ada Lovelace"
    verdict = page.locator("#verdict")
    assert verdict.inner_text().startswith("The record of this contact's consent is intact")
    assert verdict.evaluate("e => getComputedStyle(e).borderLeftColor") == "rgb(22, 101, 52)"
    rows = page.locator("#events-h ~ .table-wrap tbody tr")
    assert rows.count() == 2
    assert "Opted out of phone calls at acme" in rows.nth(1).inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") == viewport["width"]  # no sideways
    look(page, f"staff-proof-{size}.png")
    page.get_by_role("link", name="Back to the contact").click()
    page.wait_for_url(f"**/contacts/{site.ada.id}")
    page.context.close()
