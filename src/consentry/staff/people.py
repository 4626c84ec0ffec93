"""The people who sign in, managed in the app by admins within their scope (SPEC §3, decision
061): the list, a new person with a role at a scope and a first password, and disabling one.

The ledger decides who may: ``manage_users`` (admins), a scope at or below the admin's own; a
staff or viewer session posting these forms gets 403 and nothing changes.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment

from consentry.core import limits
from consentry.core.errors import Invalid
from consentry.core.permissions import Capability, Role, authorise
from consentry.core.users import STAFF_ROLES
from consentry.ledger import Ledger
from consentry.staff.forms import CSRF_ONLY, Fields, signed_form
from consentry.staff.render import page
from consentry.staff.session import signed_in

#: The roles the form offers, the least first (the default is the safest).
ROLES_OFFERED = [r.value for r in reversed(STAFF_ROLES)]

#: The form fields of these pages: the longest each may be, once each (docs/decisions/050).
FIELDS: Fields = {
    "csrf": (128, 1),
    "email": (limits.EMAIL, 1),
    "name": (limits.NAME, 1),
    "role": (limits.WORD, 1),
    "scope": (limits.SCOPE_ID, 1),
    "password": (256, 1),
}


def router(ledger: Ledger, env: Environment) -> APIRouter:
    """``/people``: the list and the forms."""
    r = APIRouter(include_in_schema=False)

    async def people(request: Request) -> Response:
        session = signed_in(ledger, request)
        principal = session.user.principal()
        authorise(principal, Capability.MANAGE_USERS)
        added = request.query_params.get("added")
        return page(
            env, "people.html", session, title="People", nav="people",
            users=ledger.list_users(principal), roles=ROLES_OFFERED,
            scopes=[s.id for s in ledger.list_scopes(principal)],
            notice=f"{added} can sign in now" if added else None,
        )  # fmt: skip

    async def add(request: Request) -> Response:
        form, session = await signed_form(ledger, request, FIELDS)
        values = {name: str(form.get(name, "")) for name in FIELDS}
        user = ledger.create_user(
            session.user.principal(), values["email"], name=values["name"],
            role=_role(values["role"]),
            scope_id=values["scope"], password=values["password"],
        )  # fmt: skip
        return RedirectResponse(f"/people?added={user.email}", status_code=303)

    async def disable(request: Request, user_id: str) -> Response:
        _, session = await signed_form(ledger, request, CSRF_ONLY)
        ledger.disable_user(session.user.principal(), user_id)
        return RedirectResponse("/people", status_code=303)

    r.add_api_route("/people", people, methods=["GET"])
    r.add_api_route("/people", add, methods=["POST"])
    r.add_api_route("/people/{user_id}/disable", disable, methods=["POST"])
    return r


def _role(value: str) -> Role:
    """The role chosen in the form (the ledger refuses one a person may not hold)."""
    try:
        return Role(value)
    except ValueError:
        raise Invalid(f"no role {value!r}", field="role") from None
