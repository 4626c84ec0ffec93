"""The audience read as a stream on the driver's cursor (issue 12), on SQLite and PostgreSQL:
named contacts a chunk of ids per statement and in id order, an attribute's name rendered into
the statement's text as it is, and a stream read in part that lets its cursor go."""

from __future__ import annotations

from typing import Any

import pytest

from consentry.adapters.store import audience_sql
from consentry.adapters.store.dialect import Dialect
from consentry.core.audience import AudienceRow, Segment
from consentry.core.eligibility import Reason
from consentry.core.errors import InternalError, Unavailable
from consentry.ledger import Ledger
from tests.factories import WRITTEN, admin, make_contact, sender


def failing_streams(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch, error: str, *, lost: bool
) -> Any:
    """Every plain driver read stream fails at its first fetch with the driver's ``error``
    (as a server going away mid-read would); the SQLAlchemy dialect, for its driver module."""
    dialect = ledger.store.engine.dialect  # type: ignore[attr-defined]
    made = Dialect.stream_cursor

    class Failing:
        def __init__(self, cursor: Any) -> None:
            self.cursor = cursor

        def execute(self, *args: Any) -> None:
            self.cursor.execute(*args)

        def fetchmany(self, size: int) -> list[Any]:
            del size
            raise getattr(dialect.loaded_dbapi, error)("the server went away")

        def close(self) -> None:
            self.cursor.close()

    monkeypatch.setattr(Dialect, "stream_cursor", lambda self, driver: Failing(made(self, driver)))
    monkeypatch.setattr(type(dialect), "is_disconnect", lambda *_: lost)
    return dialect


def people(ledger: Ledger, count: int) -> tuple[list[str], list[str]]:
    """Contacts opted in to email at acme but every third: every id and the opted in, sorted."""
    ids, opted_in = [], []
    for n in range(count):
        c = make_contact(ledger, email=f"p{n}@example.com", mobile=None)
        if n % 3:
            ledger.opt_in(admin(), c.id, "email", "acme", evidence=WRITTEN)
            opted_in.append(c.id)
        ids.append(c.id)
    return sorted(ids), sorted(opted_in)


def test_named_contacts_are_read_a_chunk_of_ids_at_a_time_in_id_order(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids, opted_in = people(ledger, 7)
    monkeypatch.setattr(audience_sql, "ID_CHUNK", 2)
    asked = [*reversed(ids[1:]), ids[3], "c_unknown"]  # out of order, one twice, one unknown
    audience = ledger.resolve_audience(sender(), Segment(contact_ids=asked), "email", "acme")
    rows = list(audience.all_rows())
    assert [r.contact_id for r in rows] == ids[1:]
    assert all(isinstance(r, AudienceRow) and str(r.address).endswith("@example.com") for r in rows)
    assert [r.contact_id for r in rows if r.reason is Reason.OPTED_IN] == [
        cid for cid in opted_in if cid != ids[0]
    ]
    assert audience.unknown == 0 and audience.eligible_count + sum(audience.excluded.values()) == 6


def test_an_attribute_name_with_quotes_and_percent_signs_is_matched_as_it_is(
    ledger: Ledger,
) -> None:
    odd = "it's 50%(x)s %s"
    made = make_contact(ledger, email="odd@example.com", mobile=None, attributes={odd: "y'es"})
    make_contact(ledger, email="plain@example.com", mobile=None, attributes={"it": "y'es"})
    segment = Segment(attributes=[(odd, "y'es")])
    audience = ledger.resolve_audience(sender(), segment, "email", "acme")
    assert [(r.contact_id, r.reason) for r in audience.all_rows()] == [(made.id, Reason.NO_CONSENT)]


def test_an_audience_read_in_part_lets_its_cursor_go(ledger: Ledger) -> None:
    _, opted_in = people(ledger, 6)
    for _ in range(3):  # each leaves its snapshot and its server-side cursor on closing
        first = iter(ledger.resolve_audience(sender(), Segment(), "email", "acme"))
        assert next(first).reason is Reason.OPTED_IN
        first.close()  # type: ignore[attr-defined]
    whole = ledger.resolve_audience(sender(), Segment(), "email", "acme")
    assert [r.contact_id for r in whole] == opted_in and whole.eligible_count == 4
    assert whole.excluded == {Reason.NO_CONSENT: 2}


@pytest.fixture(
    params=[("OperationalError", True, Unavailable), ("DataError", False, InternalError)],
    ids=["lost", "refused"],
)
def failing(
    request: pytest.FixtureRequest, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> type[Exception]:
    """Three contacts, then every plain driver stream failing with a lost connection or a
    refused read; the error the store must raise for it."""
    error, lost, expected = request.param
    people(ledger, 3)
    failing_streams(ledger, monkeypatch, error, lost=lost)
    return expected  # type: ignore[no-any-return]


def test_a_driver_error_while_streaming_is_one_of_ours(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch, failing: type[Exception]
) -> None:
    rows = iter(ledger.resolve_audience(sender(), Segment(), "email", "acme").all_rows())
    with pytest.raises(failing):
        next(rows)
    monkeypatch.undo()
    assert len(list(ledger.resolve_audience(sender(), Segment(), "email", "acme"))) == 2


def test_a_driver_error_while_verifying_is_one_of_ours(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch, failing: type[Exception]
) -> None:
    with pytest.raises(failing):
        ledger.verify(admin())
    monkeypatch.undo()
    assert ledger.verify(admin()).ok
