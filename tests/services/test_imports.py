"""Importing contacts and their consent from a file's rows (issue 11; decision 070), on both
databases: what each row does, the rules single commands obey, the dry run, a second run."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from consentry.adapters.import_files import FileFormat, read_rows
from consentry.core.errors import Forbidden, Invalid, InvalidMapping
from consentry.core.events import Source
from consentry.core.imports import ColumnMapping, ImportReport, Outcome, RowOutcome, parse_mapping
from consentry.core.status import Status
from consentry.ledger import Ledger
from tests.factories import WRITTEN, admin, count_rows, make_contact, sql, staff, system

MAPPING = parse_mapping(
    {
        "Email": "email",
        "Phone": "mobile",
        "CRM id": "external_id",
        "Name": "name",
        "SMS": "consent:sms",
        "SMS since": "consent_at:sms",
        "Email consent": "consent:email",
        "Plan": "attribute:plan",
        "Lists": "lists",
        "Proof": "evidence:reference",
    }
)
HEADER = "Email,Phone,CRM id,Name,SMS,SMS since,Email consent,Plan,Lists,Proof\n"
FILE_EVIDENCE = {**WRITTEN, "reference": "signup forms 2025 (box 4)"}


def status(ledger: Ledger, contact_id: str, channel: str, scope: str) -> Status:
    rows = sql(
        ledger,
        "SELECT status FROM consents WHERE contact_id = :c AND channel = :ch AND scope_id = :s",
        c=contact_id, ch=channel, s=scope,
    )  # fmt: skip
    return Status(rows[0][0]) if rows else Status.NONE


def run(
    ledger: Ledger,
    text: str,
    *,
    dry_run: bool = False,
    batch_size: int = 3,
    evidence: dict[str, str] | None = FILE_EVIDENCE,
    scope: str | None = None,
    fmt: FileFormat = FileFormat.CSV,
    mapping: ColumnMapping = MAPPING,
) -> tuple[ImportReport, list[RowOutcome]]:
    seen: list[RowOutcome] = []
    report = ledger.import_contacts(
        admin(),
        read_rows(io.StringIO(text), fmt, mapping),
        mapping=mapping,
        scope_id=scope,
        evidence=evidence,
        dry_run=dry_run,
        batch_size=batch_size,
        on_batch=seen.extend,
    )
    return report, seen


ROWS = HEADER + (
    "ada@example.com,+44 7700 900123,c-1,Ada,yes,2026-01-03T10:00:00Z,subscribed,gold,news;vip,\n"
    "bob@example.com,,c-2,Bob,no,,,silver,,\n"
    "cy@example.com,+447700900125,c-3,Cy,opted_in,,,,,signed form 7\n"
    "not-an-email,,c-4,Dee,yes,,,,,\n"
    "ada@example.com,,c-1,,,,,,events,\n"
)


def test_an_import_creates_contacts_with_their_consent_and_reports_each_row(
    ledger: Ledger,
) -> None:
    report, rows = run(ledger, ROWS)
    assert [(r.line, r.outcome) for r in rows] == [
        (2, Outcome.CREATED), (3, Outcome.CREATED), (4, Outcome.CREATED),
        (5, Outcome.REFUSED), (6, Outcome.UPDATED),
    ]  # fmt: skip
    assert rows[0].changes == ("opted_in:email", "opted_in:sms")
    assert rows[1].changes == ("opted_out:sms",)
    assert rows[3].code == "invalid_email"
    assert (report.created, report.updated, report.refused, report.rows) == (3, 1, 1, 5)
    assert (report.opted_in, report.opted_out, report.batches) == (3, 1, 2)
    ada = ledger.find_contact(admin(), email="ada@example.com")
    assert ada.mobile == "+447700900123" and ada.external_id == "c-1"
    assert ada.attributes == {"plan": "gold"} and ada.lists == frozenset({"news", "vip", "events"})
    assert status(ledger, ada.id, "sms", "acme") is Status.OPTED_IN
    history = ledger.history(admin(), ada.id)
    sms = next(e for e in history if e.channel.value == "sms")
    assert sms.source is Source.IMPORT and sms.occurred_at == datetime(2026, 1, 3, 10, tzinfo=UTC)
    assert sms.recorded_at > sms.occurred_at
    evidence = sms.evidence_data or {}
    assert evidence["reference"] == "signup forms 2025 (box 4)"
    assert evidence["import_row"] == "2"
    cy = ledger.find_contact(admin(), email="cy@example.com")
    cy_event = ledger.history(admin(), cy.id)[0]
    assert (cy_event.evidence_data or {})["reference"] == "signed form 7"  # the row's cell wins
    assert ledger.verify(system()).ok


def test_running_the_same_file_again_changes_nothing(ledger: Ledger) -> None:
    run(ledger, ROWS)
    before = count_rows(ledger)
    report, rows = run(ledger, ROWS, batch_size=2)
    assert count_rows(ledger) == before
    assert [r.outcome for r in rows] == [
        Outcome.UNCHANGED, Outcome.UNCHANGED, Outcome.UNCHANGED, Outcome.REFUSED,
        Outcome.UNCHANGED,
    ]  # fmt: skip
    assert report.events == 0


def test_a_dry_run_reports_what_the_real_run_does_and_writes_nothing(ledger: Ledger) -> None:
    before = count_rows(ledger)
    dry, dry_rows = run(ledger, ROWS, dry_run=True)
    assert count_rows(ledger) == before
    real, real_rows = run(ledger, ROWS)
    strip = [(r.line, r.outcome, r.changes, r.code) for r in dry_rows]
    assert strip == [(r.line, r.outcome, r.changes, r.code) for r in real_rows]
    assert dry.dry_run and not real.dry_run
    assert (dry.created, dry.updated, dry.refused) == (real.created, real.updated, real.refused)


def test_an_opt_in_without_a_complete_record_of_written_permission_is_refused(
    ledger: Ledger,
) -> None:
    report, rows = run(ledger, HEADER + "eve@example.com,,,,yes,,,,,\n", evidence=None)
    assert rows[0].outcome is Outcome.REFUSED and rows[0].code == "evidence_required"
    assert (
        report.created == 0 and count_rows(ledger)["contacts"] == 0
    )  # the row is whole or nothing
    report, rows = run(ledger, HEADER + "eve@example.com,,,,no,,,,,\n", evidence=None)
    assert rows[0].changes == ("opted_out:sms",)  # an opt-out needs none


def test_an_import_never_reverses_an_opt_out(ledger: Ledger) -> None:
    hard = make_contact(ledger, email="hard@example.com", mobile="+447700900131")
    ledger.opt_out(system(), hard.id, "sms", "acme", source=Source.SMS_KEYWORD)
    soft = make_contact(ledger, email="soft@example.com", mobile="+447700900132")
    ledger.opt_out(admin(), soft.id, "sms", "acme")
    above = make_contact(ledger, email="above@example.com", mobile="+447700900133")
    ledger.opt_out(admin(), above.id, "sms", "acme")
    text = HEADER + "hard@example.com,,,,yes,,,,,\nsoft@example.com,,,,yes,,,,,\n"
    text += "above@example.com,,,,yes,,,,,\n"
    _, rows = run(ledger, text)
    assert [r.code for r in rows] == ["hard_opt_out_locked", "opted_out", "opted_out"]
    _, rows = run(ledger, HEADER + "above@example.com,,,,yes,,,,,\n", scope="acme/events")
    assert rows[0].code == "opted_out"  # the group's opt-out rules the client's opt-in (058)
    assert status(ledger, hard.id, "sms", "acme") is Status.HARD_OPT_OUT


def test_a_row_naming_two_contacts_or_changing_an_address_is_a_conflict(ledger: Ledger) -> None:
    make_contact(ledger, email="one@example.com", mobile="+447700900141")
    make_contact(ledger, email="two@example.com", mobile="+447700900142")
    text = HEADER + "one@example.com,+447700900142,,,,,,,,\n"
    text += "one@example.com,+447700900149,,,,,,,,\n"
    _, rows = run(ledger, text)
    assert [r.code for r in rows] == ["import_conflict", "import_conflict"]


def test_an_import_never_recreates_an_erased_person(ledger: Ledger) -> None:
    gone = make_contact(ledger, email="gone@example.com", mobile="+447700900151")
    ledger.erase_contact(admin(), gone.id)
    report, rows = run(ledger, HEADER + "gone@example.com,,,,,,,,,\nnew@example.com,,,,,,,,,\n")
    assert [r.code for r in rows] == ["contact_erased", None]
    assert (report.refused, report.created, report.refusals) == (1, 1, {"contact_erased": 1})
    assert count_rows(ledger)["contacts"] == 2
    assert ledger.verify(system()).ok


def test_an_ndjson_file_imports_the_same_way(ledger: Ledger) -> None:
    mapping = parse_mapping({"email": "email", "sms": "consent:sms", "vip": "attribute:vip"})
    text = '{"email": "nd@example.com", "sms": "yes", "vip": true}\n\n[1]\n{"email": "x@"\n'
    _, rows = run(ledger, text, fmt=FileFormat.NDJSON, mapping=mapping)
    assert [(r.line, r.outcome, r.code) for r in rows] == [
        (1, Outcome.CREATED, None), (3, Outcome.REFUSED, "invalid"),
        (4, Outcome.REFUSED, "invalid"),
    ]  # fmt: skip
    nd = ledger.find_contact(admin(), email="nd@example.com")
    assert nd.attributes == {"vip": "yes"}


def test_bad_mappings_and_files_are_refused_before_any_row(ledger: Ledger) -> None:
    with pytest.raises(InvalidMapping) as bad:
        parse_mapping({"A": "colour"})
    assert bad.value.code == "invalid_mapping"
    for spec in ({"A": "name"}, {"A": "email", "B": "email"}, {"A": "email", "B": "consent_at:sms"},
                 {"A": "consent"}, {"A": "email", "B": "name:x"}, {}):  # fmt: skip
        with pytest.raises(InvalidMapping):
            parse_mapping(spec)
    with pytest.raises(InvalidMapping):
        run(ledger, "Email,Phone\nada@example.com,\n")
    with pytest.raises(Invalid):
        run(ledger, "")


def test_only_admins_import(ledger: Ledger) -> None:
    with pytest.raises(Forbidden) as refused:
        ledger.import_contacts(staff(), [], mapping=MAPPING)
    assert refused.value.code == "forbidden"


def test_an_import_adds_a_missing_address_and_changes_the_details(ledger: Ledger) -> None:
    known = make_contact(ledger, email="known@example.com", mobile=None, name="Old")
    text = HEADER + "known@example.com,+447700900161,,New,,,,,,\n"
    _, rows = run(ledger, text)
    assert rows[0].outcome is Outcome.UPDATED
    found = ledger.get_contact(admin(), known.id)
    assert (found.mobile, found.name) == ("+447700900161", "New")


def test_an_imported_opt_out_closes_the_open_requests_below_it(ledger: Ledger) -> None:
    waiting = make_contact(ledger, email="wait@example.com", mobile="+447700900171")
    ledger.request_confirmation(system(), waiting.id, "sms", "acme/newsletters")
    _, rows = run(ledger, HEADER + "wait@example.com,,,,no,,,,,\n")
    assert rows[0].changes == ("opted_out:sms", "confirmation_cancelled:sms")
    assert status(ledger, waiting.id, "sms", "acme/newsletters") is Status.NONE
    assert ledger.verify(system()).ok


def test_a_batch_size_beyond_the_bounds_is_refused(ledger: Ledger) -> None:
    for size in (0, 10_001):
        with pytest.raises(Invalid) as refused:
            ledger.import_contacts(admin(), [], mapping=MAPPING, batch_size=size)
        assert refused.value.details["field"] == "batch_size"
    report = ledger.import_contacts(admin(), [(2, {"Email": "z@example.com"})], mapping=MAPPING)
    assert report.created == 1  # no sink: the report alone


def test_a_command_joined_to_a_request_opens_no_import_batch_of_its_own(ledger: Ledger) -> None:
    from consentry.ledger.joined import JoinedStore

    with ledger.store.transaction() as tx:
        joined = JoinedStore(ledger.store, tx)
        with joined.bulk() as batch:
            assert batch.contacts_by_key("acme", []) == {}
