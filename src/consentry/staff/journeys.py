"""Missed journey messages in the staff app (seeds/000; decision 078).

``/journeys/missed`` lists the missed messages within the signed-in person's reach, newest
first, filtered by journey and channel, a page at a time; the contact profile shows that
contact's (``contact_missed``). A re-send is a POST with the session's CSRF token, offered only
to roles that may ask for one (``resend_journey``: admins and staff), and only once per message;
the ledger decides again when it is posted (the contact must be eligible now).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment

from consentry.core import limits
from consentry.core.journeys import JourneyMessage
from consentry.core.permissions import Capability, Principal
from consentry.ledger import Ledger
from consentry.staff.forms import Fields, signed_form
from consentry.staff.render import page
from consentry.staff.session import signed_in

MISSED = "/journeys/missed"
PROFILE_SHOWN = 20  #: missed messages the profile lists (the page has them all)
FIELDS: Fields = {"csrf": (128, 1), "back": (limits.ID + 20, 1)}


@dataclass(frozen=True, slots=True)
class MissedRow:
    """One missed message as the page shows it: the message and who it was for."""

    message: JourneyMessage
    contact: str  #: the contact's name, else address, else id


def contact_missed(ledger: Ledger, principal: Principal, contact_id: str) -> list[JourneyMessage]:
    """The contact's most recent missed messages (the profile's section)."""
    found = ledger.missed_messages(principal, contact_id=contact_id, limit=PROFILE_SHOWN)
    return list(found.messages)


def may_resend(principal: Principal) -> bool:
    """True when the role may ask for a re-send (the ledger checks the scope when posted)."""
    return principal.can(Capability.RESEND_JOURNEY)


def add_routes(r: APIRouter, ledger: Ledger, env: Environment) -> None:
    """``GET /journeys/missed`` and ``POST /journeys/missed/{id}/resend``."""

    async def missed(request: Request) -> Response:
        session = signed_in(ledger, request)
        principal = session.user.principal()
        asked = {k: _query(request, k, n) for k, n in (("journey", limits.NAME),
                 ("channel", limits.WORD), ("after", limits.ID))}  # fmt: skip
        found = ledger.missed_messages(
            principal, journey=asked["journey"], channel=asked["channel"], after=asked["after"]
        )
        rows = [MissedRow(m, _who(ledger, principal, m.contact_id)) for m in found.messages]
        shown = {k: v for k, v in asked.items() if v and k != "after"}
        more = None if found.next is None else urlencode({**shown, "after": found.next})
        return page(
            env, "missed.html", session, title="Missed journey messages", nav="journeys",
            rows=rows, more=more, asked=asked, may_resend=may_resend(principal),
            channels=[c.value for c in ledger.policy.enabled],
            resent=request.query_params.get("resent") is not None,
        )  # fmt: skip

    async def resend(request: Request, message_id: str) -> Response:
        form, session = await signed_form(ledger, request, FIELDS)
        found = ledger.request_resend(session.user.principal(), message_id)
        back = str(form.get("back", ""))
        if back == "profile":
            return RedirectResponse(f"/contacts/{quote(found.contact_id)}#missed", status_code=303)
        return RedirectResponse(f"{MISSED}?resent=1", status_code=303)

    r.add_api_route(MISSED, missed, methods=["GET"])
    r.add_api_route(MISSED + "/{message_id}/resend", resend, methods=["POST"])


def _query(request: Request, name: str, longest: int) -> str | None:
    value = request.query_params.get(name, "").strip()
    if not value:
        return None
    return limits.text(value, field=name, max_length=longest)


def _who(ledger: Ledger, principal: Principal, contact_id: str) -> str:
    contact = ledger.get_contact(principal, contact_id)
    if contact.erased_at is not None:
        return "Erased contact"
    return contact.name or contact.email or contact.mobile or contact.id
