"""Pages for what the API already does (issue 9): API keys, receiving numbers, keyword sets,
and the missed journey messages with their re-send (``staff/journeys.py``; decision 078).

API keys are an admin's (``manage_keys``): a new key's token is shown once, on the answer to
the form, and never again; revoking one is a POST with the CSRF token. Numbers and keyword sets
are shown to everyone who may view; they are configured through the API and the CLI.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment

from consentry.core import limits
from consentry.core.keywords import KIND_ORDER
from consentry.core.permissions import Capability, Role, authorise
from consentry.ledger import Ledger
from consentry.staff import journeys
from consentry.staff.forms import CSRF_ONLY, Fields, signed_form
from consentry.staff.render import page
from consentry.staff.session import signed_in

#: The roles a key may be made with here, the least first.
KEY_ROLES = [Role.SENDER.value, Role.VIEWER.value, Role.STAFF.value, Role.ADMIN.value]
FIELDS: Fields = {
    "csrf": (128, 1),
    "role": (limits.WORD, 1),
    "scope": (limits.SCOPE_ID, 1),
    "name": (limits.NAME, 1),
}


def router(ledger: Ledger, env: Environment) -> APIRouter:
    """``/settings/…`` and ``/journeys/missed``."""
    r = APIRouter(include_in_schema=False)

    def keys_page(request: Request, status: int = 200, **more: object) -> Response:
        session = signed_in(ledger, request)
        principal = session.user.principal()
        authorise(principal, Capability.MANAGE_KEYS)
        return page(
            env, "keys.html", session, status, title="API keys", nav="keys",
            keys=ledger.list_api_keys(principal), roles=KEY_ROLES,
            scopes=[s.id for s in ledger.list_scopes(principal)], **more,
        )  # fmt: skip

    async def keys(request: Request) -> Response:
        return keys_page(request)

    async def create_key(request: Request) -> Response:
        form, session = await signed_form(ledger, request, FIELDS)
        values = {name: str(form.get(name, "")) for name in FIELDS}
        key, token = ledger.create_api_key(
            session.user.principal(), values["role"], values["scope"], name=values["name"]
        )
        return keys_page(request, 201, made=key, token=token)  # shown this once

    async def revoke_key(request: Request, key_id: str) -> Response:
        _, session = await signed_form(ledger, request, CSRF_ONLY)
        ledger.revoke_api_key(session.user.principal(), key_id)
        return RedirectResponse("/settings/keys", status_code=303)

    async def numbers(request: Request) -> Response:
        session = signed_in(ledger, request)
        found = ledger.list_numbers(session.user.principal())
        return page(env, "numbers.html", session, title="Receiving numbers", nav="numbers",
                    numbers=found)  # fmt: skip

    async def keywords(request: Request) -> Response:
        session = signed_in(ledger, request)
        name = limits.text(request.query_params.get("set", "default"), field="set",
                           max_length=limits.KEYWORD_SET)  # fmt: skip
        found = ledger.keyword_set(session.user.principal(), keyword_set=name)
        kinds = [(k.value, sorted(found.words.get(k, {}).items())) for k in KIND_ORDER]
        return page(env, "keywords.html", session, title=f"Keyword set: {found.name}",
                    nav="keywords", kinds=kinds, free_text=found.free_text)  # fmt: skip

    r.add_api_route("/settings/keys", keys, methods=["GET"])
    r.add_api_route("/settings/keys", create_key, methods=["POST"])
    r.add_api_route("/settings/keys/{key_id}/revoke", revoke_key, methods=["POST"])
    r.add_api_route("/settings/numbers", numbers, methods=["GET"])
    r.add_api_route("/settings/keywords", keywords, methods=["GET"])
    journeys.add_routes(r, ledger, env)  # /journeys/missed and its re-send (decision 078)
    return r
