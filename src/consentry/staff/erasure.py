"""Erasing a contact from the staff app (GDPR Art. 17; decisions 072 and 073).

The profile offers "Erase contact" to an admin of the whole group only; it opens a page that
says what goes and what stays, and asks for a tick ("I understand this cannot be undone") and
an optional reference (a ticket number, never personal data). Its POST carries the session's
CSRF token; ``ledger.erase_contact`` does the work, and the profile then says "Contact erased".
Anyone else is refused by the same rule before the ledger is asked, and by the ledger anyway:
staff and viewers ``forbidden``, a client admin ``out_of_scope``.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment

from consentry.core import limits
from consentry.core.contacts import Contact
from consentry.core.events import Source
from consentry.core.permissions import Capability, Principal, authorise
from consentry.ledger import Ledger
from consentry.staff.forms import Fields, require_ticked, signed_form
from consentry.staff.profile import title_of
from consentry.staff.render import page
from consentry.staff.session import signed_in

#: The erase form's fields: the longest each may be, once each (docs/decisions/050).
FIELDS: Fields = {
    "csrf": (128, 1),
    "confirm": (limits.WORD, 1),
    "reference": (limits.REASON, 1),
}


def router(ledger: Ledger, env: Environment) -> APIRouter:
    """``/contacts/{id}/erase``: the confirmation page and its form."""
    r = APIRouter(include_in_schema=False)

    async def confirm(request: Request, contact_id: str) -> Response:
        session = signed_in(ledger, request)
        request.state.contact_id = contact_id
        contact = erasable(ledger, session.user.principal(), contact_id)
        return page(
            env, "erase.html", session, title=f"Erase contact: {title_of(contact)}",
            contact=contact, nav="contacts", max_reference=limits.REASON,
        )  # fmt: skip

    async def erase(request: Request, contact_id: str) -> Response:
        request.state.contact_id = contact_id  # a refusal's "Go back" returns to the contact
        form, session = await signed_form(ledger, request, FIELDS)
        principal = session.user.principal()
        erasable(ledger, principal, contact_id)
        require_ticked(form, "I understand this cannot be undone", to="erase the contact")
        reference = str(form.get("reference", "")).strip() or None
        done = ledger.erase_contact(
            principal, contact_id, reference=reference, source=Source.ADMIN_UI
        )
        said = "already-erased" if done.already_erased else "erased"
        return RedirectResponse(f"/contacts/{quote(contact_id)}?updated={said}", status_code=303)

    r.add_api_route("/contacts/{contact_id}/erase", confirm, methods=["GET"])
    r.add_api_route("/contacts/{contact_id}/erase", erase, methods=["POST"])
    return r


def erasable(ledger: Ledger, principal: Principal, contact_id: str) -> Contact:
    """The contact, if ``principal`` may erase it: ``erase`` at its group (decision 072)."""
    contact = ledger.get_contact(principal, contact_id)
    authorise(principal, Capability.ERASE, contact.group_id)
    return contact
