"""THE one mapping from ``ConsentryError`` to HTTP (STYLE §4, decision 043).

Every HTTP entrypoint on the app (the API, the inbound webhooks, the hosted pages) raises, and
the handlers that ``install(app)`` registers answer. The status comes from the most specific class
in the table below; the code is the error's stable code (``docs/errors.md``). The body is
``{"error": {"code", "message", "details"}}``, including for unknown routes, wrong methods and
malformed requests, unless the route put an ``ErrorPage`` on the request: a route that answers
people rather than programs sets ``request.state.error_page`` (the hosted pages do, through a
router dependency), and the handler hands that renderer the error and its status from this same
table. This package never imports the renderer's package (the independence contract).

==========================================  ======
error                                       status
==========================================  ======
unauthenticated, sign_in_failed             401
forbidden, out_of_scope                     403
not_found and its kinds                     404
method_not_allowed                          405
conflicts, opted_out, hard_opt_out_locked,  409
invalid_transition, idempotency_*
payload_too_large, batch_too_large          413
sign_in_rate_limited                        429
invalid and its kinds, evidence_required,   422
reason_required
link_expired                                410
link_invalid                                400
unavailable                                 503
internal_error, ledger_tampered             500
==========================================  ======
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.routing import Match, Mount

from consentry.core import errors as e

STATUS: dict[type[e.ConsentryError], int] = {
    e.Unauthenticated: 401,
    e.SignInFailed: 401,
    e.Forbidden: 403,
    e.OutOfScope: 403,
    e.NotFound: 404,
    e.MethodNotAllowed: 405,
    e.Conflict: 409,
    e.Refused: 409,
    e.InvalidTransition: 409,
    e.LinkExpired: 410,
    e.LinkInvalid: 400,
    e.PayloadTooLarge: 413,
    e.BatchTooLarge: 413,
    e.SignInRateLimited: 429,
    e.Invalid: 422,
    e.EvidenceRequired: 422,
    e.ReasonRequired: 422,
    e.Unavailable: 503,
    e.LedgerTampered: 500,
    e.InternalError: 500,
    e.ConsentryError: 500,
}

_DESCRIPTIONS = {
    400: "The body cannot be read at all, e.g. JSON that is not UTF-8 (`invalid`); a link token "
    "that is not ours (`link_invalid`).",
    401: "No API key, or an unknown or revoked one (`unauthenticated`).",
    403: "The key's role may not do this (`forbidden`), or not at that scope (`out_of_scope`).",
    404: "No such contact, scope or key in the caller's group (`*_not_found`).",
    405: "The resource does not answer to that method (`method_not_allowed`).",
    409: "Refused by the current state: `opted_out`, `hard_opt_out_locked`, "
    "`contact_exists`, `idempotency_conflict`, …",
    413: "Too large: `payload_too_large`, `batch_too_large`.",
    429: "Too many sign-in attempts for that email address or client (`sign_in_rate_limited`).",
    422: "Malformed input (`invalid`, `invalid_*`), or a rule needs more (`evidence_required`, "
    "`reason_required`).",
    500: "An unexpected failure (`internal_error`); retrying with the same Idempotency-Key "
    "is safe.",
    503: "The database is unavailable (`unavailable`); retry later.",
}


class ErrorDetail(BaseModel):
    """What went wrong: a stable code for programs, a message for people, and details."""

    code: str = Field(examples=["hard_opt_out_locked"])
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting error statuses with the error body."""
    return {s: {"model": ErrorBody, "description": _DESCRIPTIONS[s]} for s in statuses}


#: Statuses any authenticated route may answer with.
COMMON_ERRORS = error_responses(400, 401, 403, 404, 405, 413, 422, 500, 503)


#: What a route that answers in its own format puts on ``request.state.error_page``: it gets the
#: request, the error and the status from ``STATUS``, and returns the whole response.
ErrorPage = Callable[[Request, e.ConsentryError, int], Response]

#: The ``request.state`` attribute that holds a route's ``ErrorPage``.
ERROR_PAGE = "error_page"


def status_of(exc: e.ConsentryError) -> int:
    """The HTTP status of an error: the most specific class in ``STATUS``."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_body(exc: e.ConsentryError) -> str:
    """The JSON text of an error response."""
    detail = {"code": exc.code, "message": exc.message, "details": jsonable_encoder(exc.details)}
    return json.dumps({"error": detail}, separators=(",", ":"), ensure_ascii=False)


def headers_of(status: int) -> dict[str, str]:
    """The headers an error status calls for: how to authenticate, when to retry."""
    if status == 401:
        return {"WWW-Authenticate": "Bearer"}
    if status == 503:
        return {"Retry-After": "1"}
    return {}


def error_response(exc: e.ConsentryError) -> Response:
    """The JSON response for an error, with the headers its status calls for."""
    status = status_of(exc)
    headers = headers_of(status) or None
    return Response(error_body(exc), status, headers, media_type="application/json")


def answer(request: Request, exc: e.ConsentryError, status: int | None = None) -> Response:
    """The response to ``exc`` on ``request``: the route's error page if it set one, else JSON.

    The page answers at the table's status whatever it set, unless it sends the person elsewhere
    with a redirect (the staff app answers a missing session with its sign-in page).

    ``status`` overrides the table only for a framework ``HTTPException``, whose status is given.
    """
    page: ErrorPage | None = getattr(request.state, ERROR_PAGE, None)
    if page is None:
        response = error_response(exc)
        if status is not None:
            response.status_code = status
        return response
    status = status_of(exc) if status is None else status
    response = page(request, exc, status)
    if 300 <= response.status_code < 400:  # sent elsewhere (the staff app's sign-in page)
        return response
    response.status_code = status
    for name, value in headers_of(status).items():
        response.headers.setdefault(name, value)
    return response


async def _consentry(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, e.ConsentryError)
    return answer(request, exc)


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"loc": list(err.get("loc", ())), "msg": str(err.get("msg", "")), "type": err.get("type")}
        for err in exc.errors()
    ]
    first = problems[0] if problems else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"])
    message = f"{where}: {first['msg']}" if where else str(first["msg"])
    return answer(request, e.Invalid(message, errors=problems))


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error: e.ConsentryError
    if exc.status_code == 404:
        error = e.NotFound("no such resource; see /docs for the API")
    elif exc.status_code == 405:
        error = e.MethodNotAllowed("the resource does not answer to that method")
    elif exc.status_code == 413:
        error = e.PayloadTooLarge(str(exc.detail))
    elif exc.status_code == 401:
        error = e.Unauthenticated(str(exc.detail))
    elif exc.status_code == 403:
        error = e.Forbidden(str(exc.detail))
    else:
        error = e.Invalid(str(exc.detail))
    response = answer(request, error, exc.status_code)
    if exc.status_code == 405:
        response.headers["Allow"] = allowed_methods(request) or (exc.headers or {}).get("Allow", "")
    return response


#: The methods ``Allow`` may name, in the order it names them.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> str:
    """The methods the app's routes answer at the request's path, for ``Allow`` (RFC 9110).

    Starlette names only the methods of the first route whose path matched, and the API has one
    route per method; so each method is tried against every route. A mount (the docs' files)
    matches any method and says its own (``exc.headers``).
    """
    routes = [r for r in request.app.router.routes if not isinstance(r, Mount)]
    allowed = [
        method
        for method in METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    ]
    return ", ".join(allowed)


async def _unexpected(request: Request, __: Exception) -> Response:
    return answer(request, e.InternalError("an unexpected error; nothing half-done was kept"))


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the one error map's answer."""
    app.add_exception_handler(e.ConsentryError, _consentry)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
