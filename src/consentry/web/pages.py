"""The hosted pages: unsubscribe / preferences, confirmation, and the public link request.

No GET ever changes anything (mail scanners prefetch links); every change is a POST whose URL
carries the signed token, which is also what protects the forms from cross-site requests
(decision 032). Refusals are raised: the app's one error map (``api/errors.py``, decision 043)
picks the status, and hands it to ``Pages.error_page``, which every page route puts on
``request.state.error_page``, so the answer is a friendly page with the error code on it.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment
from starlette.datastructures import FormData

from consentry.core import limits
from consentry.core.errors import ConsentryError, Invalid
from consentry.core.i18n import pick_language, words
from consentry.ledger import Ledger
from consentry.ledger.preferences import ONE_CLICK_VALUE, Outcome, Result
from consentry.ledger.public_request import allow_preferences_request
from consentry.web.views import (
    channel_list,
    level_label,
    outcome_notice,
    page_context,
    render,
)


def evidence(request: Request) -> dict[str, str]:
    """What we keep as evidence of a contact's own action: their IP and user agent."""
    ip = request.client.host if request.client else "unknown"
    return {"ip": ip, "user_agent": request.headers.get("user-agent", "")}


#: The form fields the pages read, and the longest each may be (docs/decisions/050).
FORM_TEXTS = {
    "List-Unsubscribe": limits.WORD,
    "level": limits.SCOPE_ID,
    "channels": limits.WORD,
    "action": limits.WORD,
    "address": limits.EMAIL,
    "lang": limits.LOCALE,
}


async def checked_form(request: Request) -> FormData:
    """The posted form, refused (``invalid_text``, ``text_too_long``, ``too_many_items``) when a
    field it reads holds control characters, is too long or is repeated too often."""
    form = await request.form()
    for name, longest in FORM_TEXTS.items():
        values = form.getlist(name)
        limits.items(values, field=name, max_items=limits.MAX_CHANNELS)
        for value in values:
            if isinstance(value, str):
                limits.text(value, field=name, max_length=longest)
    return form


def language(request: Request, locale: str | None = None) -> str:
    """?lang= first, then the contact's locale, then the browser's Accept-Language."""
    chosen = request.query_params.get("lang")
    return pick_language(chosen or locale, request.headers.get("accept-language"))


class Pages:
    """The routes of the hosted pages over one ledger."""

    def __init__(self, ledger: Ledger, env: Environment) -> None:
        self.ledger = ledger
        self.env = env

    def router(self) -> APIRouter:
        """Every hosted page; each answers its refusals with ``error_page``."""
        r = APIRouter(include_in_schema=False, dependencies=[Depends(self._answer_errors)])
        r.add_api_route("/u/{token}", self.show, methods=["GET"])
        r.add_api_route("/u/{token}", self.change, methods=["POST"])
        r.add_api_route("/confirm/{token}", self.show_confirm, methods=["GET"])
        r.add_api_route("/confirm/{token}", self.confirm, methods=["POST"])
        r.add_api_route("/preferences", self.show_request, methods=["GET"])
        r.add_api_route("/preferences", self.request_link, methods=["POST"])
        return r

    # ── unsubscribe / preferences ──
    async def show(self, request: Request, token: str) -> Response:
        """The unsubscribe / preferences page. Reads only."""
        page = self.ledger.open_page(token)
        context = page_context(language(request, page.locale), page, f"/u/{token}")
        return render(self.env, "preferences.html", **context)

    async def change(self, request: Request, token: str) -> Response:
        """RFC 8058 one-click POST, or the page's unsubscribe / opt-back-in forms."""
        form = await checked_form(request)
        if form.get("List-Unsubscribe") == ONE_CLICK_VALUE.split("=", 1)[1]:
            self.ledger.one_click_unsubscribe(token, evidence=evidence(request))
            return self._one_click_done(request)
        level = str(form.get("level", ""))
        channels = [str(c) for c in form.getlist("channels")]
        command = (
            self.ledger.opt_back_in if form.get("action") == "opt_in" else self.ledger.unsubscribe
        )
        try:
            outcome = command(token, level, channels=channels, evidence=evidence(request))
        except Invalid:
            return self._invalid_choice(request, token)
        return self._outcome(request, token, outcome)

    def _outcome(self, request: Request, token: str, outcome: Outcome) -> Response:
        lang = language(request, outcome.page.locale)
        context = page_context(lang, outcome.page, f"/u/{token}")
        context["notice"] = outcome_notice(lang, outcome)
        if outcome.result is Result.OPTED_OUT:
            context["outcome_level"] = outcome.level.scope_id
            context["outcome_channels"] = [c.value for c in outcome.channels]
        return render(self.env, "preferences.html", **context)

    def _invalid_choice(self, request: Request, token: str) -> Response:
        page = self.ledger.open_page(token)
        lang = language(request, page.locale)
        context = page_context(lang, page, f"/u/{token}")
        context["error"] = words(lang)["invalid_choice"]
        return render(self.env, "preferences.html", 400, **context)

    def _one_click_done(self, request: Request) -> Response:
        lang = language(request)
        t = words(lang)
        return render(
            self.env,
            "confirm.html",
            lang=lang,
            t=t,
            title=t["title_unsubscribe"],
            notice=t["one_click_done"],
            done=True,
        )

    # ── confirmation ──
    async def show_confirm(self, request: Request, token: str) -> Response:
        """The confirmation page: a button, nothing else. Reads only."""
        page = self.ledger.open_confirmation(token)
        lang = language(request, page.locale)
        t = words(lang)
        level = next(lv for lv in page.levels if lv.scope_id == page.claims.scope_id)
        intro = t["confirm_intro"].format(
            channels=channel_list(t, page.claims.channels), level=level_label(t, level)
        )
        return render(
            self.env,
            "confirm.html",
            lang=lang,
            t=t,
            title=t["title_confirm"],
            action=f"/confirm/{token}",
            intro=intro,
        )

    async def confirm(self, request: Request, token: str) -> Response:
        """The contact confirms: opted in, with their IP and user agent as evidence."""
        outcome = self.ledger.confirm_link(token, evidence=evidence(request))
        lang = language(request, outcome.page.locale)
        t = words(lang)
        return render(
            self.env,
            "confirm.html",
            lang=lang,
            t=t,
            title=t["title_confirm"],
            notice=outcome_notice(lang, outcome),
            done=True,
        )

    # ── the public request for a link ──
    async def show_request(self, request: Request) -> Response:
        """The public 'manage my preferences' form."""
        return self._request_page(request)

    async def request_link(self, request: Request, tasks: BackgroundTasks) -> Response:
        """Send a link if the address is known; the answer is the same either way."""
        form = await checked_form(request)
        address = str(form.get("address", ""))
        lang = pick_language(str(form.get("lang", "")), request.headers.get("accept-language"))
        t = words(lang)
        ip = evidence(request)["ip"]
        try:
            allowed = allow_preferences_request(self.ledger.context, address, ip)
        except Invalid:
            return self._request_page(request, lang, 400, error=t["invalid_address"])
        if not allowed:
            return self._request_page(request, lang, 429, error=t["rate_limited"])
        tasks.add_task(self.ledger.send_preferences_link, address)
        return self._request_page(request, lang, notice=t["request_sent"])

    def _request_page(
        self, request: Request, lang: str | None = None, status: int = 200, **more: str
    ) -> HTMLResponse:
        lang = lang or language(request)
        t = words(lang)
        return render(
            self.env, "request.html", status, lang=lang, t=t, title=t["title_request"], **more
        )

    # ── friendly refusals ──
    async def _answer_errors(self, request: Request) -> None:
        """Mark the request as a hosted page's: the error map answers it with ``error_page``."""
        request.state.error_page = self.error_page

    def error_page(self, request: Request, exc: ConsentryError, status: int) -> Response:
        """The friendly page for a refusal, with its code, at the error map's ``status``."""
        lang = language(request)
        t = words(lang)
        return render(
            self.env,
            "error.html",
            status,
            lang=lang,
            t=t,
            title=t["title_error"],
            message=t.get(f"error_{exc.code}", t["error_other"]),
            code=exc.code,
        )
