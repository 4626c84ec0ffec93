"""The public 'manage my preferences' request: no enumeration, rate-limited in the database."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import make_contact
from tests.web.conftest import event_count


def ask(client, address, ip_headers=None):
    return client.post("/preferences", data={"address": address}, headers=ip_headers or {})


def test_the_answer_is_the_same_whether_the_address_is_known_or_not(ledger, client, inbox):
    make_contact(ledger, email="ada@example.com")
    known = ask(client, "Ada@Example.com")
    unknown = ask(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    assert "If this address is known to us" in known.text
    inbox.wait_for(1)
    assert len(inbox.messages) == 1 and inbox.messages[0]["To"] == "ada@example.com"


def test_the_emailed_link_opens_the_preferences_of_that_contact(ledger, client, inbox):
    make_contact(ledger, email="ada@example.com")
    ask(client, "ada@example.com")
    inbox.wait_for(1)
    link = inbox.link()
    assert link.startswith("/u/")
    page = client.get(link)
    assert page.status_code == 200
    assert "Your email preferences" in page.text and "Everything from acme" in page.text
    response = client.post(
        link, data={"action": "unsubscribe", "level": "acme", "channels": "email"}
    )
    assert "you are unsubscribed" in response.text


def test_requests_per_address_are_rate_limited(ledger, client, inbox):
    make_contact(ledger, email="ada@example.com")
    answers = [ask(client, "ada@example.com").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = ask(client, "ada@example.com")
    assert "Too many requests" in limited.text and "<html" in limited.text
    inbox.wait_for(3)
    assert len(inbox.messages) == 3


def test_requests_per_client_ip_are_rate_limited(client):
    answers = [ask(client, f"person{n}@example.com").status_code for n in range(21)]
    assert answers[:20] == [200] * 20 and answers[20] == 429


def test_the_limit_lifts_when_the_window_ends(client, clock):
    for _ in range(3):
        ask(client, "someone@example.com")
    assert ask(client, "someone@example.com").status_code == 429
    clock.set(clock.now() + timedelta(hours=1))
    assert ask(client, "someone@example.com").status_code == 200


def test_a_malformed_address_gets_a_helpful_answer(client):
    for address in ["", "not an address", "@@"]:
        response = ask(client, address)
        assert response.status_code == 400
        assert "valid email address or mobile number" in response.text


def test_a_mobile_number_is_accepted_the_same_way(ledger, client):
    make_contact(ledger, email=None, mobile="+447700900123")
    before = event_count(ledger)
    known, unknown = ask(client, "+44 7700 900123"), ask(client, "+447700900999")
    assert known.status_code == unknown.status_code == 200 and known.text == unknown.text
    assert event_count(ledger) == before


def test_the_form_speaks_the_browsers_language(client):
    page = client.get("/preferences", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert '<html lang="fr">' in page.text and "Gérer vos préférences" in page.text
    assert 'for="address"' in page.text
    spanish = client.get("/preferences?lang=es")
    assert "Gestionar sus preferencias" in spanish.text


def test_every_group_that_knows_the_address_sends_its_own_link(ledger, client, inbox):
    make_contact(ledger, email="ada@example.com")
    make_contact(ledger, email="ada@example.com", mobile=None, group="globex")
    ask(client, "ada@example.com")
    inbox.wait_for(2)
    assert {m["To"] for m in inbox.messages} == {"ada@example.com"}
