"""The links to the hosted pages as use cases: unsubscribe headers, and a link's contact acting."""

from __future__ import annotations

import pytest

from consentry.core.errors import Forbidden, OutOfScope
from consentry.core.events import Source
from tests.factories import as_contact, make_contact, sender

ADA = "acme/newsletters/ada"


def test_headers_follow_rfc_2369_and_rfc_8058(ledger):
    ada = make_contact(ledger)
    headers = ledger.unsubscribe_headers(sender("acme"), ada.id, ADA, mailto="unsub@example.com")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = headers["List-Unsubscribe"].split(", ")
    assert https.startswith("<http://127.0.0.1:8000/u/") and https.endswith(">")
    assert mailto == "<mailto:unsub@example.com?subject=unsubscribe>"


def test_a_sender_cannot_get_headers_outside_its_scope(ledger):
    ada = make_contact(ledger)
    with pytest.raises(OutOfScope) as caught:
        ledger.unsubscribe_headers(sender("acme/events"), ada.id, ADA)
    assert caught.value.code == "out_of_scope"


def test_a_contact_link_acts_only_for_that_contact(ledger):
    ada = make_contact(ledger)
    bob = make_contact(ledger, email="bob@example.com", mobile=None)
    with pytest.raises(Forbidden) as caught:
        ledger.opt_out(as_contact(ada), bob.id, "email", ADA, source=Source.UNSUBSCRIBE_LINK)
    assert caught.value.code == "forbidden"
