"""Tampering with the projection alone is found and named (issue 8, item 3; decision 059).

Eligibility reads only ``consents`` and ``suppressions``: one UPDATE turns a contact's own STOP
into "allowed" while every hash still holds. ``verify`` folds the events again and names every
row that differs (contact, channel, scope), through the ledger, the CLI and the API, on both
databases. The events and chain heads are never touched here.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from consentry.api import create_app
from consentry.core.errors import LedgerTampered
from consentry.core.events import Source
from tests.cli.conftest import invoke
from tests.conftest import ADDRESS_KEY, SECRET_KEYS
from tests.factories import WRITTEN, admin, make_contact, sender, sql, staff, system

NEWS = "acme/newsletters"


@pytest.fixture
def ada(ledger):
    """Ada: opted in to SMS at acme, her own STOP at acme/newsletters, a pending e-mail request
    at acme/events and a bounced e-mail address; Bob: opted in to e-mail."""
    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN)
    ledger.opt_out(
        sender(), ada.id, "sms", NEWS, source=Source.SMS_KEYWORD, evidence={"inbound": "STOP"}
    )
    ledger.request_confirmation(staff(), ada.id, "email", "acme/events")
    ledger.record_bounce(sender(), ada.id, "email")
    bob = make_contact(ledger, "bob@example.com", "+447700900456")
    ledger.opt_in(staff(), bob.id, "email", "acme", evidence=WRITTEN)
    clean = ledger.verify(system())
    assert clean.ok and clean.checked == 5 and clean.rows == 4 + 1
    return ada


def event_of(ledger, contact_id, action):
    [(found,)] = sql(
        ledger,
        "SELECT id FROM events WHERE contact_id = :c AND action = :a",
        c=contact_id,
        a=action,
    )
    return found


def found(report):
    """(kind, contact, channel, scope) of every problem."""
    return [(p.kind, p.contact_id, p.channel, p.scope_id) for p in report.problems]


def consent_row(ledger, contact_id, channel, scope, set_clause):
    sql(
        ledger,
        f"UPDATE consents SET {set_clause} WHERE contact_id = :c AND channel = :ch "
        "AND scope_id = :s",
        c=contact_id,
        ch=channel,
        s=scope,
    )


@pytest.mark.parametrize(
    ("channel", "scope", "change", "named"),
    [
        pytest.param("sms", NEWS, "status = 'opted_in'", "status", id="status"),
        pytest.param("sms", NEWS, "status = 'soft_opt_out'", "status", id="strength"),
        pytest.param("sms", "acme", "status = 'none'", "status", id="status-up-the-path"),
        pytest.param("sms", NEWS, "event_id = NULL", "event_id", id="event_id"),
        pytest.param("email", "acme/events", "confirm_until = NULL", "confirm_until", id="request"),
        pytest.param("sms", NEWS, "group_id = 'globex'", "group_id", id="group"),
    ],
)
def test_an_edited_consents_row_is_named_with_its_contact_channel_and_scope(
    ledger, ada, channel, scope, change, named
):
    consent_row(ledger, ada.id, channel, scope, change)
    report = ledger.verify(system())
    assert not report.ok and report.checked == 5
    assert found(report) == [("projection_altered", ada.id, channel, scope)]
    [problem] = report.problems
    assert problem.detail.startswith(f"{named} is ") and problem.group_id == "acme"
    with pytest.raises(LedgerTampered) as info:
        report.raise_if_tampered()
    assert info.value.details["channel"] == channel and info.value.details["scope_id"] == scope
    assert f"{channel} at {scope}" in info.value.message


def test_a_status_edit_that_lets_a_stop_through_is_named_though_every_hash_holds(ledger, ada):
    assert not ledger.check(admin(), ada.id, "sms", NEWS).allowed
    consent_row(ledger, ada.id, "sms", NEWS, "status = 'opted_in'")
    assert ledger.check(admin(), ada.id, "sms", NEWS).allowed  # what the tamperer wanted
    report = ledger.verify(system())
    [problem] = report.problems
    stop = event_of(ledger, ada.id, "opted_out")
    assert (problem.kind, problem.event_id, problem.seq) == ("projection_altered", stop, 2)
    assert problem.detail == "status is 'opted_in', the events say 'hard_opt_out'"
    assert not ledger.verify(admin()).ok and ledger.verify(admin("globex")).ok


def test_a_consents_row_moved_to_another_scope_is_named_at_both(ledger, ada):
    consent_row(ledger, ada.id, "sms", NEWS, "scope_id = 'acme/events'")
    assert found(ledger.verify(system())) == [
        ("projection_deleted", ada.id, "sms", NEWS),
        ("projection_inserted", ada.id, "sms", "acme/events"),
    ]


def test_a_deleted_consents_row_is_named(ledger, ada):
    sql(ledger, "DELETE FROM consents WHERE contact_id = :c AND scope_id = :s", c=ada.id, s=NEWS)
    report = ledger.verify(system())
    assert found(report) == [("projection_deleted", ada.id, "sms", NEWS)]
    assert "the events say hard_opt_out" in report.problems[0].detail


def test_an_inserted_consents_row_is_named(ledger, ada):
    sql(
        ledger,
        "INSERT INTO consents (contact_id, channel, scope_id, group_id, status, event_id,"
        " confirm_until, updated_at) VALUES (:c, 'whatsapp', 'acme', 'acme', 'opted_in', NULL,"
        " NULL, 1)",
        c=ada.id,
    )
    assert found(ledger.verify(system())) == [("projection_inserted", ada.id, "whatsapp", "acme")]


@pytest.mark.usefixtures("ada")
def test_a_consents_row_for_a_contact_without_events_is_named(ledger):
    carol = make_contact(ledger, "carol@example.com", "+447700900789")
    sql(
        ledger,
        "INSERT INTO consents (contact_id, channel, scope_id, group_id, status, event_id,"
        " confirm_until, updated_at) VALUES (:c, 'email', 'acme', 'acme', 'opted_in', NULL,"
        " NULL, 1)",
        c=carol.id,
    )
    report = ledger.verify(admin())  # a group's own verify sees its contacts' rows
    assert found(report) == [("projection_inserted", carol.id, "email", "acme")]
    assert ledger.verify(admin("globex")).ok


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        pytest.param(
            "DELETE FROM suppressions WHERE contact_id = :c", "projection_deleted", id="deleted"
        ),
        pytest.param(
            "UPDATE suppressions SET suppression = 'complained' WHERE contact_id = :c",
            "projection_altered",
            id="altered",
        ),
        pytest.param(
            "UPDATE suppressions SET event_id = 'ev_other' WHERE contact_id = :c",
            "projection_altered",
            id="event_id",
        ),
        pytest.param(
            "UPDATE suppressions SET channel = 'sms' WHERE contact_id = :c", None, id="moved"
        ),
    ],
)
def test_a_deleted_or_altered_suppression_is_named(ledger, ada, change, kind):
    sql(ledger, change, c=ada.id)
    report = ledger.verify(system())
    if kind is None:  # moved: gone from e-mail, slipped in on SMS
        assert found(report) == [
            ("projection_deleted", ada.id, "email", None),
            ("projection_inserted", ada.id, "sms", None),
        ]
    else:
        assert found(report) == [(kind, ada.id, "email", None)]
        bounce = event_of(ledger, ada.id, "bounced")
        assert report.problems[0].event_id == bounce
    with pytest.raises(LedgerTampered) as info:
        report.raise_if_tampered()
    assert "email suppression" in info.value.message


def test_an_inserted_suppression_is_named(ledger, ada):
    sql(
        ledger,
        "INSERT INTO suppressions (contact_id, channel, suppression, event_id, updated_at)"
        " VALUES (:c, 'sms', 'complained', 'ev_x', 1)",
        c=ada.id,
    )
    assert found(ledger.verify(system())) == [("projection_inserted", ada.id, "sms", None)]


def test_every_edited_row_is_named_not_only_the_first(ledger, ada):
    [(bob,)] = sql(ledger, "SELECT id FROM contacts WHERE id <> :c", c=ada.id)
    consent_row(ledger, ada.id, "sms", NEWS, "status = 'opted_in'")
    consent_row(ledger, bob, "email", "acme", "status = 'hard_opt_out'")
    sql(ledger, "DELETE FROM suppressions WHERE contact_id = :c", c=ada.id)
    report = ledger.verify(system())
    assert sorted(found(report), key=str) == sorted(
        [
            ("projection_altered", ada.id, "sms", NEWS),
            ("projection_deleted", ada.id, "email", None),
            ("projection_altered", bob, "email", "acme"),
        ],
        key=str,
    )


def test_a_contact_whose_whole_chain_is_missing_is_named(ledger, ada):
    for table in ("events", "chain_heads", "consents", "suppressions"):
        sql(ledger, f"DELETE FROM {table} WHERE contact_id = :c", c=ada.id)
    report = ledger.verify(system())
    assert [(p.kind, p.contact_id, p.seq) for p in report.problems] == [("deleted", ada.id, 1)]
    assert "whole chain is missing" in report.problems[0].detail
    assert not ledger.verify(admin()).ok and ledger.verify(admin("globex")).ok


def test_an_event_edit_also_names_the_rows_it_no_longer_explains(ledger, ada):
    stop = event_of(ledger, ada.id, "opted_out")
    sql(ledger, "UPDATE events SET scope_id = 'acme' WHERE id = :e", e=stop)
    report = ledger.verify(system())
    assert report.first is not None and report.first.kind == "altered"  # the event comes first
    assert found(report)[1:] == [  # the fold moved the STOP to acme: both rows now differ
        ("projection_altered", ada.id, "sms", "acme"),
        ("projection_inserted", ada.id, "sms", NEWS),
    ]


def test_an_event_holding_an_unknown_value_is_unverifiable_not_a_crash(ledger, ada):
    stop = event_of(ledger, ada.id, "opted_out")
    sql(ledger, "UPDATE events SET action = 'forgiven' WHERE id = :e", e=stop)
    report = ledger.verify(system())
    assert ("projection_unverifiable", ada.id, "sms", NEWS) in found(report)


# ── the same findings through the CLI and the API ───────────────────────────
def test_cli_verify_prints_every_projection_problem_and_exits_2(ledger, ada, db_url, monkeypatch):
    monkeypatch.setenv("CONSENTRY_ADDRESS_KEY", ADDRESS_KEY)
    monkeypatch.setenv("CONSENTRY_SECRET_KEYS", SECRET_KEYS)
    assert "5 projection rows match" in invoke(db_url, "verify").stdout
    consent_row(ledger, ada.id, "sms", NEWS, "status = 'opted_in'")
    sql(ledger, "DELETE FROM suppressions WHERE contact_id = :c", c=ada.id)

    result = invoke(db_url, "verify", ok=False)
    assert result.exit_code == 2
    assert f"projection_altered: contact {ada.id} sms at {NEWS}: status is" in result.stdout
    assert f"projection_deleted: contact {ada.id} email suppression: " in result.stdout
    assert result.stderr.startswith("Error [ledger_tampered]: projection_altered")
    data = json.loads(invoke(db_url, "verify", "--json", ok=False).stdout)
    assert data["ok"] is False
    assert [
        (p["kind"], p["contact_id"], p["channel"], p["scope_id"]) for p in data["problems"]
    ] == [
        ("projection_altered", ada.id, "sms", NEWS),
        ("projection_deleted", ada.id, "email", None),
    ]


def test_api_verify_reports_projection_problems_with_channel_and_scope(ledger, ada):
    _, token = ledger.create_api_key(system(), "admin", "acme", name="auditor")
    client = TestClient(create_app(ledger))
    auth = {"Authorization": f"Bearer {token}"}
    clean = client.get("/v1/ledger/verify", headers=auth).json()
    assert clean["ok"] is True and clean["rows"] == 5
    consent_row(ledger, ada.id, "sms", NEWS, "status = 'opted_in'")

    body = client.get("/v1/ledger/verify", headers=auth).json()
    assert body["ok"] is False
    [problem] = body["problems"]
    assert problem["kind"] == "projection_altered" and problem["contact_id"] == ada.id
    assert (problem["channel"], problem["scope_id"]) == ("sms", NEWS)
    assert problem["event_id"] == event_of(ledger, ada.id, "opted_out")


def test_a_write_landing_while_verify_reads_the_projection_is_not_tampering(
    ledger, ada, monkeypatch
):
    from consentry.adapters.store import ledger_sql

    read_rows = ledger_sql.stream_consents

    def rows_then_a_write(conn, group_id, **streams):
        yield from read_rows(conn, group_id, **streams)
        ledger.opt_out(admin(), ada.id, "email", "acme")  # a new event and a new row

    monkeypatch.setattr(ledger_sql, "stream_consents", rows_then_a_write)
    during = ledger.verify(system())
    assert during.ok and (during.checked, during.rows) == (5, 5)
    monkeypatch.undo()
    after = ledger.verify(system())
    assert after.ok and (after.checked, after.rows) == (7, 6)  # it landed (and closed the
    # open request below it: decision 055), outside the snapshot
