"""Receiving numbers and keyword sets kept in memory, and seen changed at once (decision 084).

Each process keeps the numbers and keyword sets it read, with the version of the inbound
configuration they were read at; a message's transaction reads the version first, and any change
through the store (in this process or another) writes a new one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from consentry.bootstrap import build
from consentry.core.eligibility import Reason
from consentry.core.messaging import InboundOutcome as Outcome
from consentry.ledger import Ledger
from consentry.ledger.numbers import NUMBERS_KEPT, inbound_principal
from tests.factories import NEWS, admin, make_contact, receive_text


@pytest.fixture
def other(numbers: Ledger, settings, clock) -> Iterator[Ledger]:  # noqa: ARG001 (numbers first)
    """A second process's ledger on the same database (a memo of its own), made after
    ``numbers`` configured the receiving numbers."""
    built = build(settings, clock, migrate=False)
    yield built
    built.close()


def test_a_reply_text_changed_by_another_process_answers_the_next_message(numbers, other):
    assert receive_text(numbers, "SM1", "HELP").outcome is Outcome.HELP
    assert numbers.context.memo.inbound.numbers  # the number is kept now
    other.configure_number(
        admin(), NEWS, "acme/newsletters", channels=["sms"], help_text="Call 0800 1"
    )
    assert receive_text(numbers, "SM2", "HELP").reply == "Call 0800 1"


def test_a_keyword_added_by_another_process_matches_the_next_message(numbers, other):
    assert receive_text(numbers, "SM1", "ENOUGH").outcome is Outcome.IGNORED
    other.add_keyword(admin(), "opt_out", "enough")
    assert receive_text(numbers, "SM2", "ENOUGH").outcome is Outcome.OPTED_OUT


def test_a_number_pointed_elsewhere_by_another_process_opts_out_there(numbers, other):
    ada = make_contact(numbers)
    receive_text(numbers, "SM1", "HELP")
    other.configure_number(admin(), NEWS, "acme/events", channels=["sms"])
    receive_text(numbers, "SM2", "STOP")
    assert numbers.check(admin(), ada.id, "sms", "acme/events").reason is Reason.HARD_OPT_OUT
    history = numbers.history(admin(), ada.id, channel="sms")
    assert [e.scope_id for e in history] == ["acme/events"]


def test_the_same_configuration_is_used_from_memory(numbers):
    first = receive_text(numbers, "SM1", "HELP")
    kept = dict(numbers.context.memo.inbound.numbers)
    again = receive_text(numbers, "SM2", "HELP")
    assert again.reply == first.reply and numbers.context.memo.inbound.numbers == kept
    assert len(numbers.context.memo.inbound.keyword_sets) == 1


def test_a_flood_of_numbers_forgets_the_memo_rather_than_grow_it(numbers):
    memo = numbers.context.memo.inbound
    receive_text(numbers, "SM1", "HELP")
    kept = next(iter(memo.numbers.values()))
    memo.numbers.update({f"+1555{n:07d}": kept for n in range(NUMBERS_KEPT)})
    memo.groups.update({f"+1555{n:07d}": "acme" for n in range(NUMBERS_KEPT)})
    memo.numbers.pop(NEWS)
    memo.groups.pop(NEWS)
    assert receive_text(numbers, "SM2", "HELP").outcome is Outcome.HELP
    assert list(memo.numbers) == [NEWS] and list(memo.groups) == [NEWS]


def test_the_webhook_principal_of_a_number_is_remembered(numbers):
    first = inbound_principal(numbers.context, "twilio", NEWS)
    assert numbers.context.memo.inbound.groups == {NEWS: "acme"}
    assert inbound_principal(numbers.context, "twilio", NEWS) == first


def test_a_stop_to_a_known_number_is_one_unit_of_work(numbers):
    """The number's group and configuration come from memory: one connection, one commit."""
    from sqlalchemy import event

    make_contact(numbers)
    receive_text(numbers, "SM1", "HELP")  # the number is known to this process now
    engine = numbers.store.engine
    seen: list[str] = []

    def checkout(*_):
        seen.append("checkout")

    def commit(*_):
        seen.append("commit")

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "commit", commit)
    try:
        assert receive_text(numbers, "SM2", "STOP").outcome is Outcome.OPTED_OUT
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "commit", commit)
    assert seen == ["checkout", "commit"]
