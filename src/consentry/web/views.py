"""How the hosted pages put a ledger answer into words: the template context, in one language."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from consentry.core.channels import Channel
from consentry.core.i18n import words
from consentry.core.status import Status
from consentry.ledger.preferences import Level, Outcome, PreferencePage

TEMPLATES = Path(__file__).parent / "templates"

#: Hosted pages carry the signed token in their URL; the app's security headers (no referrer,
#: no cache, no framing, no sniffing: decision 052) cover that. Their own policy adds only what
#: a page needs: its inline styles and posting its forms to this origin.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


def environment() -> Environment:
    """The Jinja2 environment of the hosted pages (autoescaped)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True)
    )


def render(env: Environment, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A rendered page with the hosted pages' headers."""
    html = env.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def level_label(t: dict[str, str], level: Level) -> str:
    """'Just this sender: …', 'Everything from …' for a level."""
    return t[f"level_{level.kind.value}"].format(name=level.name)


def channel_list(t: dict[str, str], channels: Sequence[Channel]) -> str:
    """The channels in words, joined."""
    return ", ".join(t[f"channel_{c.value}"] for c in channels)


def page_context(lang: str, page: PreferencePage, action: str) -> dict[str, Any]:
    """The context of the preferences page for one signed link."""
    t = words(lang)
    labels = {lv.scope_id: level_label(t, lv) for lv in page.levels}
    levels = [
        {
            "scope_id": lv.scope_id,
            "label": labels[lv.scope_id],
            "selected": lv.scope_id == page.claims.scope_id,
        }
        for lv in page.levels
    ]
    channels = []
    for state in page.channels:
        name = t[f"channel_{state.channel.value}"]
        rows = [
            {"level": labels[sid], "status": t[f"status_{state.statuses.get(sid, Status.NONE)}"]}
            for sid in labels
        ]
        effective = t[f"status_{state.effective.value}"]
        if state.awaiting_confirmation and state.effective is not Status.PENDING:
            effective += f" ({t['status_pending']})"
        channels.append(
            {
                "value": state.channel.value,
                "label": name,
                "effective": t["effective"].format(channel=name, status=effective),
                "rows": rows,
            }
        )
    title = t["title_unsubscribe" if page.claims.purpose == "unsubscribe" else "title_preferences"]
    return {
        "lang": lang,
        "t": t,
        "title": title,
        "action": action,
        "levels": levels,
        "channels": channels,
    }


def outcome_notice(lang: str, outcome: Outcome) -> str:
    """One sentence saying what the contact's POST did."""
    t = words(lang)
    return t[f"result_{outcome.result.value}"].format(
        channels=channel_list(t, outcome.channels), level=level_label(t, outcome.level)
    )
