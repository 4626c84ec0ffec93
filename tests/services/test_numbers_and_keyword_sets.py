"""Receiving numbers and the keyword sets they listen with: configuring, refusing, the group
wall."""

from __future__ import annotations

import pytest

from consentry.core.eligibility import Reason
from consentry.core.errors import Conflict, Forbidden, Invalid, KeywordRequired, NumberNotFound
from consentry.core.keywords import KeywordKind
from consentry.core.messaging import InboundOutcome as Outcome
from tests.factories import NEWS, admin, make_contact, receive_text, staff


def eligible(ledger, contact_id, channel="sms", scope="acme/newsletters"):
    return ledger.check(admin(), contact_id, channel, scope)


@pytest.mark.parametrize(
    "bad",
    [
        {"channels": ["email"]},
        {"channels": []},
        {"languages": ["xx"]},
        {"unsubscribe_digit": "12"},
        {"unsubscribe_digit": "a"},
        {"keyword_set": " "},
        {"number": ""},
        {"number": "+" + "1" * 70},
    ],
)
def test_a_bad_number_configuration_is_refused(numbers, bad):
    args = {"number": "+447700900902", "scope_id": "acme", "channels": ["sms"], **bad}
    with pytest.raises(Invalid):
        numbers.configure_number(admin(), **args)


@pytest.mark.parametrize(
    ("kind", "word", "language"),
    [("opt_out", "!!!", "*"), ("opt_out", "x" * 101, "*"), ("nope", "go", "*"),
     ("opt_out", "go", "xx")],
)  # fmt: skip
def test_a_bad_keyword_change_is_refused(numbers, kind, word, language):
    with pytest.raises(Invalid):
        numbers.add_keyword(admin(), kind, word, language=language)


def test_an_alphanumeric_sender_id_is_kept_as_given(numbers):
    config = numbers.configure_number(admin(), "ACME", "acme/events", channels=["sms"])
    assert config.number == "ACME"
    assert [n.number for n in numbers.list_numbers(admin())] == [
        "+447700900900",
        "+447700900901",
        "ACME",
    ]
    assert numbers.get_number(admin(), "ACME").scope_id == "acme/events"


def test_only_admins_configure_numbers_and_keywords(numbers):
    with pytest.raises(Forbidden):
        numbers.configure_number(staff(), "+447700900902", "acme", channels=["sms"])
    with pytest.raises(Forbidden):
        numbers.add_keyword(staff(), "opt_out", "enough")


def test_a_number_belongs_to_one_group(numbers):
    with pytest.raises(Conflict):
        numbers.configure_number(admin("globex"), NEWS, "globex/sales", channels=["sms"])
    with pytest.raises(NumberNotFound):
        numbers.get_number(admin("globex"), NEWS)


def test_an_added_keyword_opts_out_and_a_removed_one_no_longer_opts_in(numbers):
    ada = make_contact(numbers)
    numbers.add_keyword(admin(), KeywordKind.OPT_OUT, "Enough", language="en")
    numbers.remove_keyword(admin(), "opt_in", "YES")

    assert receive_text(numbers, "SM1", "enough!").outcome is Outcome.OPTED_OUT
    assert receive_text(numbers, "SM2", "yes").outcome is Outcome.IGNORED
    assert eligible(numbers, ada.id).reason is Reason.HARD_OPT_OUT
    numbers.add_keyword(admin(), "opt_in", "yes")  # added back
    assert receive_text(numbers, "SM3", "yes").outcome is Outcome.OPTED_IN


def test_keyword_changes_stay_in_their_group(numbers):
    numbers.add_keyword(admin(), "opt_out", "enough")
    assert "enough" in numbers.keyword_set(admin(), keyword_set="default").listing(
        KeywordKind.OPT_OUT
    )
    globex = admin("globex")
    assert "enough" not in numbers.keyword_set(globex, keyword_set="default").listing(
        KeywordKind.OPT_OUT
    )


def test_a_legally_required_opt_out_word_cannot_be_removed(numbers):
    with pytest.raises(KeywordRequired):
        numbers.remove_keyword(admin(), "opt_out", "Stop")
    assert receive_text(numbers, "SM1", "STOP").outcome is Outcome.OPTED_OUT


def test_a_number_can_use_its_own_keyword_set_and_languages(numbers):
    numbers.configure_number(
        admin(), NEWS, "acme/newsletters", channels=["sms"], keyword_set="uk", languages=["en"]
    )
    numbers.add_keyword(admin(), "opt_out", "unsub me", keyword_set="uk")
    assert receive_text(numbers, "SM1", "PARAR").outcome is Outcome.IGNORED  # no Spanish here
    assert receive_text(numbers, "SM2", "unsub me").outcome is Outcome.OPTED_OUT


def test_a_word_added_for_another_language_does_not_apply_to_a_number_without_it(numbers):
    numbers.configure_number(
        admin(), NEWS, "acme/newsletters", channels=["sms"], keyword_set="uk", languages=["en"]
    )
    numbers.add_keyword(admin(), "opt_out", "assez", keyword_set="uk", language="fr")
    assert receive_text(numbers, "SM1", "assez").outcome is Outcome.IGNORED
