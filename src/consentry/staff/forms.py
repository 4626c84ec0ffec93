"""The staff pages' posted forms, checked once at the edge (docs/decisions/050).

Every page names the fields it reads with the longest each may be and how often it may repeat;
``checked_form`` refuses control characters, over-long text and repeats (and bounds the whole
form), and ``signed_form`` also requires the signed-in session and its CSRF token.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from fastapi import Request
from starlette.datastructures import FormData

from consentry.core import limits
from consentry.core.users import StaffSession
from consentry.ledger import Ledger
from consentry.staff.session import check_csrf, signed_in

#: A form's fields: name → (the longest a value may be, how many values it may have).
Fields = Mapping[str, tuple[int, int]]

#: A form that carries nothing but its CSRF token (disable, revoke).
CSRF_ONLY: Fields = {"csrf": (128, 1)}


async def checked_form(
    request: Request, fields: Fields, *, max_files: int = 0, multiline: Collection[str] = ()
) -> FormData:
    """The posted form, each named field's text checked; unnamed fields are never read."""
    most = sum(repeats for _, repeats in fields.values()) + 1
    form = await request.form(max_files=max_files, max_fields=most)
    for name, (longest, repeats) in fields.items():
        values = form.getlist(name)
        limits.items(values, field=name, max_items=repeats)
        for value in values:
            if isinstance(value, str):
                limits.text(value, field=name, max_length=longest, multiline=name in multiline)
    return form


async def signed_form(
    ledger: Ledger,
    request: Request,
    fields: Fields,
    *,
    max_files: int = 0,
    multiline: Collection[str] = (),
) -> tuple[FormData, StaffSession]:
    """``checked_form``, posted by the signed-in person with their session's CSRF token."""
    form = await checked_form(request, fields, max_files=max_files, multiline=multiline)
    session = signed_in(ledger, request)
    check_csrf(form, session.csrf_token)
    return form, session
