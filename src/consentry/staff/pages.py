"""The staff web app's routes: sign-in, the contacts table and the contact profile (SPEC §6).

Thin: every route reads the session, calls the ledger as the signed-in person's principal (the
same rules as the API: one rule set) and renders. Refusals are raised; the app's one error map
picks the status and hands it to ``StaffPages.error_page`` (put on ``request.state`` by a router
dependency): a missing or expired session goes to the sign-in page, anything else is a page
with the error's words and code. Every change is a POST with the session's CSRF token, answered
by a redirect to the page it changed (so a reload never posts twice).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment

from consentry.core import limits
from consentry.core.errors import ConsentryError, Invalid, NotFound, Unauthenticated
from consentry.core.users import StaffSession
from consentry.ledger import Ledger
from consentry.ledger.bulk import MAX_BULK, BulkResult
from consentry.ledger.users import sign_in, sign_out
from consentry.staff import bulk, profile, table
from consentry.staff.forms import Fields, checked_form, signed_form
from consentry.staff.render import page, render
from consentry.staff.session import (
    check_sign_in_form,
    clear_session,
    session_token,
    set_session,
    set_sign_in_cookie,
    sign_in_token,
    signed_in,
)

STATIC = Path(__file__).parent / "static"
STYLESHEETS = frozenset(p.stem for p in STATIC.glob("*.css"))  # staff.css and a page's own

#: The form fields the staff pages read: the longest each may be and how often it may repeat
#: (docs/decisions/050).
FORM_TEXTS: Fields = {
    "csrf": (128, 1),
    "email": (limits.EMAIL, 1),
    "password": (256, 1),
    "next": (512, 1),
    "channel": (limits.WORD, 1),
    "channels": (limits.WORD, limits.MAX_CHANNELS),
    "contact": (limits.ID, MAX_BULK),
    "action": (limits.WORD, 1),
    "choice": (limits.WORD, 1),
    "written_permission": (limits.WORD, 1),
    "given_at": (limits.WORD, 1),
    "reference": (1000, 1),
    "reason": (limits.WORD, 1),
}


#: What the profile says after a change (seeds/000: "Contact updated"), or an erasure (073).
NOTICES = {
    "1": "Contact updated",
    "request": "Contact updated: an opt-in request was sent",
    "erased": "Contact erased",
    "already-erased": "Nothing changed: the contact had been erased already",
}


def client_ip(request: Request) -> str:
    """The client's address as the server sees it (behind a named proxy: decision 052)."""
    return request.client.host if request.client else "unknown"


def local_path(value: str | None) -> str:
    """Where to go after signing in: a path on this site only, else the contacts table."""
    if not value or not value.startswith("/") or value.startswith("//") or urlsplit(value).netloc:
        return "/contacts"
    return value


def see_other(url: str) -> RedirectResponse:
    """The answer to a POST that worked: go and look (303)."""
    return RedirectResponse(url, status_code=303)


class StaffPages:
    """The routes of the staff web app over one ledger."""

    def __init__(self, ledger: Ledger, env: Environment) -> None:
        self.ledger = ledger
        self.env = env

    def router(self) -> APIRouter:
        """Every staff page; each answers its refusals with ``error_page``."""
        r = APIRouter(include_in_schema=False, dependencies=[Depends(self.answer_errors)])
        r.add_api_route("/", self.home, methods=["GET"])
        r.add_api_route("/staff/{name}.css", self.stylesheet, methods=["GET"])
        r.add_api_route("/sign-in", self.show_sign_in, methods=["GET"])
        r.add_api_route("/sign-in", self.sign_in, methods=["POST"])
        r.add_api_route("/sign-out", self.sign_out, methods=["POST"])
        r.add_api_route("/contacts", self.contacts, methods=["GET"])
        r.add_api_route("/contacts/{contact_id}", self.contact, methods=["GET"])
        r.add_api_route("/contacts/{contact_id}/opt-in", self.opt_in_form, methods=["GET"])
        r.add_api_route("/contacts/{contact_id}/preferences", self.change, methods=["POST"])
        r.add_api_route(
            "/contacts/{contact_id}/evidence/{sha256}", self.evidence_file, methods=["GET"]
        )
        r.add_api_route("/bulk", self.bulk_dialog, methods=["GET"])
        r.add_api_route("/bulk", self.bulk_change, methods=["POST"])
        return r

    async def home(self, request: Request) -> Response:
        """The app opens on the contacts table (which asks for a sign-in first)."""
        del request
        return RedirectResponse("/contacts", status_code=303)

    async def stylesheet(self, request: Request, name: str) -> Response:
        """One of the app's stylesheets, from the package (no CDN): ``static/<name>.css``."""
        del request
        if name not in STYLESHEETS:
            raise NotFound(f"no stylesheet {name!r}")
        css = (STATIC / f"{name}.css").read_text(encoding="utf-8")
        return Response(css, media_type="text/css", headers={"Cache-Control": "no-cache"})

    # ── signing in and out ──
    async def show_sign_in(self, request: Request) -> Response:
        """The sign-in form."""
        return self._sign_in_page(request)

    async def sign_in(self, request: Request) -> Response:
        """Check the form's double-submit value and the password; start a new session."""
        form = await checked_form(request, FORM_TEXTS)
        check_sign_in_form(request, form)
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        session, token = sign_in(
            self.ledger.context, email, password,
            client_ip=client_ip(request), previous_token=session_token(request),
        )  # fmt: skip
        response = see_other(local_path(str(form.get("next", ""))))
        set_session(response, token, session.expires_at - self.ledger.clock.now())
        return response

    async def sign_out(self, request: Request) -> Response:
        """End the session (its row is deleted) and forget the cookie."""
        await signed_form(self.ledger, request, FORM_TEXTS)
        token = session_token(request)
        if token is not None:
            sign_out(self.ledger.context, token)
        response = see_other("/sign-in")
        clear_session(response)
        return response

    def _sign_in_page(
        self, request: Request, status: int = 200, *, error: str | None = None, code: str = ""
    ) -> Response:
        value = sign_in_token(request)
        nxt = local_path(request.query_params.get("next"))
        response = render(
            self.env, "sign_in.html", status,
            title="Sign in", csrf=value, next=nxt, error=error, code=code,
        )  # fmt: skip
        set_sign_in_cookie(response, value)
        return response

    # ── contacts ──
    async def contacts(self, request: Request) -> Response:
        """The contacts table with the Opt-In Status column (seeds/001, seeds/002)."""
        session = signed_in(self.ledger, request)
        view = table.contacts_view(self.ledger, session, request.query_params)
        return page(
            self.env,
            "contacts.html",
            session,
            view.status,
            title="Contacts",
            view=view,
            nav="contacts",
        )

    async def contact(self, request: Request, contact_id: str) -> Response:
        """The contact profile: global opt-in preferences, status per scope, the history."""
        session = signed_in(self.ledger, request)
        view = profile.profile_view(self.ledger, session, contact_id)
        notice = NOTICES.get(request.query_params.get("updated", ""))
        return page(
            self.env, "contact.html", session,
            title=view.title, view=view, notice=notice,
            nav="contacts",
        )  # fmt: skip

    async def opt_in_form(self, request: Request, contact_id: str) -> Response:
        """The written-permission form behind a Yes (seeds/000: only with written permission)."""
        session = signed_in(self.ledger, request)
        form = profile.opt_in_view(self.ledger, session, contact_id, request.query_params)
        return page(self.env, "opt_in.html", session, title=form.title, form=form)

    async def change(self, request: Request, contact_id: str) -> Response:
        """Yes or No for one channel; back to the profile, which says "Contact updated"."""
        request.state.contact_id = contact_id  # first: a refused form's "Go back" is the contact
        form, session = await signed_form(
            self.ledger, request, FORM_TEXTS, max_files=1, multiline={"reference"}
        )
        try:
            await profile.change(self.ledger, session, contact_id, form)
        finally:
            await form.close()  # an uploaded copy's temporary file
        done = "request" if form.get("choice") == "request" else "1"
        return see_other(f"/contacts/{quote(contact_id)}?updated={done}")

    async def evidence_file(self, request: Request, contact_id: str, sha256: str) -> Response:
        """A kept copy of written permission, for anyone who may view the contact; its bytes
        are hashed again first (decision 067)."""
        session = signed_in(self.ledger, request)
        request.state.contact_id = contact_id
        kept = self.ledger.evidence_file(session.user.principal(), contact_id, sha256)
        return profile.download(kept)

    # ── bulk unsubscribe / re-subscribe ──
    async def bulk_dialog(self, request: Request) -> Response:
        """The dialog for the contacts chosen in the table; more can be added by search."""
        session = signed_in(self.ledger, request)
        view = bulk.bulk_view(self.ledger, session, request.query_params)
        title = f"{view.verb} contacts"
        return page(self.env, "bulk.html", session, title=title, view=view, nav="contacts")

    async def bulk_change(self, request: Request) -> Response:
        """Run it; the page lists who changed and who was refused and why."""
        form, session = await signed_form(self.ledger, request, FORM_TEXTS, multiline={"reference"})
        rows = bulk.bulk_change(self.ledger, session, form)
        counts = {
            r: sum(1 for row in rows if row.result == bulk.RESULT_WORDS[r]) for r in BulkResult
        }
        return page(
            self.env, "bulk_done.html", session, title="Bulk change done", rows=rows,
            nav="contacts",
            changed=counts[BulkResult.CHANGED], unchanged=counts[BulkResult.UNCHANGED],
            refused=counts[BulkResult.REFUSED],
        )  # fmt: skip

    # ── friendly refusals ──
    async def answer_errors(self, request: Request) -> None:
        """Mark the request as a staff page's: the error map answers it with ``error_page``."""
        request.state.error_page = self.error_page

    def error_page(self, request: Request, exc: ConsentryError, status: int) -> Response:
        """Sign in when the session is missing or over; else the refusal's words and code."""
        if request.url.path == "/sign-in" and request.method == "POST":
            return self._sign_in_page(request, status, error=str(exc), code=exc.code)
        if isinstance(exc, Unauthenticated):
            target = request.url.path if request.method == "GET" else "/contacts"
            return see_other(f"/sign-in?next={quote(target)}")
        session = self._session_or_none(request)
        back = getattr(request.state, "contact_id", None)
        return render(
            self.env, "error.html", status,
            title="That did not work", message=exc.message, code=exc.code,
            session=session, back=f"/contacts/{quote(back)}" if back else "/contacts",
            invalid=isinstance(exc, Invalid),
        )  # fmt: skip

    def _session_or_none(self, request: Request) -> StaffSession | None:
        try:
            return signed_in(self.ledger, request)
        except ConsentryError:
            return None
