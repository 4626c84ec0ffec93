"""``GET /v1/contacts/{id}/proof`` and ``…/proof/eligibility``: the proof document as JSON, an
HTML page under its own CSP, and a PDF that poppler reads back (decision 069)."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import struct
import subprocess
from datetime import timedelta
from pathlib import Path

from consentry.core.events import Source
from tests.api.conftest import refused
from tests.browser import SHOTS
from tests.factories import T0, WRITTEN, make_contact, sender, staff

STOP = {"inbound": "STOP"}


def story(ledger, clock):
    """Ada opts in to SMS at 10:00 and texts STOP at 11:00."""
    ada = make_contact(ledger, name="Ada Lovelace")
    clock.set(T0 + timedelta(hours=1))
    ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN)
    clock.set(T0 + timedelta(hours=2))
    ledger.opt_out(sender(), ada.id, "sms", "acme", source=Source.SMS_KEYWORD, evidence=STOP)
    clock.set(T0 + timedelta(hours=3))
    return ada


def png_size(path: Path) -> tuple[int, int]:
    """A PNG's width and height, from its IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def first_page_png(pdf: bytes, tmp_path: Path, name: str) -> Path:
    """Page 1 of a PDF as a PNG at 60 dpi (poppler's pdftoppm), saved to the screenshots."""
    (tmp_path / "doc.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
         str(tmp_path / "doc.pdf"), str(tmp_path / "page")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    SHOTS.mkdir(parents=True, exist_ok=True)
    target = SHOTS / name
    target.write_bytes((tmp_path / "page.png").read_bytes())
    return target


def test_the_proof_as_json_names_every_event_and_an_intact_chain(api, ledger, clock):
    ada = story(ledger, clock)
    response = api.as_("viewer").get(f"/v1/contacts/{ada.id}/proof")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    document = response.json()
    assert document["format"] == "consentry-proof/v1" and document["kind"] == "consent"
    assert [e["action"] for e in document["events"]] == ["opted_in", "opted_out"]
    assert document["events"][1]["evidence"] == STOP
    assert document["chain"]["intact"] and document["chain"]["checked"] == 2
    assert document["verdict"].startswith("The record of this contact's consent is intact")
    assert document["generated_by"]["role"] == "viewer"


def test_the_proof_page_carries_its_stylesheet_by_hash_and_nothing_else(api, ledger, clock):
    ada = story(ledger, clock)
    response = api.as_("viewer").get(f"/v1/contacts/{ada.id}/proof", params={"format": "html"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    [style] = re.findall(r"<style>(.*?)</style>", response.text, re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    csp = response.headers["content-security-policy"]
    assert f"style-src 'sha256-{digest}'" in csp and csp.startswith("default-src 'none'")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", response.text)  # nothing fetched
    page = html.unescape(response.text)
    assert "<h1>Proof of consent: Ada Lovelace</h1>" in page
    assert "its 2 events recompute to head" in page


def test_the_proof_pdf_opens_and_its_first_page_renders(api, ledger, clock, tmp_path, db_url):
    ada = story(ledger, clock)
    response = api.as_("viewer").get(f"/v1/contacts/{ada.id}/proof", params={"format": "pdf"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition == f'attachment; filename="proof-{ada.id}-20260105T1200Z.pdf"'
    assert response.content.startswith(b"%PDF-")
    backend = db_url.split(":", 1)[0]
    png = first_page_png(response.content, tmp_path, f"proof-api-pdf-{backend}.png")
    assert png_size(png) == (497, 702)  # A4 (210 by 297 mm) at 60 dpi


def test_the_answer_before_and_after_the_stop(api, ledger, clock):
    ada = story(ledger, clock)
    viewer = api.as_("viewer")
    url = f"/v1/contacts/{ada.id}/proof/eligibility"
    ask = {"channel": "sms", "scope": "acme/newsletters"}
    before = viewer.get(url, params={**ask, "at": "2026-01-05T10:30:00Z"}).json()
    assert before["kind"] == "eligibility" and before["question"]["scope"] == "acme/newsletters"
    assert before["answer"]["allowed"] and before["answer"]["reason"] == "opted_in"
    assert before["answer"]["considered"] == [1]
    after = viewer.get(url, params=ask).json()  # at: now
    assert not after["answer"]["allowed"] and after["answer"]["reason"] == "hard_opt_out"
    assert after["answer"]["event_id"] == after["events"][1]["id"]
    assert after["question"]["at"] == "2026-01-05T12:00:00+00:00"
    page = viewer.get(url, params={**ask, "format": "html"})
    assert "was not allowed: the contact had opted out themselves" in html.unescape(page.text)
    pdf = viewer.get(url, params={**ask, "format": "pdf"})
    assert pdf.content.startswith(b"%PDF-")
    assert 'filename="eligibility-' in pdf.headers["content-disposition"]


def test_refusals_have_their_codes(api, ledger, clock):
    ada = story(ledger, clock)
    other = make_contact(ledger, "grace@example.com", "+447700900777", group="globex")
    url = f"/v1/contacts/{ada.id}/proof"
    refused(api.as_("sender").get(url), 403, "forbidden")
    refused(api.as_("viewer").get(f"/v1/contacts/{other.id}/proof"), 404, "contact_not_found")
    refused(api.as_("viewer").get(url, params={"format": "docx"}), 422, "invalid")
    future = {"channel": "sms", "scope": "acme", "at": "2026-01-06T00:00:00Z"}
    refused(api.as_("viewer").get(f"{url}/eligibility", params=future), 422, "invalid_time")
    client = {"channel": "sms", "scope": "acme/events"}
    refused(
        api.as_("viewer", "acme/newsletters").get(f"{url}/eligibility", params=client),
        403,
        "out_of_scope",
    )
