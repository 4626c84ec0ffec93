"""GET /v1/contacts/{id}/unsubscribe-headers: RFC 2369 / RFC 8058 values for a sender."""

from __future__ import annotations

from urllib.parse import urlsplit

from consentry.core.contacts import ContactDetails
from consentry.ledger import Ledger
from tests.api.conftest import Api, refused
from tests.factories import admin, system

URL = "/v1/contacts/{}/unsubscribe-headers"
NEWS = "acme/newsletters"


def _ada(ledger: Ledger) -> str:
    return ledger.add_contact(system(), ContactDetails(email="ada@example.com")).id


def test_a_sender_gets_both_headers_and_the_link_unsubscribes_with_one_click(
    api: Api, ledger: Ledger
) -> None:
    ada = _ada(ledger)
    response = api.as_("sender", NEWS).get(URL.format(ada), params={"scope": NEWS})
    assert response.status_code == 200, response.text
    headers = response.json()
    assert set(headers) == {"List-Unsubscribe", "List-Unsubscribe-Post"}
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    value = headers["List-Unsubscribe"]
    assert value.startswith("<http") and value.endswith(">") and "mailto" not in value
    token = urlsplit(value[1:-1]).path.rsplit("/", 1)[1]
    assert ledger.history(admin(), ada) == []  # reading the headers writes nothing
    [event] = ledger.one_click_unsubscribe(token, evidence={"ip": "192.0.2.1"})
    assert (event.action.value, event.scope_id, event.channel.value) == (
        "opted_out",
        NEWS,
        "email",
    )


def test_a_mailto_address_is_offered_after_the_link(api: Api, ledger: Ledger) -> None:
    ada = _ada(ledger)
    params = {"scope": NEWS, "mailto": "unsubscribe@example.com"}
    value = api.as_("viewer").get(URL.format(ada), params=params).json()["List-Unsubscribe"]
    assert value.endswith(", <mailto:unsubscribe@example.com?subject=unsubscribe>")


def test_headers_are_refused_with_a_code(api: Api, ledger: Ledger) -> None:
    ada = _ada(ledger)
    sender = api.as_("sender", NEWS)
    refused(sender.get(URL.format(ada), params={"scope": "acme/events"}), 403, "out_of_scope")
    refused(sender.get(URL.format(ada), params={"scope": "acme/nope"}), 404, "scope_not_found")
    refused(sender.get(URL.format("ct_nobody"), params={"scope": NEWS}), 404, "contact_not_found")
    refused(sender.get(URL.format(ada)), 422, "invalid")
    bad = {"scope": NEWS, "mailto": "a@b.example\r\nBcc: x@example.com"}
    refused(sender.get(URL.format(ada), params=bad), 422, "invalid_text")  # decision 050
    refused(api.client.get(URL.format(ada), params={"scope": NEWS}), 401, "unauthenticated")
