"""Kept evidence files (decision 067): the uploaded copy of written permission is stored with the
opt-in that names its SHA-256, in the same transaction, once per contact and hash, and read back
only after its bytes are hashed again, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from consentry.adapters.clock import FixedClock
from consentry.core import limits
from consentry.core.errors import (
    ContactNotFound,
    EvidenceFileAltered,
    EvidenceFileNotFound,
    EvidenceFileTooLarge,
    EvidenceRequired,
    Forbidden,
    Invalid,
    InvalidEvidence,
)
from consentry.core.events import Source
from consentry.core.evidence import Attachment, download_headers
from consentry.ledger import Ledger
from tests.factories import WRITTEN, admin, as_contact, make_contact, sender, sql, staff, viewer

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def kept_rows(ledger: Ledger) -> list[tuple[str, str, int]]:
    """Every kept file as (contact, sha256, size), read straight from the store."""
    rows = sql(
        ledger, "SELECT contact_id, sha256, size FROM evidence_files ORDER BY contact_id, sha256"
    )
    return [(r[0], r[1], r[2]) for r in rows]


def test_an_opt_in_keeps_its_attachment_and_names_it_in_the_evidence(ledger):
    ada = make_contact(ledger)
    copy = Attachment("permission.pdf", "application/pdf", PDF)
    event = ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN, attachment=copy)
    digest = hashlib.sha256(PDF).hexdigest()
    assert copy.sha256 == digest
    assert event.evidence_data is not None
    assert {k: event.evidence_data[k] for k in ("file_sha256", "file_name", "file_bytes")} == {
        "file_sha256": digest, "file_name": "permission.pdf", "file_bytes": str(len(PDF)),
    }  # fmt: skip
    assert event.evidence_data["reference"] == WRITTEN["reference"]
    kept = ledger.evidence_file(viewer(), ada.id, digest.upper())  # a hash in either case
    assert (kept.data, kept.name, kept.media_type, kept.size) == (
        PDF, "permission.pdf", "application/pdf", len(PDF),
    )  # fmt: skip
    assert kept.created_at == event.recorded_at
    assert ledger.kept_evidence_files(viewer(), ada.id) == [digest]
    assert ledger.verify_contact(admin(), ada.id).ok


def test_the_same_file_uploaded_twice_for_one_contact_is_kept_once(ledger, clock: FixedClock):
    ada = make_contact(ledger)
    bob = make_contact(ledger, email="bob@example.com", mobile="+447700900124")
    copy = Attachment("form.png", "image/png", b"\x89PNG\r\n\x1a\n the signed form")
    ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN, attachment=copy)
    clock.set(clock.now() + timedelta(minutes=5))
    renamed = Attachment("same-form-again.png", "image/png", copy.data)
    ledger.opt_in(staff(), ada.id, "email", "acme", evidence=WRITTEN, attachment=renamed)
    ledger.opt_in(staff(), bob.id, "sms", "acme", evidence=WRITTEN, attachment=copy)
    assert kept_rows(ledger) == sorted(
        [(ada.id, copy.sha256, len(copy.data)), (bob.id, copy.sha256, len(copy.data))]
    )
    first = ledger.evidence_file(viewer(), ada.id, copy.sha256)
    assert first.name == "form.png"  # the first copy is the one kept
    second = ledger.history(admin(), ada.id)[-1].evidence_data
    assert second is not None and second["file_name"] == "same-form-again.png"


def test_a_resubscribe_keeps_its_attachment_too(ledger):
    ada = make_contact(ledger)
    ledger.opt_in(admin(), ada.id, "sms", "acme", evidence=WRITTEN)
    ledger.opt_out(admin(), ada.id, "sms", "acme")
    copy = Attachment("asked-again.eml", "message/rfc822", b"From: ada\r\n\r\nPlease add me back.")
    event = ledger.resubscribe(
        admin(), ada.id, "sms", "acme", reason="contact_asked", evidence=WRITTEN, attachment=copy
    )
    assert event.evidence_data is not None and event.evidence_data["file_sha256"] == copy.sha256
    assert ledger.kept_evidence_files(viewer(), ada.id) == [copy.sha256]


def test_a_refused_opt_in_keeps_no_file(ledger):
    ada = make_contact(ledger)
    copy = Attachment("permission.pdf", "application/pdf", PDF)
    with pytest.raises(EvidenceRequired) as refused:
        ledger.opt_in(staff(), ada.id, "sms", "acme", evidence={"note": "x"}, attachment=copy)
    assert refused.value.code == "evidence_required"
    with pytest.raises(Forbidden) as forbidden:  # staff may not re-subscribe
        ledger.resubscribe(
            staff(), ada.id, "sms", "acme", reason="contact_asked", evidence=WRITTEN,
            attachment=copy,
        )  # fmt: skip
    assert forbidden.value.code == "forbidden"
    assert kept_rows(ledger) == []
    assert ledger.history(admin(), ada.id) == []


def test_evidence_that_names_another_file_is_refused(ledger):
    ada = make_contact(ledger)
    copy = Attachment("permission.pdf", "application/pdf", PDF)
    other = {**WRITTEN, "file_sha256": "ab" * 32}
    with pytest.raises(InvalidEvidence) as refused:
        ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=other, attachment=copy)
    assert refused.value.code == "invalid_evidence"
    assert refused.value.details["attached"] == copy.sha256
    with pytest.raises(InvalidEvidence) as not_a_mapping:
        ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=["x"], attachment=copy)
    assert not_a_mapping.value.code == "invalid_evidence"
    same = {**WRITTEN, "file_sha256": copy.sha256.upper()}  # the same file, named already
    event = ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=same, attachment=copy)
    assert event.evidence_data is not None and event.evidence_data["file_sha256"] == copy.sha256
    assert [row[1] for row in kept_rows(ledger)] == [copy.sha256]


def test_the_contacts_own_opt_in_may_carry_a_copy_of_what_they_sent(ledger):
    ada = make_contact(ledger)
    copy = Attachment("start.txt", "text/plain", b"START")
    event = ledger.opt_in(
        as_contact(ada), ada.id, "email", "acme", evidence=None,
        source=Source.PREFERENCE_CENTRE, attachment=copy,
    )  # fmt: skip
    assert event.evidence_data == copy.evidence()


@pytest.mark.parametrize(
    ("name", "media_type", "data", "error", "code"),
    [
        ("", "application/pdf", PDF, Invalid, "invalid"),
        ("   ", "application/pdf", PDF, Invalid, "invalid"),
        ("empty.pdf", "application/pdf", b"", Invalid, "invalid"),
        ("text.pdf", "application/pdf", "not bytes", Invalid, "invalid"),
        ("bad\x00name.pdf", "application/pdf", PDF, Invalid, "invalid_text"),
        ("x" * 201 + ".pdf", "application/pdf", PDF, Invalid, "text_too_long"),
        ("big.pdf", "a/" + "b" * 300, PDF, Invalid, "text_too_long"),
        (
            "big.pdf", "application/pdf", b"x" * (limits.MAX_EVIDENCE_FILE + 1),
            EvidenceFileTooLarge, "evidence_file_too_large",
        ),
    ],
)  # fmt: skip
def test_an_attachment_the_store_cannot_keep_is_refused(name, media_type, data, error, code):
    with pytest.raises(error) as refused:
        Attachment(name, media_type, data)
    assert refused.value.code == code


def test_a_file_of_exactly_ten_mebibytes_is_kept(ledger):
    ada = make_contact(ledger)
    copy = Attachment("scan.jpg", "image/jpeg", b"\xff" * limits.MAX_EVIDENCE_FILE)
    ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN, attachment=copy)
    assert ledger.evidence_file(viewer(), ada.id, copy.sha256).size == limits.MAX_EVIDENCE_FILE


def test_altered_bytes_are_refused_never_served(ledger):
    ada = make_contact(ledger)
    copy = Attachment("permission.pdf", "application/pdf", PDF)
    ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN, attachment=copy)
    sql(
        ledger, "UPDATE evidence_files SET content = :c WHERE contact_id = :id",
        c=PDF.replace(b"Catalog", b"Catalag"), id=ada.id,
    )  # fmt: skip
    with pytest.raises(EvidenceFileAltered) as altered:
        ledger.evidence_file(viewer(), ada.id, copy.sha256)
    assert altered.value.code == "evidence_file_altered"
    assert altered.value.details["sha256"] == copy.sha256


def test_who_may_read_a_kept_file(ledger):
    ada = make_contact(ledger)
    other = make_contact(ledger, email="gus@example.com", mobile=None, group="globex")
    copy = Attachment("permission.pdf", "application/pdf", PDF)
    ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN, attachment=copy)
    assert ledger.evidence_file(viewer("acme/newsletters"), ada.id, copy.sha256).data == PDF
    with pytest.raises(Forbidden) as forbidden:  # a sending key sees no contact data
        ledger.evidence_file(sender(), ada.id, copy.sha256)
    assert forbidden.value.code == "forbidden"
    with pytest.raises(ContactNotFound) as walled:  # another group's contact does not exist
        ledger.evidence_file(admin("globex"), ada.id, copy.sha256)
    assert walled.value.code == "contact_not_found"
    with pytest.raises(EvidenceFileNotFound) as absent:
        ledger.evidence_file(admin("globex"), other.id, copy.sha256)
    assert absent.value.code == "evidence_file_not_found"
    with pytest.raises(ContactNotFound):
        ledger.kept_evidence_files(admin("globex"), ada.id)
    with pytest.raises(Invalid) as malformed:
        ledger.evidence_file(viewer(), ada.id, "../../etc/passwd")
    assert malformed.value.code == "invalid"


def test_a_download_is_an_attachment_of_a_safe_type_or_octet_stream(ledger):
    ada = make_contact(ledger)
    pdf = Attachment("permission.pdf", "Application/PDF; name=x", PDF)
    page = Attachment('évil "page".html', "text/html", b"<script>alert(1)</script>")
    for copy in (pdf, page):
        ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN, attachment=copy)
    as_pdf = download_headers(ledger.evidence_file(viewer(), ada.id, pdf.sha256))
    assert as_pdf["Content-Type"] == "application/pdf"
    as_html = download_headers(ledger.evidence_file(viewer(), ada.id, page.sha256))
    assert as_html["Content-Type"] == "application/octet-stream"
    assert as_html["Content-Disposition"] == (
        "attachment; filename=\"_vil _page_.html\"; filename*=UTF-8''%C3%A9vil%20%22page%22.html"
    )
    assert as_html["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in as_html["Content-Security-Policy"]
