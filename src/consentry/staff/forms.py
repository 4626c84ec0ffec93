"""The staff pages' posted forms, checked once at the edge (docs/decisions/050).

Every page names the fields it reads with the longest each may be and how often it may repeat;
``checked_form`` refuses control characters, over-long text and repeats (and bounds the whole
form), and ``signed_form`` also requires the signed-in session and its CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from consentry.core import limits
from consentry.core.errors import Invalid
from consentry.core.permissions import Principal
from consentry.core.users import StaffSession
from consentry.ledger import Ledger
from consentry.staff.session import check_csrf, signed_in

#: A form's fields: name → (the longest a value may be, how many values it may have).
Fields = Mapping[str, tuple[int, int]]

#: A form that carries nothing but its CSRF token (disable, revoke).
CSRF_ONLY: Fields = {"csrf": (128, 1)}

#: The value of a ticked "I understand …" box (``confirm``) on a confirmation page.
CONFIRMED = "yes"


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


def require_ticked(form: FormData, understood: str, *, to: str) -> None:
    """Refuse (``invalid``, field ``confirm``) unless the "I understand …" box was ticked."""
    if form.get("confirm") != CONFIRMED:
        raise Invalid(f'tick "{understood}" to {to}', field="confirm")


async def confirmed_removal(
    ledger: Ledger,
    request: Request,
    fields: Fields,
    item_id: str,
    *,
    find: Callable[[Principal, str], object],
    remove: Callable[[Principal, str], object],
    understood: str,
    to: str,
    done: str,
) -> RedirectResponse:
    """The answer of a confirm-then-delete page for ``item_id``: the signed form checked,
    ``find`` refusing first (not found, not in reach), the box ticked (``require_ticked``),
    then ``remove``, and the person sent on to ``done``."""
    form, session = await signed_form(ledger, request, fields)
    principal = session.user.principal()
    find(principal, item_id)
    require_ticked(form, understood, to=to)
    remove(principal, item_id)
    return RedirectResponse(done, status_code=303)
