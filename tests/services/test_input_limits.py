"""The input limits at the library's own edge (decision 050), on SQLite and PostgreSQL.

A library user calls ``Ledger`` methods directly, so the use cases check their inputs with the
same validators as the API: each class of bad value (a NUL, another control character, an
unpaired surrogate, an over-long text, an instant outside 1970..9999 UTC, a JSON document too
deep, too big or holding NaN, too many lists) gets the same ``Invalid`` error and code on both
databases, and nothing is written. What was written before stays readable.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select

from consentry.adapters.store.schema import metadata
from consentry.core import limits
from consentry.core.contacts import Contact, ContactDetails, ContactFilter
from consentry.core.errors import ConsentryError, InvalidText
from consentry.core.events import Source
from consentry.ledger import Ledger
from consentry.ledger.contacts import TEXT_DETAILS
from consentry.ledger.numbers import inbound_principal
from tests.factories import (
    ADA_MOBILE,
    NEWS,
    WRITTEN,
    admin,
    make_contact,
    make_numbers,
    sender,
    staff,
    system,
    viewer,
)

Call = Callable[[Ledger, Contact], object]

#: A bad character of each kind, and the code each gets.
BAD_CHARACTERS = {"nul": "\x00", "escape": "\x1b", "c1": "\x85", "surrogate": "\ud800"}


def rows(ledger: Ledger) -> dict[str, int]:
    """How many rows every table of the store holds."""
    with ledger.store.engine.connect() as conn:  # type: ignore[attr-defined]
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in metadata.sorted_tables
        }


def refused(ledger: Ledger, ada: Contact, call: Call) -> ConsentryError:
    """The error ``call`` raises; it wrote nothing."""
    before = rows(ledger)
    with pytest.raises(ConsentryError) as info:
        call(ledger, ada)
    assert rows(ledger) == before, "a refused call wrote something"
    return info.value


def nested(depth: int) -> dict[str, Any]:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    result: dict[str, Any] = value
    return result


# ── every text detail of a contact, on add and on update ──
STR_DETAILS = [
    f.name
    for f in dataclasses.fields(ContactDetails)
    if f.type in ("str | None", str | None)  # the annotations are strings (PEP 563)
]


def test_every_text_detail_has_a_limit() -> None:
    assert set(STR_DETAILS) == set(TEXT_DETAILS)


def _details_cases() -> list[Any]:
    cases = []
    for name in STR_DETAILS:
        longest, multiline = TEXT_DETAILS[name]
        bad = {f"{kind}": f"a{char}b" for kind, char in BAD_CHARACTERS.items()}
        if not multiline:
            bad["line_break"] = "a\nb"
        for kind, value in bad.items():
            cases.append(pytest.param(name, value, "invalid_text", id=f"{name}-{kind}"))
        over = "x" * (longest + 1)
        cases.append(pytest.param(name, over, "text_too_long", id=f"{name}-too-long"))
    return cases


@pytest.mark.parametrize(("name", "value", "code"), _details_cases())
def test_a_bad_text_detail_is_refused_on_add_and_on_update(
    ledger: Ledger, name: str, value: str, code: str
) -> None:
    ada = make_contact(ledger)
    given: dict[str, Any] = {name: value}
    details = ContactDetails(**given)
    added = refused(ledger, ada, lambda lg, _: lg.add_contact(staff(), details))
    updated = refused(ledger, ada, lambda lg, c: lg.update_contact(admin(), c.id, details))
    assert added.code == updated.code == code
    assert added.details["field"] == name


def test_texts_at_their_limits_are_kept_exactly_on_both_databases(ledger: Ledger) -> None:
    ada = make_contact(
        ledger,
        name="é" * limits.NAME,
        external_id="x" * limits.NAME,
        postal_address="1 High St\r\nLondon\tUK",
        lists=["l" * limits.NAME, *(f"list-{n}" for n in range(limits.MAX_LISTS - 1))],
    )
    again = ledger.get_contact(viewer(), ada.id)
    assert again.name == "é" * limits.NAME
    assert again.postal_address == "1 High St\r\nLondon\tUK"
    assert len(again.lists) == limits.MAX_LISTS


# ── lists and attributes ──
LIST_CASES = [
    pytest.param([f"l{n}" for n in range(limits.MAX_LISTS + 1)], "too_many_items", id="101"),
    pytest.param(["news", "a\x00b"], "invalid_text", id="nul"),
    pytest.param(["news\nletter"], "invalid_text", id="line-break"),
    pytest.param(["x" * (limits.NAME + 1)], "text_too_long", id="too-long"),
]


@pytest.mark.parametrize(("lists", "code"), LIST_CASES)
def test_bad_lists_are_refused(ledger: Ledger, lists: list[str], code: str) -> None:
    ada = make_contact(ledger)
    details = ContactDetails(lists=lists)
    assert refused(ledger, ada, lambda lg, _: lg.add_contact(staff(), details)).code == code
    assert refused(ledger, ada, lambda lg, c: lg.update_contact(admin(), c.id, details)).code == (
        code
    )


def test_a_hundred_thousand_lists_are_refused_at_once(ledger: Ledger) -> None:
    ada = make_contact(ledger)
    many = ContactDetails(lists=[f"list-{n}" for n in range(100_000)])
    started = time.monotonic()
    error = refused(ledger, ada, lambda lg, c: lg.update_contact(admin(), c.id, many))
    assert error.code == "too_many_items"
    assert error.details == {"field": "lists", "limit": limits.MAX_LISTS, "given": 100_000}
    assert time.monotonic() - started < 2


ATTRIBUTE_CASES = [
    pytest.param(nested(256), "too_deep", id="256-deep"),
    pytest.param(nested(limits.MAX_DEPTH + 1), "too_deep", id="too-deep"),
    pytest.param({"score": math.nan}, "not_finite", id="nan"),
    pytest.param({"score": math.inf}, "not_finite", id="infinity"),
    pytest.param({"score": [-math.inf]}, "not_finite", id="minus-infinity"),
    pytest.param({"score": 2**64}, "out_of_range", id="huge-int"),
    pytest.param({"tier": "gold\x00"}, "invalid_text", id="nul"),
    pytest.param({"tier\n": "gold"}, "invalid_text", id="key-line-break"),
    pytest.param({"notes": "x" * limits.MAX_ATTRIBUTES_BYTES}, "too_large", id="too-large"),
    pytest.param({"ids": list(range(limits.MAX_MEMBERS))}, "too_many_members", id="members"),
    pytest.param({"when": datetime(2026, 1, 1, tzinfo=UTC)}, "not_json", id="not-json"),
]


@pytest.mark.parametrize(("attributes", "reason"), ATTRIBUTE_CASES)
def test_bad_attributes_are_refused(
    ledger: Ledger, attributes: dict[str, Any], reason: str
) -> None:
    ada = make_contact(ledger)
    details = ContactDetails(attributes=attributes)
    for call in (
        lambda lg, _: lg.add_contact(staff(), details),
        lambda lg, c: lg.update_contact(admin(), c.id, details),
    ):
        error = refused(ledger, ada, call)
        assert (error.code, error.details["reason"]) == ("invalid_attributes", reason)


def test_attributes_merged_past_the_limit_are_refused(ledger: Ledger) -> None:
    half = "x" * (limits.MAX_ATTRIBUTES_BYTES // 2)
    ada = make_contact(ledger, attributes={"a": half})
    more = ContactDetails(attributes={"b": half})
    error = refused(ledger, ada, lambda lg, c: lg.update_contact(admin(), c.id, more))
    assert (error.code, error.details["reason"]) == ("invalid_attributes", "too_large")
    assert ledger.get_contact(viewer(), ada.id).attributes == {"a": half}


# ── ids, filters and scopes given to reads and commands ──
NUL = "ct_\x00"
TOO_LONG_ID = "ct_" + "0" * limits.ID

ID_CALLS: dict[str, Callable[[Ledger, str], object]] = {
    "get_contact": lambda lg, cid: lg.get_contact(viewer(), cid),
    "update_contact": lambda lg, cid: lg.update_contact(admin(), cid, ContactDetails(name="A")),
    "history": lambda lg, cid: lg.history(viewer(), cid),
    "status_at": lambda lg, cid: lg.status_at(viewer(), cid, "sms", "acme", at=lg.clock.now()),
    "opt_out": lambda lg, cid: lg.opt_out(admin(), cid, "sms", "acme"),
    "opt_in": lambda lg, cid: lg.opt_in(staff(), cid, "sms", "acme", evidence=WRITTEN),
    "record_bounce": lambda lg, cid: lg.record_bounce(sender(), cid, "email"),
    "unsubscribe_headers": lambda lg, cid: lg.unsubscribe_headers(sender(), cid, "acme"),
}


@pytest.mark.parametrize("use_case", list(ID_CALLS))
@pytest.mark.parametrize(
    ("contact_id", "code"), [(NUL, "invalid_text"), (TOO_LONG_ID, "text_too_long")]
)
def test_a_bad_contact_id_is_refused_by_every_use_case(
    ledger: Ledger, use_case: str, contact_id: str, code: str
) -> None:
    ada = make_contact(ledger)
    error = refused(ledger, ada, lambda lg, _: ID_CALLS[use_case](lg, contact_id))
    assert (error.code, error.details["field"]) == (code, "contact_id")


FILTERS = ["email", "mobile", "external_id", "list_name", "after"]


@pytest.mark.parametrize("name", FILTERS)
@pytest.mark.parametrize(
    ("value", "code"), [("a\x00", "invalid_text"), ("x" * 400, "text_too_long")]
)
def test_a_bad_contact_filter_is_refused(ledger: Ledger, name: str, value: str, code: str) -> None:
    ada = make_contact(ledger)
    where = ContactFilter(**{name: value})  # type: ignore[arg-type]
    assert refused(ledger, ada, lambda lg, _: lg.list_contacts(viewer(), where)).code == code


def test_a_bad_address_to_find_is_refused(ledger: Ledger) -> None:
    ada = make_contact(ledger)
    calls: list[Call] = [
        lambda lg, _: lg.find_contact(viewer(), email="ada@example.com\x00"),
        lambda lg, _: lg.find_contact(viewer(), mobile="+44\x00"),
    ]
    for call in calls:
        assert refused(ledger, ada, call).code == "invalid_text"


SCOPE_CALLS: list[Any] = [
    pytest.param(lambda lg, c: lg.opt_out(admin(), c.id, "sms", "acme\x00"), id="opt_out"),
    pytest.param(lambda lg, c: lg.check(sender(), c.id, "sms", "acme\x00"), id="check"),
    pytest.param(lambda lg, _: lg.get_scope(viewer(), "acme/\x00"), id="get_scope"),
    pytest.param(lambda lg, _: lg.add_scope(admin(), "acme/new\x00"), id="add_scope"),
    pytest.param(lambda lg, _: lg.create_api_key(admin(), "sender", "acme\x00"), id="key"),
    pytest.param(
        lambda lg, _: lg.add_scope(admin(), "acme/new", name="New\x00"), id="add_scope-name"
    ),
]


@pytest.mark.parametrize("call", SCOPE_CALLS)
def test_a_bad_scope_or_scope_name_is_invalid_text(ledger: Ledger, call: Call) -> None:
    assert refused(ledger, make_contact(ledger), call).code == "invalid_text"


def test_an_over_long_scope_name_is_refused_not_cut(ledger: Ledger) -> None:
    call: Call = lambda lg, _: lg.add_scope(admin(), "acme/new", name="n" * 201)  # noqa: E731
    assert refused(ledger, make_contact(ledger), call).code == "text_too_long"


# ── what an event records: evidence, reasons, times ──
EVIDENCE_CASES = [
    pytest.param({**WRITTEN, "deep": nested(256)}, "too_deep", id="256-deep"),
    pytest.param({**WRITTEN, "deep": nested(limits.MAX_DEPTH)}, "too_deep", id="too-deep"),
    pytest.param({**WRITTEN, "score": math.nan}, "not_finite", id="nan"),
    pytest.param({**WRITTEN, "score": -math.inf}, "not_finite", id="infinity"),
    pytest.param({**WRITTEN, "note": "a\x00b"}, "invalid_text", id="nul"),
    pytest.param({**WRITTEN, "note": "\udc00"}, "invalid_text", id="surrogate"),
    pytest.param({**WRITTEN, "ids": list(range(limits.MAX_MEMBERS))}, "too_many_members", id="n"),
]


@pytest.mark.parametrize(("evidence", "reason"), EVIDENCE_CASES)
def test_evidence_that_could_not_be_read_back_is_refused(
    ledger: Ledger, evidence: dict[str, Any], reason: str
) -> None:
    ada = make_contact(ledger)
    for call in (
        lambda lg, c: lg.opt_in(staff(), c.id, "sms", "acme", evidence=evidence),
        lambda lg, c: lg.opt_out(admin(), c.id, "email", "acme", evidence=evidence),
        lambda lg, c: lg.record_bounce(sender(), c.id, "email", evidence=evidence),
    ):
        error = refused(ledger, ada, call)
        assert (error.code, error.details["reason"]) == ("invalid_evidence", reason)
    assert ledger.history(viewer(), ada.id) == []


PLUS_14 = timezone(timedelta(hours=14))
MINUS_12 = timezone(timedelta(hours=-12))
OUT_OF_RANGE = [
    pytest.param(datetime(1, 1, 1, tzinfo=PLUS_14), id="0001-01-01T00:00+14:00"),
    pytest.param(datetime(9999, 12, 31, 23, 59, 59, tzinfo=MINUS_12), id="9999-12-31T23:59:59-12"),
    pytest.param(datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC), id="1969"),
]


@pytest.mark.parametrize("moment", OUT_OF_RANGE)
def test_an_occurred_at_outside_the_range_is_refused_and_reads_keep_working(
    ledger: Ledger, moment: datetime
) -> None:
    ada = make_contact(ledger)
    calls: list[Call] = [
        lambda lg, c: lg.opt_in(staff(), c.id, "sms", "acme", evidence=WRITTEN, occurred_at=moment),
        lambda lg, c: lg.opt_in(
            sender(), c.id, "sms", "acme", evidence={"body": "START"},
            source=Source.SMS_KEYWORD, occurred_at=moment,
        ),
    ]  # fmt: skip
    for call in calls:
        error = refused(ledger, ada, call)
        assert (error.code, error.details["field"]) == ("invalid_time", "occurred_at")
    assert ledger.history(viewer(), ada.id) == []
    assert ledger.status_at(viewer(), ada.id, "sms", "acme", at=ledger.clock.now()).event is None


@pytest.mark.parametrize("moment", [limits.EARLIEST, limits.LATEST.astimezone(MINUS_12)], ids=str)
def test_the_bounds_of_the_range_are_kept_and_read_back(ledger: Ledger, moment: datetime) -> None:
    ada = make_contact(ledger)
    event = ledger.opt_in(
        sender(), ada.id, "sms", "acme", evidence={"body": "START"}, source=Source.SMS_KEYWORD,
        occurred_at=moment,
    )  # fmt: skip
    assert [e.occurred_at for e in ledger.history(viewer(), ada.id)] == [moment]
    now = ledger.status_at(viewer(), ada.id, "sms", "acme", at=ledger.clock.now())
    assert now.event == event
    assert ledger.verify(system()).ok


def test_a_bad_resubscribe_reason_is_invalid_text(ledger: Ledger) -> None:
    ada = make_contact(ledger)
    call: Call = lambda lg, c: lg.resubscribe(  # noqa: E731
        admin(), c.id, "sms", "acme", reason="contact_asked\x00", evidence=WRITTEN
    )
    assert refused(ledger, ada, call).code == "invalid_text"


# ── receiving numbers and keyword sets ──
NUMBER_CASES: list[Any] = [
    pytest.param({"number": "+44\x00"}, "invalid_text", id="number"),
    pytest.param({"number": "x" * (limits.NUMBER + 1)}, "text_too_long", id="number-long"),
    pytest.param({"help_text": "Call us\x00"}, "invalid_text", id="help_text"),
    pytest.param({"opt_out_text": "Bye\x1b"}, "invalid_text", id="opt_out_text"),
    pytest.param({"opt_in_text": "x" * (limits.REPLY_TEXT + 1)}, "text_too_long", id="long"),
    pytest.param({"keyword_set": "default\x00"}, "invalid_text", id="keyword_set"),
    pytest.param({"languages": ["en"] * (limits.MAX_LANGUAGES + 1)}, "too_many_items", id="l"),
    pytest.param({"languages": ["en\x00"]}, "invalid_text", id="language"),
    pytest.param({"channels": ["sms"] * (limits.MAX_CHANNELS + 1)}, "too_many_items", id="c"),
    pytest.param({"channels": ["sms\x00"]}, "invalid_text", id="channel"),
    pytest.param({"unsubscribe_digit": "9\x00"}, "invalid_text", id="digit"),
]


@pytest.mark.parametrize(("bad", "code"), NUMBER_CASES)
def test_a_bad_number_configuration_is_refused(
    ledger: Ledger, bad: dict[str, Any], code: str
) -> None:
    make_numbers(ledger)
    args = {"number": "+447700900902", "scope_id": "acme", **bad}
    call: Call = lambda lg, _: lg.configure_number(admin(), **args)  # noqa: E731
    assert refused(ledger, make_contact(ledger), call).code == code


def test_reply_texts_may_hold_line_breaks(ledger: Ledger) -> None:
    config = ledger.configure_number(admin(), NEWS, "acme", help_text="Acme\nReply STOP\tto end")
    assert (
        ledger.get_number(viewer(), NEWS).help_text
        == config.help_text
        == ("Acme\nReply STOP\tto end")
    )


KEYWORD_CALLS: list[Any] = [
    pytest.param(lambda lg, _: lg.add_keyword(admin(), "opt_out", "ENOUGH\x00"), id="word"),
    pytest.param(lambda lg, _: lg.add_keyword(admin(), "opt_out\x00", "ENOUGH"), id="kind"),
    pytest.param(
        lambda lg, _: lg.add_keyword(admin(), "opt_out", "ENOUGH", language="en\x00"), id="lang"
    ),
    pytest.param(
        lambda lg, _: lg.add_keyword(admin(), "opt_out", "ENOUGH", keyword_set="a\x00"), id="set"
    ),
    pytest.param(
        lambda lg, _: lg.remove_keyword(admin(), "opt_out", "ENOUGH\x00"), id="remove-word"
    ),
    pytest.param(lambda lg, _: lg.keyword_set(viewer(), keyword_set="\x00"), id="read-set"),
    pytest.param(lambda lg, _: lg.get_number(viewer(), f"{NEWS}\x00"), id="get_number"),
]


@pytest.mark.parametrize("call", KEYWORD_CALLS)
def test_a_bad_keyword_or_number_lookup_is_invalid_text(ledger: Ledger, call: Call) -> None:
    make_numbers(ledger)
    assert refused(ledger, make_contact(ledger), call).code == "invalid_text"


def test_too_many_languages_for_a_keyword_set_are_refused(ledger: Ledger) -> None:
    many = ["en"] * (limits.MAX_LANGUAGES + 1)
    call: Call = lambda lg, _: lg.keyword_set(viewer(), languages=many)  # noqa: E731
    assert refused(ledger, make_contact(ledger), call).code == "too_many_items"


def test_the_operator_is_held_to_the_same_limits(ledger: Ledger) -> None:
    details = ContactDetails(name="Ada\x00")
    call: Call = lambda lg, _: lg.add_contact(system(), details)  # noqa: E731
    assert refused(ledger, make_contact(ledger), call).code == "invalid_text"


@pytest.mark.parametrize("bad", ["SM\x00nul", "SM\x07bell"])
def test_an_inbound_message_id_with_a_control_character_is_refused_on_both_databases(
    numbers: Ledger, bad: str
) -> None:
    principal = inbound_principal(numbers.context, "twilio", NEWS)
    with pytest.raises(InvalidText) as caught:
        numbers.receive_message(principal, "twilio", bad, ADA_MOBILE, NEWS, "STOP")
    assert caught.value.code == "invalid_text"
    assert numbers.list_outbox(system(), pending_only=False) == []
