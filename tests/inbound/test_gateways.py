"""Two gateways reusing message ids on two groups' numbers, through the real webhooks (issue 8).

Dedupe is scoped to the receiving number and the sender (decision 023): a STOP whose id another
group's gateway already used is recorded, answered ``replayed: false`` and names its own group's
contact and events; only a true retry (same number, provider, id and sender) is a replay.
"""

from __future__ import annotations

import pytest

from consentry.core.eligibility import Reason
from tests.factories import T0, admin, make_contact, sender
from tests.inbound.conftest import ADA, NEWS, generic_post, sms, twilio_post

MESSAGES = "/v1/inbound/twilio/messages"
NOW = int(T0.timestamp())
GLOBEX = "+447700900902"  # globex/sales
GINA = "+447700900456"


@pytest.fixture
def globex(numbers):
    """globex's receiving number, configured beside acme's two."""
    numbers.configure_number(admin("globex"), GLOBEX, "globex/sales")
    return numbers


def generic(message_id: str, to: str, from_: str, body: str = "STOP") -> dict[str, object]:
    """A gateway's message in Consentry's JSON shape (every gateway's provider is "generic")."""
    return {"message_id": message_id, "from": from_, "to": to, "body": body}


def hard_out(ledger, contact, scope, group="acme") -> bool:
    return ledger.check(admin(group), contact.id, "sms", scope).reason is Reason.HARD_OPT_OUT


def test_two_gateways_with_overlapping_ids_on_two_groups_numbers_both_record_stop(client, globex):
    ada = make_contact(globex)
    gina = make_contact(globex, "gina@example.com", GINA, group="globex")

    to_acme = generic_post(client, generic("1001", NEWS, ADA), NOW)
    to_globex = generic_post(client, generic("1001", GLOBEX, GINA), NOW)

    assert to_acme.status_code == to_globex.status_code == 200, to_globex.text
    a, g = to_acme.json(), to_globex.json()
    assert (a["outcome"], a["replayed"], a["contact_id"]) == ("opted_out", False, ada.id)
    assert (g["outcome"], g["replayed"], g["contact_id"]) == ("opted_out", False, gina.id)
    assert set(g["event_ids"]).isdisjoint(a["event_ids"])
    assert hard_out(globex, ada, "acme/newsletters")
    assert hard_out(globex, gina, "globex/sales", "globex")
    assert [e.id for e in globex.history(admin("globex"), gina.id)] == g["event_ids"]
    assert len(globex.list_outbox(sender("globex"))) == 1


def test_a_retry_through_the_webhook_gets_its_own_groups_outcome_back(client, globex):
    ada = make_contact(globex)
    gina = make_contact(globex, "gina@example.com", GINA, group="globex")
    first_acme = generic_post(client, generic("7", NEWS, ADA), NOW).json()
    first_globex = generic_post(client, generic("7", GLOBEX, GINA), NOW).json()

    retry_globex = generic_post(client, generic("7", GLOBEX, GINA), NOW).json()
    retry_acme = generic_post(client, generic("7", NEWS, ADA), NOW).json()

    assert retry_globex["replayed"] and retry_acme["replayed"]
    assert (retry_globex["contact_id"], retry_globex["event_ids"]) == (
        gina.id,
        first_globex["event_ids"],
    )
    assert (retry_acme["contact_id"], retry_acme["event_ids"]) == (ada.id, first_acme["event_ids"])
    assert len(globex.history(admin(), ada.id)) == 1
    assert len(globex.history(admin("globex"), gina.id)) == 1


def test_one_twilio_account_reusing_a_sid_on_two_groups_numbers(client, globex):
    ada = make_contact(globex)
    gina = make_contact(globex, "gina@example.com", ADA, group="globex")  # the same person
    for _ in range(2):  # each twice: one event each, one reply each
        assert twilio_post(client, MESSAGES, sms("SM1", "STOP")).status_code == 200
        assert twilio_post(client, MESSAGES, sms("SM1", "STOP", to=GLOBEX)).status_code == 200
    assert hard_out(globex, ada, "acme/newsletters")
    assert hard_out(globex, gina, "globex/sales", "globex")
    assert len(globex.history(admin(), ada.id)) == 1
    assert len(globex.history(admin("globex"), gina.id)) == 1
    assert len(globex.list_outbox(sender("acme"))) == 1
    assert len(globex.list_outbox(sender("globex"))) == 1


def test_the_same_id_from_another_sender_is_a_new_message_not_a_replay(client, numbers):
    ada = make_contact(numbers)
    bob = make_contact(numbers, "bob@example.com", GINA)
    first = generic_post(client, generic("42", NEWS, ADA), NOW).json()
    other = generic_post(client, generic("42", NEWS, GINA), NOW).json()

    assert not other["replayed"] and other["contact_id"] == bob.id
    assert set(other["event_ids"]).isdisjoint(first["event_ids"])
    assert hard_out(numbers, ada, "acme/newsletters") and hard_out(numbers, bob, "acme/newsletters")
    assert len(numbers.list_outbox(sender())) == 2
