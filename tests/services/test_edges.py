"""The edges of the use cases: a ledger built without its optional ports, malformed input that
only a library caller can pass, and the context's memo when it fills up."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consentry.core.channels import Channel
from consentry.core.contacts import ContactDetails
from consentry.core.errors import ConsentryError, Unauthenticated
from consentry.core.events import Source
from consentry.core.links import LinkClaims, LinkPurpose
from consentry.core.status import Status
from consentry.ledger import keys
from consentry.ledger.context import NUMBER_KEYS_KEPT, Memo
from consentry.ledger.preferences import Result
from tests.factories import WRITTEN, admin, as_contact, count_rows, make_contact, sender

CLICK = {"ip": "192.0.2.1", "user_agent": "Mail/1.0"}


def refusal(call) -> ConsentryError:
    with pytest.raises(ConsentryError) as info:
        call()
    return info.value


def link(ledger, contact, purpose=LinkPurpose.PREFERENCES, scope="acme"):
    claims = LinkClaims(
        purpose, contact.id, scope, (Channel.EMAIL,), ledger.clock.now() + timedelta(days=7)
    )
    return ledger.signer.sign(claims)


def test_without_a_link_signer_links_are_refused_and_nothing_is_written(ledger):
    ada = make_contact(ledger)
    token = link(ledger, ada, LinkPurpose.CONFIRM)
    ledger.request_confirmation(
        sender(), ada.id, "email", "acme", evidence=CLICK, source=Source.PREFERENCE_CENTRE
    )
    ledger.context.signer = None
    before = count_rows(ledger)
    relayed = refusal(
        lambda: ledger.confirm(sender(), ada.id, "email", "acme", evidence=CLICK, token=token)
    )
    headers = refusal(lambda: ledger.unsubscribe_headers(sender(), ada.id, "acme"))
    page = refusal(lambda: ledger.open_page(token))
    for refused in (relayed, headers, page):
        assert refused.code == "invalid"
        assert "no link signer" in str(refused)
    assert count_rows(ledger) == before


def test_without_an_outbox_or_a_signer_no_preferences_link_is_sent(ledger):
    make_contact(ledger)
    ledger.context.outbox = None
    assert ledger.send_preferences_link("ada@example.com") == 0
    assert ledger.list_outbox(admin()) == []


def test_without_an_outbox_a_confirmation_request_is_still_recorded(ledger):
    ada = make_contact(ledger)
    ledger.opt_out(as_contact(ada), ada.id, "email", "acme", source=Source.UNSUBSCRIBE_LINK)
    ledger.context.outbox = None
    request = ledger.request_confirmation(
        as_contact(ada), ada.id, "email", "acme", evidence=CLICK, source=Source.PREFERENCE_CENTRE
    )
    ledger.send_confirmation(ada.id, "acme", Channel.EMAIL, "acme")
    assert request.contact_id == ada.id
    now = ledger.clock.now()
    assert ledger.status_at(admin(), ada.id, "email", "acme", at=now).status is Status.HARD_OPT_OUT


def test_a_contact_without_the_address_gets_no_message(ledger):
    ada = make_contact(ledger, email=None)
    ledger.send_confirmation(ada.id, "acme", Channel.EMAIL, "acme")
    assert ledger.list_outbox(admin()) == []


def test_opting_back_in_where_already_opted_in_changes_nothing(ledger):
    ada = make_contact(ledger)
    ledger.opt_in(admin(), ada.id, "email", "acme", evidence=WRITTEN)
    before = count_rows(ledger)
    outcome = ledger.opt_back_in(link(ledger, ada), "acme", channels=["email"], evidence=CLICK)
    assert outcome.result is Result.UNCHANGED
    assert count_rows(ledger) == before


def test_a_link_to_a_scope_that_does_not_exist_shows_only_the_levels_that_do(ledger):
    ada = make_contact(ledger)
    page = ledger.open_page(link(ledger, ada, scope="acme/nowhere"))
    assert [level.scope_id for level in page.levels] == ["acme"]


def test_lists_given_as_one_text_are_refused(ledger):
    before = count_rows(ledger)
    details = ContactDetails(email="bo@example.com", lists="news")
    refused = refusal(lambda: ledger.add_contact(admin(), details))
    assert (refused.code, refused.details.get("field")) == ("invalid", "lists")
    assert count_rows(ledger) == before


@pytest.mark.parametrize("token", ["csk_nosecret", "csk__secret", "csk_key_", "bearer"])
def test_malformed_key_tokens_are_unauthenticated(ledger, token):
    assert keys.split_token(token) is None
    with pytest.raises(Unauthenticated) as caught:
        keys.authenticate(ledger.context, token)
    assert "malformed" in str(caught.value)


def test_the_ledger_exposes_its_channel_policy(ledger):
    assert ledger.policy is ledger.context.policy
    assert Channel.EMAIL in ledger.policy.enabled


def test_the_number_memo_forgets_everything_once_full():
    memo = Memo()
    for n in range(NUMBER_KEYS_KEPT):
        memo.remember_number(f"+44770090{n:04d}", f"k{n}")
    assert len(memo.number_keys) == NUMBER_KEYS_KEPT
    memo.remember_number("+15005550006", "latest")
    assert memo.number_keys == {"+15005550006": "latest"}
