"""RFC 8058 one-click and the unsubscribe page at each level (seeds/004), through TestClient."""

from __future__ import annotations

import pytest

from consentry.core.eligibility import Reason
from consentry.core.events import Source
from tests.factories import WRITTEN, admin, make_contact, sender
from tests.web.conftest import event_count, path_of

ADA = "acme/newsletters/ada"


def unsubscribe_path(ledger, contact, scope=ADA):
    headers = ledger.unsubscribe_headers(sender("acme"), contact.id, scope)
    return path_of(headers["List-Unsubscribe"].strip("<>"))


def test_one_click_post_unsubscribes_at_once(ledger, client):
    ada = make_contact(ledger)
    ledger.opt_in(admin(), ada.id, "email", ADA, evidence=WRITTEN)
    response = client.post(
        unsubscribe_path(ledger, ada),
        data={"List-Unsubscribe": "One-Click"},
        headers={"User-Agent": "Gmail one-click"},
    )
    assert response.status_code == 200
    decision = ledger.check(sender("acme"), ada.id, "email", ADA)
    assert (decision.allowed, decision.reason) == (False, Reason.HARD_OPT_OUT)
    last = ledger.history(admin(), ada.id)[-1]
    assert last.source is Source.ONE_CLICK
    assert last.evidence_data == {"ip": "testclient", "user_agent": "Gmail one-click"}


def test_a_repeated_one_click_post_records_nothing_new(ledger, client):
    ada = make_contact(ledger)
    path = unsubscribe_path(ledger, ada)
    client.post(path, data={"List-Unsubscribe": "One-Click"})
    count = event_count(ledger)
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert event_count(ledger) == count


def test_get_of_the_unsubscribe_link_only_shows_the_page(ledger, client):
    ada = make_contact(ledger)
    before = event_count(ledger)
    response = client.get(unsubscribe_path(ledger, ada))
    assert response.status_code == 200
    assert "Just this sender" in response.text
    assert response.headers["referrer-policy"] == "no-referrer"
    assert event_count(ledger) == before


@pytest.mark.parametrize(
    ("level", "blocked", "still_allowed"),
    [
        (ADA, [ADA], ["acme/newsletters/alan", "acme/events/bob"]),
        ("acme/newsletters", [ADA, "acme/newsletters/alan"], ["acme/events/bob"]),
        ("acme", [ADA, "acme/newsletters/alan", "acme/events/bob"], []),
    ],
    ids=["user", "client", "group"],
)
def test_the_page_unsubscribes_at_the_chosen_level(ledger, client, level, blocked, still_allowed):
    ada = make_contact(ledger)
    ledger.opt_in(admin(), ada.id, "email", "acme", evidence=WRITTEN)
    response = client.post(
        unsubscribe_path(ledger, ada),
        data={"action": "unsubscribe", "level": level, "channels": ["email"]},
    )
    assert response.status_code == 200
    assert "you are unsubscribed" in response.text
    assert 'value="opt_in"' in response.text  # the opt-back-in button is on the result page
    for scope in blocked:
        assert ledger.check(sender("acme"), ada.id, "email", scope).reason is Reason.HARD_OPT_OUT
    for scope in still_allowed:
        assert ledger.check(sender("acme"), ada.id, "email", scope).allowed
    last = ledger.history(admin(), ada.id)[-1]
    assert (last.scope_id, last.source) == (level, Source.UNSUBSCRIBE_LINK)


@pytest.mark.parametrize(
    "data",
    [
        {"action": "unsubscribe", "level": "globex", "channels": ["email"]},
        {"action": "unsubscribe", "level": "acme/events", "channels": ["email"]},
        {"action": "unsubscribe", "level": ADA, "channels": ["sms"]},
        {"action": "unsubscribe", "level": ADA},
    ],
    ids=["other-group", "level-not-offered", "channel-not-in-link", "no-channel"],
)
def test_choices_the_page_did_not_offer_are_refused(ledger, client, data):
    ada = make_contact(ledger)
    before = event_count(ledger)
    response = client.post(unsubscribe_path(ledger, ada), data=data)
    assert response.status_code == 400
    assert "choose a level" in response.text
    assert event_count(ledger) == before


@pytest.mark.parametrize(
    ("mangle", "status", "code"),
    [(lambda p: p[:-3] + "xyz", 400, "link_invalid"), (lambda p: p + ".x", 400, "link_invalid")],
)
def test_altered_links_show_a_friendly_page(ledger, client, mangle, status, code):
    ada = make_contact(ledger)
    response = client.get(mangle(unsubscribe_path(ledger, ada)))
    assert response.status_code == status
    assert code in response.text and "<html" in response.text
    post = client.post(
        mangle(unsubscribe_path(ledger, ada)), data={"List-Unsubscribe": "One-Click"}
    )
    assert post.status_code == status


def test_expired_links_show_a_friendly_page(ledger, client, clock):
    ada = make_contact(ledger)
    path = unsubscribe_path(ledger, ada)
    clock.set(clock.now().replace(year=clock.now().year + 2))
    response = client.get(path)
    assert response.status_code == 410
    assert "link_expired" in response.text
    assert ledger.check(sender("acme"), ada.id, "email", ADA).reason is not Reason.HARD_OPT_OUT


def test_a_confirmation_link_does_not_open_the_unsubscribe_page(ledger, client):
    ada = make_contact(ledger)
    path = unsubscribe_path(ledger, ada).replace("/u/", "/confirm/")
    assert client.get(path).status_code == 400


@pytest.mark.parametrize(
    ("locale", "accept", "expected"),
    [
        ("fr-CA", None, "Se désabonner"),
        ("es", "fr", "Darse de baja"),
        (None, "es-MX,es;q=0.9", "Darse de baja"),
        ("de", "de-DE", "Unsubscribe"),
    ],
)
def test_the_page_speaks_the_contacts_language(ledger, client, locale, accept, expected):
    ada = make_contact(ledger, locale=locale)
    headers = {"Accept-Language": accept} if accept else {}
    response = client.get(unsubscribe_path(ledger, ada), headers=headers)
    assert expected in response.text
    lang = {"Se désabonner": "fr", "Darse de baja": "es"}.get(expected, "en")
    assert f'<html lang="{lang}">' in response.text


def test_every_status_is_shown_per_level(ledger, client):
    ada = make_contact(ledger)
    ledger.opt_in(admin(), ada.id, "email", "acme/newsletters", evidence=WRITTEN)
    ledger.opt_out(admin(), ada.id, "email", "acme")
    text = client.get(unsubscribe_path(ledger, ada)).text
    assert "<dd>subscribed</dd>" in text and "<dd>unsubscribed</dd>" in text
    assert "Messages on email: unsubscribed" in text
