"""Receiving numbers (PUT/GET /v1/numbers) and keyword sets (/v1/keyword-sets/{name})."""

from __future__ import annotations

from consentry.ledger import Ledger
from tests.api.conftest import Api, refused
from tests.factories import system

NUMBER = "+447700900900"
NEWS, EVENTS = "acme/newsletters", "acme/events"


def test_an_admin_configures_a_number_and_reads_it_back(api: Api) -> None:
    admin = api.as_("admin")
    body = {
        "scope": NEWS,
        "channels": ["sms", "whatsapp", "voice"],
        "keyword_set": "uk",
        "languages": ["en", "fr"],
        "help_text": "Acme News: help@example.com. Reply STOP to unsubscribe.",
        "unsubscribe_digit": "8",
    }
    put = admin.request("PUT", "/v1/numbers/whatsapp:+44 7700 900900", json=body)
    assert put.status_code == 200, put.text
    config = put.json()
    assert config["number"] == NUMBER and config["scope_id"] == NEWS
    assert config["channels"] == ["sms", "whatsapp", "voice"]
    assert (config["keyword_set"], config["languages"]) == ("uk", ["en", "fr"])
    assert config["opt_out_text"] == "" and config["unsubscribe_digit"] == "8"
    assert admin.get(f"/v1/numbers/{NUMBER}").json() == config
    assert api.as_("viewer", NEWS).get("/v1/numbers").json() == {"numbers": [config]}
    moved = admin.request("PUT", f"/v1/numbers/{NUMBER}", json={"scope": EVENTS})
    assert (moved.json()["scope_id"], moved.json()["channels"]) == (EVENTS, ["sms"])


def test_numbers_are_configured_only_within_reach(api: Api, ledger: Ledger) -> None:
    ledger.configure_number(system(), NUMBER, EVENTS, channels=["sms"])
    news_admin = api.as_("admin", NEWS)
    url = f"/v1/numbers/{NUMBER}"
    refused(api.as_("staff").request("PUT", url, json={"scope": NEWS}), 403, "forbidden")
    refused(
        news_admin.request("PUT", "/v1/numbers/ACME", json={"scope": EVENTS}), 403, "out_of_scope"
    )
    # a client admin cannot re-point a sibling client's number to its own scope
    refused(news_admin.request("PUT", url, json={"scope": NEWS}), 403, "out_of_scope")
    refused(news_admin.get(url), 404, "number_not_found")
    assert news_admin.get("/v1/numbers").json() == {"numbers": []}
    taken = api.as_("admin", "globex").request("PUT", url, json={"scope": "globex/sales"})
    refused(taken, 409, "conflict")
    refused(api.as_("admin").get("/v1/numbers/+447700900999"), 404, "number_not_found")


def test_a_bad_number_configuration_is_invalid(api: Api) -> None:
    admin = api.as_("admin")
    url = f"/v1/numbers/{NUMBER}"
    for body, code in (
        ({"scope": NEWS, "channels": ["email"]}, "invalid"),
        ({"scope": NEWS, "channels": ["fax"]}, "invalid"),
        ({"scope": NEWS, "unsubscribe_digit": "x"}, "invalid"),
        ({"scope": NEWS, "languages": ["xx"]}, "invalid"),
        ({"scope": NEWS, "colour": "red"}, "invalid"),
        ({"scope": "acme/nope"}, "scope_not_found"),
    ):
        response = admin.request("PUT", url, json=body)
        refused(response, 404 if code == "scope_not_found" else 422, code)


def test_a_group_admin_adds_and_removes_words(api: Api) -> None:
    admin = api.as_("admin")
    word = {"kind": "opt_out", "word": "  Enough!  ", "language": "en"}
    added = admin.post("/v1/keyword-sets/uk/words", json=word)
    assert added.status_code == 200, added.text
    assert added.json()["name"] == "uk" and added.json()["words"]["opt_out"]["enough"] == "en"
    removed = admin.delete("/v1/keyword-sets/uk/words", params={"kind": "opt_in", "word": "YES"})
    assert "yes" not in removed.json()["words"]["opt_in"]
    shown = api.as_("viewer", NEWS).get("/v1/keyword-sets/uk", params={"language": ["fr"]})
    words = shown.json()["words"]
    assert "enough" in words["opt_out"] and "arret" in words["opt_out"]
    assert "yes" not in words["opt_in"] and "stop" in words["opt_out"]
    assert "enough" not in admin.get("/v1/keyword-sets/default").json()["words"]["opt_out"]


def test_the_fcc_words_cannot_be_removed(api: Api) -> None:
    admin = api.as_("admin")
    for word in ("STOP", "quit", "Opt out"):
        params = {"kind": "opt_out", "word": word}
        refused(
            admin.delete("/v1/keyword-sets/default/words", params=params), 409, "keyword_required"
        )
    assert "stop" in admin.get("/v1/keyword-sets/default").json()["words"]["opt_out"]


def test_keyword_changes_are_refused_with_a_code(api: Api) -> None:
    admin = api.as_("admin")
    url = "/v1/keyword-sets/default/words"
    refused(admin.post(url, json={"kind": "stop", "word": "x"}), 422, "invalid")
    refused(admin.post(url, json={"kind": "opt_in", "word": "x", "language": "xx"}), 422, "invalid")
    refused(admin.post(url, json={"kind": "opt_in", "word": "!!!"}), 422, "invalid")
    word = {"kind": "opt_in", "word": "go"}
    refused(api.as_("admin", NEWS).post(url, json=word), 403, "out_of_scope")
    refused(api.as_("staff").post(url, json=word), 403, "forbidden")
    refused(api.as_("sender").delete(url, params=word), 403, "forbidden")


def test_adding_a_word_takes_an_idempotency_key(api: Api) -> None:
    admin = api.as_("admin")
    headers = {"Idempotency-Key": "add-go"}
    word = {"kind": "opt_in", "word": "go"}
    first = admin.post("/v1/keyword-sets/default/words", json=word, headers=headers)
    again = admin.post("/v1/keyword-sets/default/words", json=word, headers=headers)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = admin.post(
        "/v1/keyword-sets/default/words", json={**word, "word": "ok"}, headers=headers
    )
    refused(other, 409, "idempotency_conflict")
