"""Rendering the staff pages: the Jinja2 environment, the headers, the signed-in frame.

The frame's main navigation has one "Settings" entry; each page under it (``SETTINGS``) carries
a sub-navigation of those the signed-in person may open, the current one marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from consentry.core.permissions import Capability
from consentry.core.users import StaffSession

TEMPLATES = Path(__file__).parent / "templates"

#: The staff pages load their stylesheet from this origin and nothing else; the app's security
#: headers (no referrer, no cache, no framing, no sniffing: decision 052) come with every answer.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


@dataclass(frozen=True, slots=True)
class NavLink:
    """A link of a navigation: the page's ``nav`` name, where it goes, what it says, and the
    capability it needs (None: everyone signed in)."""

    nav: str
    href: str
    label: str
    needs: Capability | None = None


#: The pages under Settings, in the sub-navigation's order.
SETTINGS = (
    NavLink("numbers", "/settings/numbers", "Receiving numbers"),
    NavLink("keywords", "/settings/keywords", "Keywords"),
    NavLink("keys", "/settings/keys", "API keys", Capability.MANAGE_KEYS),
    NavLink("webhooks", "/settings/webhooks", "Webhooks", Capability.MANAGE_WEBHOOKS),
    NavLink("rules", "/settings/rules", "Lifecycle rules", Capability.MANAGE_RULES),
    NavLink("people", "/people", "People", Capability.MANAGE_USERS),
)


def environment() -> Environment:
    """The Jinja2 environment of the staff pages (autoescaped)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True)
    )


def render(env: Environment, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A rendered page with the staff pages' headers."""
    html = env.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def page(
    env: Environment, name: str, session: StaffSession, status: int = 200, **context: Any
) -> HTMLResponse:
    """A page of the signed-in app: the frame knows who is signed in and what they may do."""
    principal = session.user.principal()
    can = {c.value: principal.can(c) for c in Capability}
    subnav = []
    if any(link.nav == context.get("nav") for link in SETTINGS):
        subnav = [link for link in SETTINGS if link.needs is None or principal.can(link.needs)]
    return render(env, name, status, session=session, can=can, subnav=subnav, **context)
