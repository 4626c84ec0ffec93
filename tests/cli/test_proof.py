"""``consentry proof``: the proof document as JSON, HTML or PDF, and the answer at a moment."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import WRITTEN, invoke
from tests.cli.test_audit import tamper
from tests.conftest import ADDRESS_KEY, SECRET_KEYS


def stop(run, contact):
    """The contact's STOP on SMS, relayed as the operator would deliver it."""
    run("opt-out", contact, "--channel", "sms", "--scope", "acme", "--source", "sms_keyword",
        "--by-contact", "--evidence", "inbound=STOP")  # fmt: skip


def test_the_proof_as_json_lists_every_event_and_an_intact_chain(run, ada):
    run("opt-in", ada, "--channel", "sms", "--scope", "acme", *WRITTEN)
    stop(run, ada)
    document = json.loads(run("proof", ada, "--group", "acme").stdout)
    assert document["kind"] == "consent" and document["contact"]["name"] == "Ada Lovelace"
    assert [e["action"] for e in document["events"]] == ["opted_in", "opted_out"]
    assert document["events"][1]["evidence"] == {"inbound": "STOP"}
    assert document["chain"]["intact"] and document["generated_by"]["role"] == "system"
    digest = json.loads(run("digest").stdout)
    line = document["chain"]["digest_line"].split(" ")
    head = {"contact_id": line[0], "seq": int(line[1]), "hash": line[2]}
    assert head in digest["heads"]


def test_the_proof_as_html_and_pdf_files(run, ada, tmp_path):
    run("opt-in", ada, "--channel", "sms", "--scope", "acme", *WRITTEN)
    page, pdf = tmp_path / "proof.html", tmp_path / "proof.pdf"
    made = run("proof", ada, "--group", "acme", "--format", "html", "--out", str(page))
    assert made.stderr == f"Proof of consent: Ada Lovelace: written to {page}\n"
    assert "<h1>Proof of consent: Ada Lovelace</h1>" in page.read_text()
    run("proof", ada, "--group", "acme", "--format", "pdf", "--out", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_the_answer_at_a_moment_before_and_after_the_stop(run, ada):
    run("opt-in", ada, "--channel", "sms", "--scope", "acme", *WRITTEN)
    ask = ("proof", ada, "--channel", "sms", "--scope", "acme/newsletters")
    before = json.loads(run(*ask, "--at", "2000-01-01").stdout)
    assert before["answer"]["reason"] == "no_consent" and before["answer"]["considered"] == []
    allowed = json.loads(run(*ask).stdout)
    assert allowed["answer"]["allowed"] and allowed["answer"]["reason"] == "opted_in"
    stop(run, ada)
    after = json.loads(run(*ask, "--category", "marketing").stdout)
    assert not after["answer"]["allowed"] and after["answer"]["reason"] == "hard_opt_out"
    assert after["answer"]["considered"] == [1, 2]
    page = run(*ask, "--format", "html").stdout
    assert "was not allowed: the contact had opted out themselves" in page.replace("&#39;", "'")


def test_wrong_use_is_refused(run, ada):
    cases = [
        (("proof", ada), "--group"),
        (("proof", ada, "--group", "acme", "--at", "2026-01-01"), "--at needs --channel"),
        (("proof", ada, "--channel", "sms"), "--channel and --scope go together"),
        (("proof", ada, "--scope", "acme", "--at", "soon"), "ISO 8601"),
    ]
    for args, words in cases:
        result = run(*args, ok=False)
        assert result.exit_code == 2 and words in result.stderr, (args, result.stderr)
    unknown = run("proof", "ct_nobody", "--group", "acme", ok=False)
    assert unknown.exit_code == 2 and "Error [contact_not_found]" in unknown.stderr


def test_a_tampered_event_is_named_on_both_backends(db_url, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CONSENTRY_ADDRESS_KEY", ADDRESS_KEY)  # configured, as on PostgreSQL
    monkeypatch.setenv("CONSENTRY_SECRET_KEYS", SECRET_KEYS)
    invoke(db_url, "scopes", "add", "acme")
    ada = invoke(db_url, "contacts", "add", "--group", "acme", "--email", "ada@example.com")
    contact = ada.stdout.strip()
    invoke(db_url, "opt-in", contact, "--channel", "email", "--scope", "acme", *WRITTEN)
    clean = json.loads(invoke(db_url, "proof", contact, "--group", "acme").stdout)
    assert clean["chain"]["intact"]
    tamper(db_url, "UPDATE events SET reason = 'forged' WHERE contact_id = :c", c=contact)
    found = json.loads(invoke(db_url, "proof", contact, "--group", "acme").stdout)
    event = found["events"][0]["id"]
    assert not found["chain"]["intact"] and found["chain"]["problems"][0]["event_id"] == event
    assert f"does NOT verify: altered: event {event} (number 1)" in found["verdict"]
