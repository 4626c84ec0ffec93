"""Exports of contacts, consents and the ledger (decision 068), on SQLite and PostgreSQL: what
they hold, who sees what, that the ledger file verifies again, and that memory stays flat."""

from __future__ import annotations

import csv
import gc
import io
import json
import tracemalloc
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from consentry.adapters.clock import FixedClock
from consentry.adapters.store import exports_sql
from consentry.core.chain import commitment, genesis, link
from consentry.core.channels import Channel
from consentry.core.contacts import Contact
from consentry.core.csvsafe import FORMULA_STARTS, original
from consentry.core.errors import Forbidden, Invalid, InvalidTime
from consentry.core.events import CHAIN_COLUMNS, Action, Source, to_micros
from consentry.core.exports import (
    CONSENT_COLUMNS,
    LEDGER_COLUMNS,
    ExportFormat,
    cell,
    contact_columns,
)
from consentry.core.ids import new_id
from consentry.core.permissions import Principal, Role
from consentry.core.status import NO_CONSENT
from consentry.ledger import Ledger, exports
from consentry.ledger.joined import Later, joined_context
from consentry.ledger.steps import Change, record
from tests.factories import (
    T0,
    WRITTEN,
    admin,
    as_contact,
    make_contact,
    sender,
    sql,
    staff,
    system,
    viewer,
)

FORMATS = [ExportFormat.CSV, ExportFormat.NDJSON]
TIMES = {"occurred_at", "recorded_at", "expires_at"}
NEVER_NULL = {"evidence_commitment"}  # the empty text for an event without evidence


# ── reading an export back ──
def parsed(text: str, fmt: ExportFormat) -> list[dict[str, Any]]:
    """The records of an export: NDJSON objects, or CSV rows by header with each cell's
    neutralising quote taken off (``csvsafe.original``)."""
    if fmt is ExportFormat.NDJSON:
        return [json.loads(line) for line in text.split("\n") if line]
    header, *rows = csv.reader(io.StringIO(text, newline=""))
    return [dict(zip(header, map(original, row), strict=True)) for row in rows]


def both(chunks_of: Any) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """The CSV and the NDJSON records of one export, checked to carry the same information."""
    rows = parsed("".join(chunks_of(ExportFormat.CSV)), ExportFormat.CSV)
    objects = parsed("".join(chunks_of(ExportFormat.NDJSON)), ExportFormat.NDJSON)
    assert rows == [{k: cell(v) for k, v in o.items()} for o in objects]
    return rows, objects


def ledger_rows(text: str, fmt: ExportFormat) -> list[dict[str, Any]]:
    """A ledger export's records with CSV's text typed back: numbers, and empty cells as null."""
    rows = parsed(text, fmt)
    if fmt is ExportFormat.CSV:
        rows = [
            {k: (None if v == "" and k not in NEVER_NULL else v) for k, v in r.items()}
            for r in rows
        ]
        for r in rows:
            r["seq"] = int(r["seq"])
    return rows


def chained(row: dict[str, Any]) -> tuple[str | int | None, ...]:
    """The fields the hash chain covers, from an exported row (times back to microseconds)."""
    return tuple(
        to_micros(datetime.fromisoformat(row[c])) if c in TIMES and row[c] else row[c]
        for c in CHAIN_COLUMNS
    )


def reverify(rows: list[dict[str, Any]], *, whole: bool = True) -> list[str]:
    """The ids of the rows that do not verify: each row's hash recomputed (``chain.link``) and
    its evidence against its commitment; ``whole``: each chain also unbroken from its genesis."""
    bad: list[str] = []
    last: dict[str, tuple[int, str]] = {}
    for row in rows:
        contact = row["contact_id"]
        seq, head = last.get(contact, (0, genesis(contact)))
        linked = row["seq"] == seq + 1 and row["prev_hash"] == head
        committed = row["evidence"] is None or (
            commitment(row["evidence_salt"], row["evidence"]) == row["evidence_commitment"]
        )
        if (
            (whole and not linked)
            or not committed
            or link(row["prev_hash"], chained(row)) != row["hash"]
        ):
            bad.append(row["id"])
        last[contact] = (row["seq"], row["hash"])
    return bad


# ── a small world ──
@pytest.fixture
def world(ledger: Ledger, clock: FixedClock) -> dict[str, Any]:
    """Ada: opted in to SMS at the newsletters client, opted out of email at the events client
    by an admin named like a formula, an SMS opt-in at her own user scope, a bounced email.
    Grace: an email confirmation request at the group. Gus: in globex."""
    ada = make_contact(
        ledger, name='=HYPERLINK("http://example.com/x","click")', external_id="@A1",
        lists=["vip", "news"], attributes={"tier": "gold", "visits": 3},
        postal_address="1 Example Road\nLondon",
    )  # fmt: skip
    grace = make_contact(ledger, email="grace@example.com", mobile=None, name="Grace")
    gus = make_contact(ledger, email="gus@example.com", mobile=None, group="globex")
    tick = iter(range(1, 100))

    def later() -> None:
        clock.set(T0 + timedelta(minutes=next(tick)))

    later()
    opted = ledger.opt_in(admin(), ada.id, "sms", "acme/newsletters", evidence=WRITTEN)
    later()
    by = Principal(Role.ADMIN, "acme", "=cmd|' /C calc'!A0")
    out = ledger.opt_out(by, ada.id, "email", "acme/events")
    later()
    own = ledger.opt_in(admin(), ada.id, "sms", "acme/newsletters/ada", evidence=WRITTEN)
    later()
    bounce = ledger.record_bounce(sender(), ada.id, "email")
    later()
    asked = ledger.request_confirmation(staff(), grace.id, "email", "acme")
    later()
    ledger.opt_in(admin("globex"), gus.id, "email", "globex", evidence=WRITTEN)
    events = {"opted": opted, "out": out, "own": own, "bounce": bounce, "asked": asked}
    return {"ada": ada, "grace": grace, "gus": gus, **events}


def test_the_contacts_export_holds_every_contact_and_what_a_send_would_get(ledger, world):
    ada, grace = ledger.get_contact(viewer(), world["ada"].id), world["grace"]
    at: dict[str, dict[str, Any]] = {}
    for scope in ("acme", "acme/newsletters", "acme/events"):
        rows, objects = both(lambda f, s=scope: ledger.export_contacts(viewer(s), format=f))
        assert [o["id"] for o in objects] == sorted([ada.id, grace.id])  # never globex's Gus
        assert list(rows[0]) == list(contact_columns(Channel))
        at[scope] = mine = next(o for o in objects if o["id"] == ada.id)
        for channel in Channel:
            decision = ledger.check(viewer(scope), ada.id, channel, scope)
            assert mine[f"{channel.value}_status"] == decision.reason.value, (scope, channel)
    assert at["acme/newsletters"]["sms_status"] == "opted_in"
    assert at["acme"]["sms_status"] == at["acme/events"]["sms_status"] == "no_consent"
    assert mine["email_status"] == "bounced"
    assert mine["push_status"] == "no_address"
    assert {k: mine[k] for k in ("name", "external_id", "email", "mobile", "postal_address")} == {
        "name": ada.name, "external_id": "@A1", "email": "ada@example.com",
        "mobile": "+447700900123", "postal_address": "1 Example Road\nLondon",
    }  # fmt: skip
    assert mine["lists"] == ["news", "vip"] and mine["attributes"] == {"tier": "gold", "visits": 3}
    assert mine["created_at"] == T0.isoformat() and mine["erased_at"] is None and not mine["locale"]


def test_a_contact_named_like_a_formula_is_text_in_every_csv(ledger, world):
    texts = [
        "".join(ledger.export_contacts(admin(), format="csv")),
        "".join(ledger.export_consents(admin(), format="csv")),
        "".join(ledger.export_ledger(admin(), format="csv")),
    ]
    for text in texts:
        for row in csv.reader(io.StringIO(text, newline="")):
            assert all(not c.startswith(FORMULA_STARTS) for c in row), row
    contacts, ledger_text = texts[0], texts[2]
    assert '"\'=HYPERLINK(""http://example.com/x"",""click"")"' in contacts
    assert '"\'@A1"' in contacts and '"\'+447700900123"' in contacts  # no number, no formula
    assert "\"'=cmd|' /C calc'!A0\"" in ledger_text
    (ada,) = [r for r in parsed(contacts, ExportFormat.CSV) if r["id"] == world["ada"].id]
    assert ada["name"] == world["ada"].name  # a program takes the quote off and has the value


def test_the_consents_export_lists_each_row_with_since_and_the_suppressions(ledger, world, clock):
    ada, grace = world["ada"].id, world["grace"].id
    _, objects = both(lambda f: ledger.export_consents(admin(), format=f))
    asked = world["asked"]
    of = {
        ada: [
            row(ada, "email", "acme/events", "soft_opt_out", world["out"]),
            row(ada, "sms", "acme/newsletters", "opted_in", world["opted"]),
            row(ada, "sms", "acme/newsletters/ada", "opted_in", world["own"]),
            row(ada, "email", None, "bounced", world["bounce"]),
        ],
        grace: [
            row(
                grace, "email", "acme", "pending", asked, confirm_until=asked.expires_at.isoformat()
            )
        ],
    }
    assert objects == [r for contact in sorted(of) for r in of[contact]]  # in contact order
    assert list(objects[0]) == list(CONSENT_COLUMNS)
    clock.set(asked.expires_at + timedelta(seconds=1))  # the request lapsed: none since then
    (lapsed,) = [o for o in parsed("".join(ledger.export_consents(admin())), ExportFormat.CSV)
                 if o["contact_id"] == grace]  # fmt: skip
    assert lapsed["status"] == "none" and lapsed["since"] == asked.expires_at.isoformat()
    assert lapsed["confirm_until"] == "" and lapsed["event_id"] == asked.id


def row(contact: str, channel: str, scope: str | None, status: str, event: Any, **more: Any):
    return {
        "contact_id": contact, "channel": channel, "scope_id": scope, "status": status,
        "since": event.recorded_at.isoformat(), "event_id": event.id, "confirm_until": None,
        **more,
    }  # fmt: skip


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_ledger_export_holds_every_event_and_verifies_again(ledger, world, fmt):
    rows = ledger_rows("".join(ledger.export_ledger(admin(), format=fmt)), fmt)
    contacts = sorted([world["ada"].id, world["grace"].id])
    expected = [e for c in contacts for e in ledger.history(admin(), c)]
    assert [r["id"] for r in rows] == [e.id for e in expected]  # (contact_id, seq) order
    assert list(rows[0]) == list(LEDGER_COLUMNS)
    event = world["opted"]
    (first,) = [r for r in rows if r["id"] == event.id]
    assert first["evidence"] == event.evidence and first["evidence_salt"] == event.evidence_salt
    assert json.loads(first["evidence"]) == WRITTEN
    assert {r["hash"] for r in rows} == {e.hash for e in expected}
    assert reverify(rows) == []


def test_an_edited_event_does_not_verify_from_the_export(ledger, world):
    edited = world["out"].id
    sql(ledger, "UPDATE events SET recorded_by = 'someone else' WHERE id = :id", id=edited)
    for fmt in FORMATS:
        rows = ledger_rows("".join(ledger.export_ledger(admin(), format=fmt)), fmt)
        assert reverify(rows) == [edited]


def test_since_keeps_the_events_recorded_from_then_on(ledger, world):
    since = world["bounce"].recorded_at
    text = "".join(ledger.export_ledger(viewer(), format="ndjson", since=since))
    ids = [r["id"] for r in ledger_rows(text, ExportFormat.NDJSON)]
    recorded = sorted((world[k] for k in ("bounce", "asked")), key=lambda e: e.contact_id)
    assert ids == [e.id for e in recorded]  # (contact_id, seq) order
    later = since + timedelta(days=365)
    assert "".join(ledger.export_ledger(viewer(), format="ndjson", since=later)) == ""
    header = "".join(ledger.export_ledger(viewer(), format="csv", since=later))
    assert list(csv.reader(io.StringIO(header))) == [list(LEDGER_COLUMNS)]


def test_a_client_sees_its_own_facts_those_below_and_above_never_a_sibling(ledger, world):
    client = viewer("acme/newsletters")
    _, consents = both(lambda f: ledger.export_consents(client, format=f))
    seen = {(c["channel"], c["scope_id"]) for c in consents}
    assert seen == {
        ("sms", "acme/newsletters"), ("sms", "acme/newsletters/ada"), ("email", None),
        ("email", "acme"),
    }  # fmt: skip
    rows = ledger_rows("".join(ledger.export_ledger(client, format="ndjson")), ExportFormat.NDJSON)
    visible = {world[k].id for k in ("opted", "own", "bounce", "asked")}
    assert {r["id"] for r in rows} == visible  # not the opt-out at the sibling acme/events
    assert reverify(rows, whole=False) == []  # each row still verifies by itself
    assert reverify(rows) == [world["own"].id]  # where a hidden event was, the chain has a gap
    user = viewer("acme/newsletters/ada")
    at_user = parsed("".join(ledger.export_consents(user, format="ndjson")), ExportFormat.NDJSON)
    assert {(c["channel"], c["scope_id"]) for c in at_user} == seen


def test_a_refusal_comes_from_the_call_before_any_line(ledger, world):
    del world
    for principal in (
        sender(),
        as_contact(make_contact(ledger, email="m@example.com", mobile=None)),
    ):
        for export in (ledger.export_contacts, ledger.export_consents, ledger.export_ledger):
            with pytest.raises(Forbidden) as refused:
                export(principal, format="csv")
            assert refused.value.code == "forbidden"
    with pytest.raises(Invalid) as bad:
        ledger.export_contacts(staff(), format="xlsx")
    assert bad.value.code == "invalid" and bad.value.details["field"] == "format"
    with pytest.raises(InvalidTime) as early:
        ledger.export_ledger(staff(), since=datetime(1969, 12, 31, tzinfo=T0.tzinfo))
    assert early.value.code == "invalid_time"
    with pytest.raises(Invalid) as naive:
        ledger.export_ledger(staff(), since=datetime(2026, 1, 1))
    assert naive.value.code == "invalid"


def test_staff_and_the_operator_may_export_and_so_may_a_joined_unit_of_work(ledger, world):
    ids = sorted([world["ada"].id, world["grace"].id])
    for principal in (staff(), system(), Principal(Role.VIEWER, "acme", "v", via_key=True)):
        got = parsed(
            "".join(ledger.export_contacts(principal, format="ndjson")), ExportFormat.NDJSON
        )
        assert [o["id"] for o in got] == ids
    with ledger.store.transaction() as tx:  # an API command's context reads the store's snapshot
        ctx = joined_context(ledger.context, tx, Later())
        got = parsed("".join(exports.export_contacts(ctx, admin())), ExportFormat.CSV)
    assert [o["id"] for o in got] == ids


def test_an_empty_group_exports_a_header_or_nothing(ledger):
    for export in (ledger.export_contacts, ledger.export_consents, ledger.export_ledger):
        assert "".join(export(admin(), format="ndjson")) == ""
        (header,) = csv.reader(io.StringIO("".join(export(admin(), format="csv"))))
        assert header[0] in ("id", "contact_id")


def test_batches_follow_each_other_without_a_gap_or_a_repeat(ledger, monkeypatch):
    monkeypatch.setattr(exports, "BATCH", 2)
    made = sorted(make_contact(ledger, email=f"p{n}@example.com", mobile=None).id for n in range(5))
    ledger.opt_in(admin(), made[4], "email", "acme", evidence=WRITTEN)
    chunks = list(ledger.export_contacts(admin(), format="ndjson"))
    assert len(chunks) == 3  # 2 + 2 + 1
    assert [json.loads(line)["id"] for c in chunks for line in c.splitlines()] == made
    assert len(list(ledger.export_contacts(admin(), format="csv"))) == 1 + 3
    consents = list(ledger.export_consents(admin(), format="ndjson"))
    assert len(consents) == 1 and json.loads(consents[0])["contact_id"] == made[4]
    for n in range(4):
        ledger.opt_in(admin(), made[n], "email", "acme", evidence=WRITTEN)
    events = list(ledger.export_ledger(admin(), format="ndjson"))
    assert [len(c.splitlines()) for c in events] == [2, 2, 1]


# ── memory stays flat ──
def add_many(ledger: Ledger, n: int) -> None:
    """``n`` contacts of acme, each opted in to SMS at the group, in one unit of work."""
    ctx, principal = ledger.context, system()
    now = ledger.clock.now()
    with ledger.store.transaction() as tx:
        for k in range(n):
            contact = Contact(
                new_id("ct", now), "acme", email=f"person{k}@example.com", name=f"Person {k}",
                attributes={"n": k}, created_at=now,
            )  # fmt: skip
            tx.add_contact(contact, {})
            change = Change(
                contact=contact, channel=Channel.SMS, scope_id="acme", action=Action.OPTED_IN,
                actor=principal.actor, recorded_by=principal.id, source=Source.IMPORT,
                evidence=WRITTEN,
            )  # fmt: skip
            record(ctx, tx, tx.lock_chain(contact.id), change, NO_CONSENT)
        tx.commit()


def peak(chunks: Iterator[str]) -> tuple[int, int]:
    """The peak of memory allocated while an export is read to its end, and its length."""
    gc.collect()  # what earlier work left for the collector is not this export's
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in chunks)
        _, top = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return top, size


def peaks(ledger: Ledger) -> dict[str, tuple[int, int]]:
    """The peak memory and the length of each export, read to its end."""
    made = {
        "contacts": lambda: ledger.export_contacts(admin(), format="csv"),
        "consents": lambda: ledger.export_consents(admin(), format="ndjson"),
        "ledger": lambda: ledger.export_ledger(admin(), format="csv"),
    }
    return {name: peak(export()) for name, export in made.items()}


def grown(small: dict[str, tuple[int, int]], large: dict[str, tuple[int, int]]) -> list[str]:
    """The exports whose peak grew with a file four times as long (beyond noise)."""
    found = []
    for name, (top_n, size_n) in small.items():
        top_4n, size_4n = large[name]
        assert size_4n > 3.9 * size_n, name  # four times the file…
        if top_4n >= 1.5 * top_n + 64 * 1024:  # …must not take more memory
            found.append(f"{name}: {top_n:,} → {top_4n:,} bytes")
    return found


def test_memory_stays_flat_whatever_the_number_of_contacts(ledger, monkeypatch):
    """N and 4N contacts (and events), batches of ``BATCH`` (small here, so that N spans
    several and the test takes seconds): the peak stays that of a batch."""
    monkeypatch.setattr(exports, "BATCH", 100)
    monkeypatch.setattr(exports_sql, "EVENT_BATCH", 100)
    n = 300
    add_many(ledger, n)
    peaks(ledger)  # warm up: statement caches, imports
    small = peaks(ledger)
    add_many(ledger, 3 * n)
    assert grown(small, peaks(ledger)) == []
    # the measure sees growth: with one batch for everything, the same files grow the peak
    monkeypatch.setattr(exports, "BATCH", 10 * n)
    monkeypatch.setattr(exports_sql, "EVENT_BATCH", 10 * n)
    whole = peaks(ledger)
    assert len(grown(small, whole)) == 3, whole
