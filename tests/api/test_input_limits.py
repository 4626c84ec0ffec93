"""The input limits at every HTTP edge (decision 050), on SQLite and PostgreSQL.

Written as the classes of bad input, over every place it can come in, found programmatically:
every text field of every request model (the ``Strict`` subclasses) and every path and query
parameter of the OpenAPI document gets a NUL, other control characters, an unpaired surrogate
and one character too many; every time field an instant outside 1970..9999 UTC; every JSON
document (evidence, attributes) too deep, too big, NaN or infinite; every collection one item too
many. Each is 422 (413 for an uploaded set or a batch) with its stable code, and nothing is
written. The webhooks' and the hosted pages' fields get the same, and the library gives the same
error for the same value.
"""

from __future__ import annotations

import json
import math
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from typing import Any, cast
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from pydantic import AwareDatetime, BaseModel
from sqlalchemy import func, select

from consentry.adapters.store.schema import metadata
from consentry.api.app import create_app
from consentry.api.eligibility import MAX_BATCH
from consentry.api.schemas import Checked, Counted, Strict
from consentry.core import limits
from consentry.core.contacts import ContactDetails
from consentry.core.errors import BatchTooLarge, ConsentryError
from consentry.core.events import MAX_EVIDENCE_BYTES
from consentry.inbound.routes import GENERIC_TEXTS, TWILIO_TEXTS, GenericMessage
from consentry.ledger import Ledger
from consentry.server import compose
from consentry.settings import Settings
from tests.factories import NEWS, T0, WRITTEN, admin, make_contact, sender, staff, system
from tests.inbound.conftest import PUBLIC, SECRET, TOKEN, generic_post, sms, twilio_post

# ── the deployment's app over the ledger, with keys and a contact ──


@dataclass
class Edge:
    """The whole app (API, hosted pages, webhooks) and what a request needs."""

    client: TestClient
    ledger: Ledger
    ada: str
    key_id: str
    auth: dict[str, str]

    def send(self, method: str, url: str, body: Any = None, **kw: Any) -> Any:
        """A request as a group admin; a body is sent as JSON text (NaN and lone surrogates
        included, as a client may send them)."""
        if body is not None:
            kw["content"] = json.dumps(body).encode()
            kw["headers"] = {"Content-Type": "application/json", **kw.get("headers", {})}
        kw["headers"] = {**self.auth, **kw.get("headers", {})}
        return self.client.request(method, url, **kw)


@pytest.fixture
def edge(numbers: Ledger, settings: Settings) -> Iterator[Edge]:
    configured = replace(
        settings, public_url=PUBLIC, twilio_auth_tokens=(TOKEN,), inbound_secrets=(SECRET,)
    )
    ada = make_contact(numbers)
    key, token = numbers.create_api_key(system(), "admin", "acme", name="limits")
    with TestClient(compose(numbers, configured)) as client:
        yield Edge(client, numbers, ada.id, key.id, {"Authorization": f"Bearer {token}"})


def rows(ledger: Ledger) -> dict[str, int]:
    """How many rows every table of the store holds."""
    with ledger.store.engine.connect() as conn:  # type: ignore[attr-defined]
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in metadata.sorted_tables
        }


def refused_with(edge: Edge, code: str, status: int, method: str, url: str, **kw: Any) -> Any:
    """Send; assert the status and code, and that nothing was written."""
    before = rows(edge.ledger)
    response = edge.send(method, url, **kw)
    assert response.status_code == status, (url, kw.get("body"), response.text[:500])
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, (url, response.text[:500])
    assert rows(edge.ledger) == before, f"{method} {url} wrote something"
    return body["error"]


# ── the request models, walked ──

#: Where each request model is sent, and a body it accepts (the bad value replaces one field).
ROUTES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "ScopeIn": ("POST", "/v1/scopes", {"id": "acme/new", "name": "New"}),
    "KeyIn": ("POST", "/v1/keys", {"role": "sender", "scope": "acme", "name": "k"}),
    "ContactIn": (
        "POST",
        "/v1/contacts",
        {
            "email": "bob@example.com",
            "mobile": "+447700900124",
            "lists": ["news"],
            "attributes": {"tier": "gold"},
            "name": "Bob",
            "external_id": "b1",
            "locale": "en",
            "postal_address": "1 High St",
            "push_token": "tok",
        },
    ),
    "OptInIn": (
        "POST",
        "/v1/contacts/{ada}/consent/opt-in",
        {
            "channel": "sms",
            "scope": "acme",
            "evidence": WRITTEN,
            "source": "api",
            "occurred_at": "2026-01-04T10:00:00Z",
        },
    ),
    "ChangeIn": (
        "POST",
        "/v1/contacts/{ada}/consent/opt-out",
        {"channel": "sms", "scope": "acme", "evidence": {"note": "x"}, "source": "api"},
    ),
    "ResubscribeIn": (
        "POST",
        "/v1/contacts/{ada}/consent/resubscribe",
        {
            "channel": "sms",
            "scope": "acme",
            "evidence": WRITTEN,
            "source": "api",
            "reason": "contact_asked",
        },
    ),
    "ConfirmIn": (
        "POST",
        "/v1/contacts/{ada}/consent/confirm",
        {
            "channel": "email",
            "scope": "acme",
            "evidence": {"ip": "192.0.2.1"},
            "source": "confirmation_link",
            "token": "t",
        },
    ),
    "ReportIn": ("POST", "/v1/contacts/{ada}/bounces", {"channel": "email", "evidence": {}}),
    "ClearIn": (
        "POST",
        "/v1/contacts/{ada}/suppressions/clear",
        {"channel": "email", "suppression": "bounced", "evidence": {"ticket": "1"}},
    ),
    "BatchIn": (
        "POST",
        "/v1/eligibility/batch",
        {
            "checks": [
                {"contact": "{ada}", "channel": "email", "scope": "acme", "category": "marketing"}
            ]
        },
    ),
    "AudienceIn": (
        "POST",
        "/v1/campaigns/check",
        {
            "channel": "email",
            "scope": "acme",
            "category": "marketing",
            "segment": {
                "list": "news",
                "attribute": {"name": "tier", "value": "gold"},
                "attributes": [{"name": "plan", "value": "pro"}],
                "contact_ids": ["{ada}"],
                "emails": ["ada@example.com"],
                "mobiles": ["+447700900123"],
            },
        },
    ),
    "WordIn": (
        "POST",
        "/v1/keyword-sets/default/words",
        {"kind": "opt_out", "word": "ENOUGH", "language": "en"},
    ),
    "NumberIn": (
        "PUT",
        "/v1/numbers/+447700900902",
        {
            "scope": "acme",
            "channels": ["sms"],
            "keyword_set": "default",
            "languages": ["en"],
            "free_text": True,
            "help_text": "Help",
            "opt_out_text": "Bye",
            "opt_in_text": "Hi",
            "unsubscribe_digit": "9",
        },
    ),
    "MappingIn": ("PUT", "/v1/import-mappings/crm", {"mapping": {"Email": "email"}}),
    "RuleIn": ("PUT", "/v1/policies/transactional/email", {"bypass": True}),
    "ErasureIn": ("POST", "/v1/contacts/{ada}/erase", {"reference": "DSAR-1"}),
    "WebhookIn": (
        "POST",
        "/v1/webhooks",
        {"scope": "acme", "url": "https://crm.example.com/h", "event_types": ["consent.opted_out"]},
    ),
    "WebhookPatch": (
        "PATCH",
        "/v1/webhooks/wh_none",
        {"url": "https://crm.example.com/h", "event_types": ["consent.opted_in"], "enabled": True},
    ),
    "ReplayIn": ("POST", "/v1/webhooks/wh_none/replay", {"since": "2026-01-05T08:00:00Z"}),
    "LifecycleRuleIn": (
        "POST",
        "/v1/rules",
        {
            "scope": "acme",
            "trigger": "attribute_changed",
            "name": "tier",
            "value": "gold",
            "channel": "email",
            "status": "opted_in",
            "permission": WRITTEN,
        },
    ),
    "LifecycleRulePatch": (
        "PATCH",
        "/v1/rules/lr_none",
        {
            "trigger": "attribute_changed",
            "name": "tier",
            "value": "gold",
            "channel": "email",
            "status": "opted_in",
            "permission": WRITTEN,
        },
    ),
    "JourneyMessageIn": (
        "POST",
        "/v1/journey-messages",
        {
            "contact_id": "{ada}",
            "channel": "email",
            "scope": "acme",
            "journey": "birthday",
            "message_id": "m-1",
            "category": "marketing",
            "triggered_at": "2026-01-05T08:00:00Z",
        },
    ),
    "SendsIn": (
        "POST",
        "/v1/sends",
        {
            "sends": [
                {
                    "contact": "{ada}",
                    "channel": "email",
                    "scope": "acme",
                    "category": "marketing",
                    "message_id": "m-1",
                    "sent_at": "2026-01-05T08:00:00Z",
                }
            ]
        },
    ),
    "ScheduledJourneyIn": (
        "POST",
        "/v1/journeys",
        {
            "scope": "acme",
            "name": "Birthday",
            "channel": "email",
            "attribute": "birthday",
            "category": "marketing",
        },
    ),
}
#: Models only ever sent inside another one: where they sit.
NESTED = {
    "CheckIn": "BatchIn",
    "SegmentIn": "AudienceIn",
    "AttributeIn": "AudienceIn",
    "SendIn": "SendsIn",
}


def request_models() -> dict[str, type[Strict]]:
    """Every request model: ``Strict`` and everything below it."""
    found: dict[str, type[Strict]] = {}
    todo = list(Strict.__subclasses__())
    while todo:
        model = todo.pop()
        found[model.__name__] = model
        todo.extend(model.__subclasses__())
    return found


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The type under ``Annotated`` and ``| None``, with the metadata found on the way."""
    found: list[Any] = []
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            found.extend(annotation.__metadata__)
            annotation = typing.get_args(annotation)[0]
        elif (
            isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union
        ):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = options[0]
        else:
            return annotation, found


def _is_text(kind: Any) -> bool:
    return (
        kind is str
        or typing.get_origin(kind) is typing.Literal
        or (isinstance(kind, type) and issubclass(kind, Enum))
    )


@dataclass(frozen=True)
class Slot:
    """One field of a request body: where it is in the JSON, its kind and its limits."""

    model: str  #: the top-level model sent
    path: tuple[str | int, ...]  #: keys (and 0 for a list's item) from the body's root
    kind: str  #: text, time, document, list or model
    checked: Checked | None = None
    counted: Counted | None = None

    def __str__(self) -> str:
        return f"{self.model}." + ".".join(str(p) for p in self.path)


def slots(model: type[BaseModel], top: str, path: tuple[str | int, ...] = ()) -> Iterator[Slot]:
    """Every field of ``model`` (and of the models inside it), by where it is in the body."""
    for name, info in model.model_fields.items():
        here = (*path, info.alias or name)
        kind, meta = _unwrap(info.annotation)
        meta = [*info.metadata, *meta]
        checked = next((m for m in meta if isinstance(m, Checked)), None)
        counted = next((m for m in meta if isinstance(m, Counted)), None)
        if typing.get_origin(kind) is list:
            item, item_meta = _unwrap(typing.get_args(kind)[0])
            if isinstance(item, type) and issubclass(item, BaseModel):
                yield Slot(top, here, "list", counted=counted)
                yield from slots(item, top, (*here, 0))
                continue
            yield Slot(top, here, "list", counted=counted)
            if _is_text(item):
                inner = next((m for m in item_meta if isinstance(m, Checked)), None)
                yield Slot(top, (*here, 0), "text", checked=inner)
        elif isinstance(kind, type) and issubclass(kind, BaseModel):
            yield from slots(kind, top, here)
        elif _is_text(kind):
            yield Slot(top, here, "text", checked=checked)
        elif kind in (datetime, AwareDatetime):
            yield Slot(top, here, "time")
        elif typing.get_origin(kind) is dict:
            yield Slot(top, here, "document")
        else:
            assert kind in (bool, int), f"{top}.{here}: a field kind the limits do not cover"


ALL_SLOTS = [s for name in ROUTES for s in slots(request_models()[name], name)]


def body_with(edge: Edge, slot: Slot, value: Any) -> tuple[str, str, Any]:
    """The model's route and accepted body, with ``value`` at the slot."""
    method, url, base = ROUTES[slot.model]
    body = json.loads(json.dumps(base).replace("{ada}", edge.ada))
    target = body
    for step in slot.path[:-1]:
        target = target[step]
    target[slot.path[-1]] = value
    return method, url.replace("{ada}", edge.ada), body


def test_every_request_model_is_walked_and_every_base_body_is_accepted() -> None:
    models = request_models()
    assert set(models) == set(ROUTES) | set(NESTED), "give a new request model a route in ROUTES"
    for name, (_, _, base) in ROUTES.items():
        models[name].model_validate(base)  # the bad value is then the only thing wrong
    document = create_app(cast(Ledger, None)).openapi()
    bodies = {
        _model_of(op["requestBody"]["content"]["application/json"]["schema"])
        for ops in document["paths"].values()
        for op in ops.values()
        if "application/json" in op.get("requestBody", {}).get("content", {})
    }  # an import's upload is multipart/form-data, bounded by api/import_runner.py
    assert bodies == set(ROUTES)


def _model_of(schema: dict[str, Any]) -> str:
    """The body's model: its ``$ref``, or the one ``$ref`` of an optional body's ``anyOf``."""
    refs = [schema] if "$ref" in schema else [o for o in schema["anyOf"] if "$ref" in o]
    [ref] = refs
    return str(ref["$ref"].rsplit("/", 1)[1])


TEXT_SLOTS = [s for s in ALL_SLOTS if s.kind == "text"]


def test_every_text_field_carries_a_limit() -> None:
    assert len(TEXT_SLOTS) >= 50
    missing = [str(s) for s in TEXT_SLOTS if s.checked is None]
    assert not missing, f"annotate these with Checked(limits.…): {missing}"


def bad_texts(checked: Checked) -> list[tuple[str, str, str]]:
    """(what, value, code) for a text field with this limit."""
    values = [
        ("nul", "a\x00b", "invalid_text"),
        ("escape", "a\x1bb", "invalid_text"),
        ("c1", "a\x9bb", "invalid_text"),
        ("surrogate", "a\ud800", "invalid_text"),
        ("too-long", "x" * (checked.max_length + 1), "text_too_long"),
    ]
    if not checked.multiline:
        values.append(("line-break", "a\nb", "invalid_text"))
    return values


@pytest.mark.parametrize("slot", TEXT_SLOTS, ids=str)
def test_every_text_field_refuses_control_characters_and_one_character_too_many(
    edge: Edge, slot: Slot
) -> None:
    assert slot.checked is not None
    for what, value, code in bad_texts(slot.checked):
        method, url, body = body_with(edge, slot, value)
        error = refused_with(edge, code, 422, method, url, body=body)
        assert error["details"]["field"], what


TIME_SLOTS = [s for s in ALL_SLOTS if s.kind == "time"]
OUT_OF_RANGE = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1969-12-31T23:59:59Z"]


@pytest.mark.parametrize("slot", TIME_SLOTS, ids=str)
def test_every_time_field_refuses_an_instant_the_ledger_cannot_keep(edge: Edge, slot: Slot) -> None:
    for value in OUT_OF_RANGE:
        method, url, body = body_with(edge, slot, value)
        error = refused_with(edge, "invalid_time", 422, method, url, body=body)
        assert error["details"]["field"] == slot.path[-1]
    _reads_still_work(edge)


def _reads_still_work(edge: Edge) -> None:
    events = edge.send("GET", f"/v1/contacts/{edge.ada}/events")
    assert events.status_code == 200, events.text
    params = {"channel": "sms", "scope": "acme"}
    status = edge.send("GET", f"/v1/contacts/{edge.ada}/status", params=params)
    assert status.status_code == 200, status.text


def deep(depth: int) -> dict[str, Any]:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"a": value}
    result: dict[str, Any] = value
    return result


BAD_DOCUMENTS = [
    ("256-deep", deep(256), "too_deep"),
    ("one-too-deep", deep(limits.MAX_DEPTH + 1), "too_deep"),
    ("nan", {"x": math.nan}, "not_finite"),
    ("infinity", {"x": math.inf}, "not_finite"),
    ("minus-infinity", {"x": [-math.inf]}, "not_finite"),
    ("huge-int", {"x": 2**80}, "out_of_range"),
    ("nul", {"x": "a\x00"}, "invalid_text"),
    ("surrogate", {"x": "\udfff"}, "invalid_text"),
    ("key", {"a\nb": 1}, "invalid_text"),
    ("members", {"x": list(range(limits.MAX_MEMBERS + 1))}, "too_many_members"),
    ("too-large", {"x": "y" * (MAX_EVIDENCE_BYTES + 1)}, "too_large"),
]
DOCUMENT_CODES = {
    "evidence": "invalid_evidence",
    "attributes": "invalid_attributes",
    "mapping": "invalid_mapping",
    "permission": "invalid_evidence",  # a lifecycle rule's record of permission (077)
}
DOCUMENT_SLOTS = [s for s in ALL_SLOTS if s.kind == "document"]


@pytest.mark.parametrize("slot", DOCUMENT_SLOTS, ids=str)
def test_every_json_document_is_bounded_and_finite(edge: Edge, slot: Slot) -> None:
    code = DOCUMENT_CODES[str(slot.path[-1])]
    for what, document, reason in BAD_DOCUMENTS:
        method, url, body = body_with(edge, slot, document)
        error = refused_with(edge, code, 422, method, url, body=body)
        assert error["details"]["reason"] == reason, what
    _reads_still_work(edge)


LIST_SLOTS = [s for s in ALL_SLOTS if s.kind == "list"]


#: Collections their route bounds itself (the batch check counts after parsing, as before).
BOUNDED_BY_THE_ROUTE = {"BatchIn.checks": Counted(MAX_BATCH, error=BatchTooLarge)}


@pytest.mark.parametrize("slot", LIST_SLOTS, ids=str)
def test_every_collection_is_bounded(edge: Edge, slot: Slot) -> None:
    if slot.counted is None and str(slot) in BOUNDED_BY_THE_ROUTE:
        slot = replace(slot, counted=BOUNDED_BY_THE_ROUTE[str(slot)])
    assert slot.counted is not None, f"give {slot} a Counted(limits.…)"
    accepted: Any = ROUTES[slot.model][2]
    for step in slot.path:
        accepted = accepted[step]
    item = json.loads(json.dumps(accepted[0]).replace("{ada}", edge.ada))
    method, url, body = body_with(edge, slot, [item] * (slot.counted.max_items + 1))
    big = slot.counted.error is BatchTooLarge
    code, status = ("batch_too_large", 413) if big else ("too_many_items", 422)
    error = refused_with(edge, code, status, method, url, body=body)
    assert error["details"]["limit"] == slot.counted.max_items


def test_a_hundred_thousand_lists_are_refused_at_once(edge: Edge) -> None:
    body = {"lists": [f"list-{n}" for n in range(100_000)]}
    error = refused_with(
        edge, "too_many_items", 422, "PATCH", f"/v1/contacts/{edge.ada}", body=body
    )
    assert error["details"] == {"field": "lists", "limit": limits.MAX_LISTS, "given": 100_000}


# ── path and query parameters, from the OpenAPI document ──

#: A value each parameter accepts (by name), so the bad one is the only thing wrong.
GOOD = {
    "contact_id": "{ada}", "contact": "{ada}", "key_id": "{key}", "scope_id": "acme",
    "name": "default", "number": NEWS, "outbox_id": "ob_0", "scope": "acme", "channel": "email",
    "category": "marketing", "opted_out": "email", "kind": "opt_out", "word": "ENOUGH",
    "language": "en", "email": "ada@example.com", "mobile": "+447700900123", "external_id": "a",
    "list": "news", "after": "ct_0", "mailto": "unsubscribe@example.com", "job_id": "ij_0",
    "sha256": "ab" * 32, "webhook_id": "wh_none", "rule_id": "lr_none",
    "journey_message_id": "jm_none", "journey_id": "sj_none", "journey": "birthday",
}  # fmt: skip

#: Enum parameters: any other text is ``invalid`` (FastAPI's own answer, which names the
#: parameter in its message only).
ENUMS = {"status"}


#: A ``{scope_id:path}`` with a line break matches no route: 404 ``not_found``, nothing written.
UNROUTED = {("scope_id", "a\nb")}


def _text_parameters() -> list[Any]:
    document = create_app(cast(Ledger, None)).openapi()
    schemas = document["components"]["schemas"]
    found = []
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            body_ref = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            model = body_ref.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1] or None
            for param in op.get("parameters", []):
                if param["in"] not in ("path", "query"):
                    continue
                options = param["schema"].get("anyOf", [param["schema"]])
                schema = next(o for o in options if o.get("type") != "null")
                if schema.get("type") == "array":
                    schema, many = schema["items"], True
                else:
                    many = False
                if "$ref" in schema:
                    is_enum = "enum" in schemas[schema["$ref"].rsplit("/", 1)[1]]
                    assert is_enum, param
                    longest = None
                elif schema.get("type") == "string" and schema.get("format") != "date-time":
                    longest = schema.get("maxLength")
                    assert longest, f"{method} {path} {param['name']} has no maxLength"
                else:
                    continue
                name = param["name"]
                found.append(
                    pytest.param(
                        method.upper(),
                        path,
                        param["in"],
                        name,
                        longest,
                        many,
                        model,
                        [p["name"] for p in op["parameters"] if p.get("required")],
                        id=f"{method.upper()} {path} {name}",
                    )
                )
    return found


TEXT_PARAMETERS = _text_parameters()


def test_every_text_parameter_is_found() -> None:
    assert len(TEXT_PARAMETERS) >= 30


@pytest.mark.parametrize(
    ("method", "path", "where", "name", "longest", "many", "model", "required"), TEXT_PARAMETERS
)
def test_every_path_and_query_parameter_refuses_bad_text(
    edge: Edge,
    method: str,
    path: str,
    where: str,
    name: str,
    longest: int | None,
    many: bool,
    model: str | None,
    required: list[str],
) -> None:
    def good(param: str) -> str:
        return GOOD[param].replace("{ada}", edge.ada).replace("{key}", edge.key_id)

    body = None
    if model is not None:
        body = json.loads(json.dumps(ROUTES[model][2]).replace("{ada}", edge.ada))
    probes = [
        ("a\x00b", "invalid_text"),
        ("a\x1bb", "invalid_text"),
        ("a\nb", "invalid_text"),
        ("x" * ((longest or 5000) + 1), "text_too_long"),
    ]
    for value, code in probes:
        url = path
        for param in (p for p in GOOD if "{" + p + "}" in path):
            chosen = value if (where, param) == ("path", name) else good(param)
            url = url.replace("{" + param + "}", quote(chosen, safe=""))
        params: dict[str, Any] = {p: good(p) for p in required if "{" + p + "}" not in path}
        if where == "query":
            params[name] = [value] if many else value
        if (name, value) in UNROUTED:  # the router's ``:path`` pattern stops at a line break
            refused_with(edge, "not_found", 404, method, url, body=body, params=params)
            continue
        expected = "invalid" if name in ENUMS else code
        error = refused_with(edge, expected, 422, method, url, body=body, params=params)
        if name in ENUMS:
            assert name in error["message"]
        else:
            assert error["details"]["field"] == name


def test_the_time_parameter_refuses_an_instant_the_ledger_cannot_keep(edge: Edge) -> None:
    for value in OUT_OF_RANGE:
        params = {"channel": "sms", "scope": "acme", "at": value}
        url = f"/v1/contacts/{edge.ada}/status"
        error = refused_with(edge, "invalid_time", 422, "GET", url, params=params)
        assert error["details"]["field"] == "at"


def test_too_many_languages_in_a_query_are_refused(edge: Edge) -> None:
    params = {"language": ["en"] * (limits.MAX_LANGUAGES + 1)}
    refused_with(edge, "too_many_items", 422, "GET", "/v1/keyword-sets/default", params=params)


# ── the cases, end to end: refused, and the contact stays readable ──


def test_evidence_256_levels_deep_is_refused_and_the_history_stays_readable(edge: Edge) -> None:
    url = f"/v1/contacts/{edge.ada}/consent/opt-in"
    body = {"channel": "sms", "scope": "acme", "evidence": {**WRITTEN, "deep": deep(256)}}
    refused_with(edge, "invalid_evidence", 422, "POST", url, body=body)
    _reads_still_work(edge)


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_an_occurred_at_beyond_the_range_is_refused_and_reads_keep_working(
    edge: Edge, value: str
) -> None:
    url = f"/v1/contacts/{edge.ada}/consent/opt-in"
    body = {"channel": "sms", "scope": "acme", "evidence": WRITTEN, "occurred_at": value}
    refused_with(edge, "invalid_time", 422, "POST", url, body=body)
    _reads_still_work(edge)


# ── the webhooks and the hosted pages ──
NOW = int(T0.timestamp())


def generic(**more: Any) -> dict[str, Any]:
    return {"provider": "acme-sms", "message_id": "G1", "from": "+447700900123", "to": NEWS,
            "body": "STOP", **more}  # fmt: skip


@pytest.mark.parametrize("name", list(GENERIC_TEXTS))
def test_every_text_of_a_generic_inbound_message_is_checked(edge: Edge, name: str) -> None:
    longest, multiline = GENERIC_TEXTS[name]
    fields = GenericMessage.model_fields
    assert name in {f.alias or n for n, f in fields.items()}
    probes = [
        ("a\x00", "invalid_text"),
        ("a\x1b", "invalid_text"),
        ("x" * (longest + 1), "text_too_long"),
    ]
    if not multiline:
        probes.append(("a\nb", "invalid_text"))
    for value, code in probes:
        before = rows(edge.ledger)
        response = generic_post(edge.client, generic(**{name: value}), NOW)
        assert (response.status_code, response.json()["error"]["code"]) == (422, code), name
        assert rows(edge.ledger) == before


def test_every_text_field_of_the_generic_message_has_a_limit() -> None:
    texts = {
        f.alias or n
        for n, f in GenericMessage.model_fields.items()
        if _is_text(_unwrap(f.annotation)[0])
    }
    assert texts == set(GENERIC_TEXTS)


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_a_generic_message_received_outside_the_range_is_refused(edge: Edge, value: str) -> None:
    before = rows(edge.ledger)
    response = generic_post(edge.client, generic(received_at=value), NOW)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_time")
    assert rows(edge.ledger) == before


@pytest.mark.parametrize("name", list(TWILIO_TEXTS))
def test_every_twilio_field_read_is_checked_after_the_signature(edge: Edge, name: str) -> None:
    longest, multiline = TWILIO_TEXTS[name]
    probes = [("a\x00", "invalid_text"), ("x" * (longest + 1), "text_too_long")]
    if not multiline:
        probes.append(("a\rb", "invalid_text"))
    path = (
        "/v1/inbound/twilio/voice"
        if name in ("CallSid", "Digits", "Direction")
        else ("/v1/inbound/twilio/messages")
    )
    for value, code in probes:
        before = rows(edge.ledger)
        form = {**sms("SM1", "STOP"), "CallSid": "CA1", "Digits": "9", name: value}
        response = twilio_post(edge.client, path, form)
        assert (response.status_code, response.json()["error"]["code"]) == (422, code), name
        assert rows(edge.ledger) == before


def _unsubscribe_path(edge: Edge) -> str:
    link = edge.ledger.unsubscribe_headers(sender(), edge.ada, "acme")["List-Unsubscribe"]
    return "/" + link.strip("<>").split(",")[0].strip("<>").split("/", 3)[3]


@pytest.mark.parametrize(
    "form",
    [
        {"level": "acme\x00", "channels": ["email"]},
        {"level": "acme", "channels": ["email\x1b"]},
        {"level": "acme", "channels": ["email"], "action": "opt_in\x00"},
        {"level": "acme", "channels": ["email"] * (limits.MAX_CHANNELS + 1)},
        {"level": "a" * (limits.SCOPE_ID + 1), "channels": ["email"]},
        {"List-Unsubscribe": "One-Click\x00"},
    ],
    ids=["level", "channel", "action", "too-many-channels", "too-long", "one-click"],
)
def test_the_preferences_form_is_checked(edge: Edge, form: dict[str, Any]) -> None:
    before = rows(edge.ledger)
    response = edge.client.post(_unsubscribe_path(edge), data=form)
    assert response.status_code == 422, response.text[:300]
    assert "<code>" in response.text and (
        "<code>invalid_text</code>" in response.text
        or "<code>text_too_long</code>" in response.text
        or "<code>too_many_items</code>" in response.text
    )
    assert rows(edge.ledger) == before


@pytest.mark.parametrize("form", [{"address": "ada@example.com\x00"}, {"lang": "en\x00"}])
def test_the_public_link_request_form_is_checked(edge: Edge, form: dict[str, str]) -> None:
    before = rows(edge.ledger)
    response = edge.client.post("/preferences", data={"address": "ada@example.com", **form})
    assert response.status_code == 422 and "<code>invalid_text</code>" in response.text
    assert rows(edge.ledger) == before


# ── the same answer from the library ──
SAME = [
    pytest.param(
        "POST", "/v1/contacts", {"name": "Ada\x00"},
        lambda lg, _: lg.add_contact(staff(), ContactDetails(name="Ada\x00")), id="name",
    ),
    pytest.param(
        "POST", "/v1/contacts", {"lists": ["l"] * 101},
        lambda lg, _: lg.add_contact(staff(), ContactDetails(lists=["l"] * 101)), id="lists",
    ),
    pytest.param(
        "PATCH", "/v1/contacts/{ada}", {"attributes": {"x": math.nan}},
        lambda lg, ada: lg.update_contact(
            admin(), ada, ContactDetails(attributes={"x": math.nan})
        ),
        id="attributes",
    ),
    pytest.param(
        "POST", "/v1/contacts/{ada}/consent/opt-in",
        {"channel": "sms", "scope": "acme", "evidence": {**WRITTEN, "d": deep(20)}},
        lambda lg, ada: lg.opt_in(staff(), ada, "sms", "acme", evidence={**WRITTEN, "d": deep(20)}),
        id="evidence",
    ),
    pytest.param(
        "POST", "/v1/contacts/{ada}/consent/opt-in",
        {"channel": "sms", "scope": "acme", "evidence": WRITTEN,
         "occurred_at": "9999-12-31T23:59:59-12:00"},
        lambda lg, ada: lg.opt_in(
            staff(), ada, "sms", "acme", evidence=WRITTEN,
            occurred_at=datetime.fromisoformat("9999-12-31T23:59:59-12:00"),
        ),
        id="occurred_at",
    ),
    pytest.param(
        "GET", "/v1/contacts/ct_%00", None,
        lambda lg, _: lg.get_contact(staff(), "ct_\x00"), id="contact_id",
    ),
    pytest.param(
        "PUT", "/v1/numbers/+447700900902", {"scope": "acme", "help_text": "x" * 1601},
        lambda lg, _: lg.configure_number(
            system(), "+447700900902", "acme", help_text="x" * 1601
        ),
        id="help_text",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("method", "url", "body", "call"), SAME)
def test_the_library_gives_the_same_error_as_the_api(
    edge: Edge, method: str, url: str, body: Any, call: Any
) -> None:
    response = edge.send(method, url.replace("{ada}", edge.ada), body=body)
    with pytest.raises(ConsentryError) as info:
        call(edge.ledger, edge.ada)
    library = info.value
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == library.code
    assert response.json()["error"]["details"] == json.loads(json.dumps(library.details))
