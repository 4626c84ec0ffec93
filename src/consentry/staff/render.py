"""Rendering the staff pages: the Jinja2 environment, the headers, the signed-in frame."""

from __future__ import annotations

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
    return render(env, name, status, session=session, can=can, **context)
