"""The signed-in person's session cookie and the forms' CSRF tokens (docs/decisions/061).

The session cookie holds the token ``ledger.users.sign_in`` returned; the database keeps only
its hash. Every form of a signed-in page carries the session's CSRF token (derived from the
token, never stored); the sign-in form, before there is a session, carries a random value that
must equal its own short-lived cookie (a double submit), so no other site can sign a browser in.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from fastapi import Request, Response
from starlette.datastructures import FormData

from consentry.core.errors import Forbidden, Unauthenticated
from consentry.core.users import StaffSession
from consentry.ledger import Ledger
from consentry.ledger.users import session_of

SESSION_COOKIE = "consentry_staff"
SIGN_IN_COOKIE = "consentry_sign_in"
CSRF_FIELD = "csrf"


def session_token(request: Request) -> str | None:
    """The session cookie's value, if the browser sent one."""
    return request.cookies.get(SESSION_COOKIE) or None


def signed_in(ledger: Ledger, request: Request) -> StaffSession:
    """The live session of this request, or ``Unauthenticated`` (the error map signs in)."""
    token = session_token(request)
    if token is None:
        raise Unauthenticated("sign in to use the staff pages")
    return session_of(ledger.context, token)


def check_csrf(form: FormData, expected: str) -> None:
    """Refuse a form whose CSRF token is missing or not this session's."""
    given = form.get(CSRF_FIELD)
    if not isinstance(given, str) or not hmac.compare_digest(given, expected):
        raise Forbidden("the form is out of date or came from another site", field=CSRF_FIELD)


def set_session(response: Response, token: str, lifetime: timedelta) -> None:
    """The session cookie: not readable by scripts, never sent by another site, HTTPS only.

    Its lifetime is relative (``Max-Age``), so the browser's clock does not matter.
    """
    response.set_cookie(
        SESSION_COOKIE, token, max_age=int(lifetime.total_seconds()), path="/",
        secure=True, httponly=True, samesite="strict",
    )  # fmt: skip


def clear_session(response: Response) -> None:
    """Forget the session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")


def sign_in_token(request: Request) -> str:
    """The sign-in form's double-submit value: the browser's, or a new one."""
    return request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(24)


def set_sign_in_cookie(response: Response, value: str) -> None:
    """The double-submit cookie of the sign-in form (an hour, the sign-in path only)."""
    response.set_cookie(
        SIGN_IN_COOKIE, value, max_age=3600, path="/sign-in",
        secure=True, httponly=True, samesite="strict",
    )  # fmt: skip


def check_sign_in_form(request: Request, form: FormData) -> None:
    """Refuse a sign-in post whose hidden value does not equal its cookie's."""
    expected = request.cookies.get(SIGN_IN_COOKIE)
    if not expected:
        raise Forbidden("open the sign-in page again: its form has expired", field=CSRF_FIELD)
    check_csrf(form, expected)
