"""``GET /v1/exports/…``: streamed files with their media type and name; refusals as errors."""

from __future__ import annotations

import csv
import io
import json

import pytest

from consentry.core.csvsafe import FORMULA_STARTS, original
from consentry.core.exports import CONSENT_COLUMNS, LEDGER_COLUMNS
from consentry.ledger import Ledger
from tests.api.conftest import Api, error_code
from tests.factories import WRITTEN, admin, make_contact

CSV = "text/csv; charset=utf-8"
NDJSON = "application/x-ndjson"


@pytest.fixture
def ada(ledger: Ledger) -> str:
    """Ada, named like a formula, opted in to SMS at acme/newsletters and out at acme/events."""
    contact = make_contact(ledger, name="=HYPERLINK(1)")
    ledger.opt_in(admin(), contact.id, "sms", "acme/newsletters", evidence=WRITTEN)
    ledger.opt_out(admin(), contact.id, "sms", "acme/events")
    return contact.id


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(
    ("what", "first"), [("contacts", "id"), ("consents", "contact_id"), ("ledger", "id")]
)
def test_each_export_is_a_csv_attachment_by_default(api: Api, ada: str, what: str, first: str):
    response = api.as_("viewer").get(f"/v1/exports/{what}")
    assert response.status_code == 200
    assert response.headers["content-type"] == CSV
    assert response.headers["content-disposition"] == f'attachment; filename="acme-{what}.csv"'
    header, *body = rows(response.text)
    assert header[0] == first and body and ada in response.text
    assert all(not c.startswith(FORMULA_STARTS) for r in body for c in r)


def test_the_ndjson_files_carry_one_object_a_line(api: Api, ada: str):
    viewer = api.as_("viewer")
    contacts = viewer.get("/v1/exports/contacts", params={"format": "ndjson"})
    assert contacts.headers["content-type"] == NDJSON
    assert contacts.headers["content-disposition"] == 'attachment; filename="acme-contacts.ndjson"'
    (line,) = [json.loads(x) for x in contacts.text.splitlines()]
    assert (
        line["id"] == ada and line["name"] == "=HYPERLINK(1)" and line["sms_status"] == "no_consent"
    )
    events = viewer.get("/v1/exports/ledger", params={"format": "ndjson"}).text.splitlines()
    assert [list(json.loads(x)) for x in events] == [list(LEDGER_COLUMNS)] * 2
    consents = viewer.get("/v1/exports/consents", params={"format": "ndjson"}).text.splitlines()
    assert [json.loads(x)["status"] for x in consents] == ["soft_opt_out", "opted_in"]
    assert list(json.loads(consents[0])) == list(CONSENT_COLUMNS)


def test_a_client_key_gets_its_own_scope_view(api: Api, ada: str):
    client = api.as_("viewer", "acme/newsletters")
    (header, line) = rows(client.get("/v1/exports/contacts").text)
    record = dict(zip(header, map(original, line), strict=True))
    assert record["id"] == ada and record["sms_status"] == "opted_in"
    text = client.get("/v1/exports/ledger", params={"format": "ndjson"}).text
    assert [json.loads(x)["scope_id"] for x in text.splitlines()] == ["acme/newsletters"]


@pytest.mark.usefixtures("ada")
def test_since_picks_the_events_recorded_from_then_on(api: Api, ledger: Ledger):
    later = ledger.clock.now().replace(year=2030).isoformat()
    text = api.as_("staff").get("/v1/exports/ledger", params={"since": later}).text
    assert rows(text) == [list(LEDGER_COLUMNS)]
    earlier = api.as_("staff").get("/v1/exports/ledger", params={"since": "2000-01-01T00:00:00Z"})
    assert len(rows(earlier.text)) == 3


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"format": "xlsx"}, "invalid"),
        ({"since": "2026-01-01T00:00:00"}, "invalid"),  # no time zone
        ({"since": "1969-12-31T00:00:00Z"}, "invalid_time"),
        ({"format": "c\x00sv"}, "invalid_text"),
    ],
)
def test_a_bad_parameter_is_a_422_with_its_code(api: Api, params: dict[str, str], code: str):
    response = api.as_("admin").get("/v1/exports/ledger", params=params)
    assert response.status_code == 422 and error_code(response) == code


@pytest.mark.usefixtures("ada")
def test_a_sender_or_no_key_gets_an_error_not_a_file(api: Api):
    refused = api.as_("sender").get("/v1/exports/contacts")
    assert refused.status_code == 403 and error_code(refused) == "forbidden"
    anonymous = api.client.get("/v1/exports/ledger")
    assert anonymous.status_code == 401 and error_code(anonymous) == "unauthenticated"


def test_an_empty_ndjson_export_is_an_empty_file(api: Api):
    response = api.as_("admin", "globex").get("/v1/exports/contacts", params={"format": "ndjson"})
    assert response.status_code == 200 and response.text == ""
    assert (
        response.headers["content-disposition"] == 'attachment; filename="globex-contacts.ndjson"'
    )
