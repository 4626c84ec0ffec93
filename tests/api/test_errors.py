"""One error body everywhere: unknown routes, wrong methods, malformed input, big bodies."""

from __future__ import annotations

import json

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.testclient import TestClient

from consentry.api.errors import ERROR_PAGE, error_response, install, status_of
from consentry.core import errors as e
from tests.api.conftest import Api, Caller, refused


def test_an_unknown_route_is_not_found_with_the_error_body(api: Api) -> None:
    refused(api.client.get("/v1/nothing-here"), 404, "not_found")


def test_a_wrong_method_is_method_not_allowed(admin: Caller) -> None:
    refused(admin.request("PUT", "/v1/contacts"), 405, "method_not_allowed")


def test_a_malformed_body_is_invalid_with_details(admin: Caller) -> None:
    response = admin.post("/v1/contacts", json={"emial": "ada@example.com"})
    refused(response, 422, "invalid")
    assert response.json()["error"]["details"]["errors"][0]["loc"] == ["body", "emial"]
    refused(
        admin.post(
            "/v1/contacts", content=b"{not json", headers={"Content-Type": "application/json"}
        ),
        422,
        "invalid",
    )


def test_a_bad_address_is_refused_with_its_own_code(admin: Caller) -> None:
    refused(admin.post("/v1/contacts", json={"email": "not an address"}), 422, "invalid_email")
    refused(admin.post("/v1/contacts", json={"mobile": "12"}), 422, "invalid_mobile")


def test_the_same_address_twice_is_a_conflict(admin: Caller) -> None:
    assert admin.post("/v1/contacts", json={"email": "ada@example.com"}).status_code == 201
    refused(admin.post("/v1/contacts", json={"email": "ADA@example.com"}), 409, "contact_exists")


def test_an_oversized_body_is_payload_too_large(admin: Caller) -> None:
    big = b'{"email": "' + b"a" * (33 * 1024 * 1024) + b'"}'
    response = admin.post("/v1/contacts", content=big, headers={"Content-Type": "application/json"})
    refused(response, 413, "payload_too_large")


#: The status of every error class in ``consentry.core.errors``, written out by hand: a new
#: class fails ``test_the_table_names_every_error_class`` until it is given a status here.
EXPECTED: dict[type[e.ConsentryError], int] = {
    e.ConsentryError: 500,
    e.NotFound: 404,
    e.ContactNotFound: 404,
    e.ScopeNotFound: 404,
    e.EventNotFound: 404,
    e.ApiKeyNotFound: 404,
    e.NumberNotFound: 404,
    e.Invalid: 422,
    e.InvalidEmail: 422,
    e.InvalidMobile: 422,
    e.InvalidChannel: 422,
    e.InvalidScope: 422,
    e.InvalidEvidence: 422,
    e.InvalidTransition: 409,
    e.BatchTooLarge: 413,
    e.InvalidText: 422,
    e.TextTooLong: 422,
    e.InvalidTime: 422,
    e.InvalidAttributes: 422,
    e.TooManyItems: 422,
    e.Conflict: 409,
    e.ContactExists: 409,
    e.ScopeExists: 409,
    e.ContactErased: 409,
    e.IdempotencyConflict: 409,
    e.IdempotencyInProgress: 409,
    e.Refused: 409,
    e.EvidenceRequired: 422,
    e.HardOptOutLocked: 409,
    e.OptInRequestTooSoon: 409,
    e.OptedOut: 409,
    e.ReasonRequired: 422,
    e.Forbidden: 403,
    e.SignatureInvalid: 403,
    e.OutOfScope: 403,
    e.KeywordRequired: 409,
    e.LinkInvalid: 400,
    e.LinkExpired: 410,
    e.Unavailable: 503,
    e.LedgerTampered: 500,
    e.Unauthenticated: 401,
    e.MethodNotAllowed: 405,
    e.PayloadTooLarge: 413,
    e.InternalError: 500,
    e.InvalidMapping: 422,
    e.ImportConflict: 409,
    e.FeedNotFound: 404,
    e.WebhookNotFound: 404,
    e.InvalidWebhookUrl: 422,
    e.WebhookUrlNotPublic: 422,
    e.InvalidEventType: 422,
    e.RuleNotFound: 404,
    e.JourneyMessageNotFound: 404,
    e.ScheduledJourneyNotFound: 404,
    e.NotMissed: 409,
    e.ResendAlreadyRequested: 409,
    e.NotEligibleForResend: 409,
    e.SendConflict: 409,
    e.ImportJobNotFound: 404,
    e.ImportMappingNotFound: 404,
    e.ImportInterrupted: 500,
    e.EvidenceFileNotFound: 404,
    e.EvidenceFileAltered: 500,
    e.EvidenceFileTooLarge: 413,
    e.NotSuppressed: 409,
    e.NoAddress: 409,
    e.InvalidSource: 422,
    e.SecretsMissing: 500,
    e.SecretsInDatabase: 500,
    e.SecretsMismatch: 500,
    e.UserExists: 409,
    e.UserNotFound: 404,
    e.WeakPassword: 422,
    e.SignInFailed: 401,
    e.SignInRateLimited: 429,
}


def error_classes() -> set[type[e.ConsentryError]]:
    """``ConsentryError`` and every class below it that ``consentry.core.errors`` defines."""
    found: set[type[e.ConsentryError]] = set()
    todo: list[type[e.ConsentryError]] = [e.ConsentryError]
    while todo:
        cls = todo.pop()
        if cls.__module__ == e.__name__ and cls not in found:
            found.add(cls)
            todo.extend(cls.__subclasses__())
    return found


def test_the_table_names_every_error_class() -> None:
    classes = error_classes()
    missing = sorted(c.__name__ for c in classes - EXPECTED.keys())
    assert not missing, f"give these error classes an expected status in EXPECTED: {missing}"
    assert EXPECTED.keys() == classes
    assert len(classes) == len(e.all_error_classes())


@pytest.mark.parametrize("cls", list(EXPECTED), ids=lambda cls: cls.__name__)
def test_every_error_class_has_its_pinned_status(cls: type[e.ConsentryError]) -> None:
    error = cls("x")
    response = error_response(error)
    assert status_of(error) == response.status_code == EXPECTED[cls]
    assert json.loads(bytes(response.body)) == {
        "error": {"code": cls.code, "message": "x", "details": {}}
    }


def test_the_status_calls_for_its_headers() -> None:
    assert error_response(e.Unauthenticated("x")).headers["WWW-Authenticate"] == "Bearer"
    assert error_response(e.Unavailable("x")).headers["Retry-After"] == "1"
    assert "Retry-After" not in error_response(e.Conflict("x")).headers


def test_a_route_with_an_error_page_gets_the_status_from_the_map() -> None:
    """The hosted pages' contract, without importing them: the map decides, the page renders."""
    seen: list[tuple[str, str, int]] = []

    def page(request: Request, exc: e.ConsentryError, status: int) -> Response:
        seen.append((request.url.path, exc.code, status))
        if isinstance(exc, e.Unauthenticated):  # a page may send the person elsewhere
            return RedirectResponse("/sign-in", status_code=303)
        return HTMLResponse(f"<p>{exc.code}</p>", status_code=200)  # the map's status wins

    async def mark(request: Request) -> None:
        setattr(request.state, ERROR_PAGE, page)

    app = FastAPI()
    install(app)
    people = APIRouter(dependencies=[Depends(mark)])

    @people.get("/page/{kind}")
    async def refuse(kind: str) -> None:
        raise {"gone": e.Unavailable, "missing": e.ContactNotFound, "away": e.Unauthenticated}[
            kind
        ]("x")

    @app.get("/json")
    async def refuse_json() -> None:
        raise e.Unavailable("x")

    app.include_router(people)
    client = TestClient(app)
    down = client.get("/page/gone")
    assert down.status_code == 503 and down.headers["Retry-After"] == "1"
    assert down.text == "<p>unavailable</p>" and down.headers["content-type"].startswith(
        "text/html"
    )
    assert client.get("/page/missing").status_code == 404
    away = client.get("/page/away", follow_redirects=False)
    assert (away.status_code, away.headers["location"]) == (303, "/sign-in")
    assert "WWW-Authenticate" not in away.headers
    assert seen == [
        ("/page/gone", "unavailable", 503),
        ("/page/missing", "contact_not_found", 404),
        ("/page/away", "unauthenticated", 401),
    ]
    plain = client.get("/json")
    assert plain.status_code == 503 and plain.json()["error"]["code"] == "unavailable"
