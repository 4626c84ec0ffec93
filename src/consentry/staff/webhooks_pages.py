"""Outbound webhook subscriptions in the staff app (issue 10; decisions 076 and 081).

Admins with ``manage_webhooks`` see the subscriptions in their reach (URL, scope, event types,
enabled or disabled and why, failed attempts in a row), add one (its signing secret is shown on
the answer to the form, this once: it is derived, never stored, and the API shows it once too),
and on a subscription's own page see its recent attempts, disable or enable it, change its URL
or event types, replay the events recorded since a moment, and delete it after a tick. Every
form carries the session's CSRF token; the ledger decides who may, as for the API. A refusal
of what was typed (``invalid`` and its kinds) is shown next to the form, which keeps its values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment
from starlette.datastructures import FormData

from consentry.core import limits
from consentry.core.errors import EvidenceRequired, Invalid
from consentry.core.permissions import Capability, Principal, authorise
from consentry.core.webhooks import MAX_EVENT_TYPES, URL, DisabledReason, EventType, Subscription
from consentry.ledger import Ledger
from consentry.staff.forms import Fields, confirmed_removal, signed_form
from consentry.staff.render import page
from consentry.staff.session import signed_in

#: The forms' fields: the longest each may be and how often it may repeat (decision 050).
FIELDS: Fields = {
    "csrf": (128, 1),
    "url": (URL, 1),
    "scope": (limits.SCOPE_ID, 1),
    "event_types": (limits.WORD * 2, MAX_EVENT_TYPES),
    "enabled": (limits.WORD, 1),
    "since": (limits.WORD, 1),
    "confirm": (limits.WORD, 1),
}
#: The refusals of what was typed: shown next to the form (422, as the error map says).
FORM_ERRORS = (Invalid, EvidenceRequired)

#: Each event type in words, in the order the form offers them.
EVENT_WORDS: dict[EventType, str] = {
    EventType.CONSENT_OPTED_IN: "Opted in",
    EventType.CONSENT_OPTED_OUT: "Opted out",
    EventType.CONSENT_RESUBSCRIBED: "Re-subscribed",
    EventType.CONSENT_CONFIRMATION_REQUESTED: "Confirmation requested",
    EventType.CONSENT_CONFIRMED: "Confirmed",
    EventType.CONSENT_CONFIRMATION_EXPIRED: "Confirmation expired",
    EventType.CONSENT_CONFIRMATION_CANCELLED: "Confirmation cancelled",
    EventType.SUPPRESSION_ADDED: "Suppressed (a bounce or a complaint)",
    EventType.SUPPRESSION_CLEARED: "Suppression cleared",
    EventType.CONTACT_ERASED: "Contact erased",
    EventType.JOURNEY_MISSED: "Journey message missed",
    EventType.JOURNEY_RESEND_REQUESTED: "Journey re-send requested",
    EventType.JOURNEY_TRIGGERED: "Scheduled journey message due",
    EventType.VIOLATION_RECORDED: "Violation (a send that was not allowed)",
}
#: What a page says after a change (``?done=``).
NOTICES = {
    "enabled": "Webhook enabled: its waiting deliveries go out on the worker's next pass",
    "disabled": "Webhook disabled: nothing is sent to it until it is enabled again",
    "changed": "Webhook changed",
    "deleted": "Webhook deleted",
}


@dataclass(frozen=True, slots=True)
class Row:
    """A subscription as the pages show it."""

    sub: Subscription
    host: str  # where it posts, in short
    state: str  # enabled, or disabled and why


@dataclass(frozen=True, slots=True)
class Typed:
    """What a webhook form holds: as posted, or a subscription's own (to change it)."""

    url: str = ""
    scope: str = ""
    event_types: frozenset[str] = frozenset()
    since: str = ""


def at(moment: datetime) -> str:
    """A moment as the pages write it (UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def state_of(sub: Subscription) -> str:
    """Enabled, or disabled after repeated failure since …, or disabled by an admin on …"""
    if sub.enabled:
        return "Enabled"
    when = at(sub.disabled_at) if sub.disabled_at else "a moment not kept"
    if sub.disabled_reason is DisabledReason.REPEATED_FAILURE:
        since = at(sub.failing_since) if sub.failing_since else when
        return f"Disabled after repeated failure since {since} (disabled {when})"
    return f"Disabled by an admin on {when}"


def row(sub: Subscription) -> Row:
    """A subscription with its host and its state in words."""
    return Row(sub, urlsplit(sub.url).hostname or sub.url, state_of(sub))


def since_of(text: str) -> datetime:
    """The replay form's moment: a date and time, read as UTC unless it names its offset."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(
            "give the moment to replay from as a date and a time (UTC), such as 2026-01-05 09:00",
            field="since",
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def typed(form: FormData) -> Typed:
    """The values posted, to show them again beside a refusal."""
    return Typed(
        url=str(form.get("url", "")), scope=str(form.get("scope", "")),
        event_types=frozenset(str(t) for t in form.getlist("event_types")),
        since=str(form.get("since", "")),
    )  # fmt: skip


def types_of(form: FormData) -> list[str]:
    """The ticked event types."""
    return [str(t) for t in form.getlist("event_types")]


def router(ledger: Ledger, env: Environment) -> APIRouter:
    """``/settings/webhooks``: the list, a subscription's page and their forms."""
    r = APIRouter(include_in_schema=False)

    def list_page(
        request: Request, status: int = 200, *, form: Typed | None = None, **more: object
    ) -> Response:
        session = signed_in(ledger, request)
        principal = session.user.principal()
        authorise(principal, Capability.MANAGE_WEBHOOKS)
        subs = ledger.list_webhooks(principal)
        return page(
            env, "webhooks.html", session, status, title="Webhooks", nav="webhooks",
            rows=[row(s) for s in subs], scopes=_scopes(ledger, principal), words=EVENT_WORDS,
            form=form or Typed(scope=principal.scope_id),
            notice=NOTICES.get(request.query_params.get("done", "")), **more,
        )  # fmt: skip

    def detail_page(
        request: Request, webhook_id: str, status: int = 200, **more: object
    ) -> Response:
        session = signed_in(ledger, request)
        detail = ledger.get_webhook(session.user.principal(), webhook_id)
        shown = row(detail.subscription)
        sub = detail.subscription
        more.setdefault("form", Typed(url=sub.url, event_types=frozenset(sub.event_types)))
        return page(
            env, "webhook.html", session, status, title=f"Webhook to {shown.host}",
            nav="webhooks", row=shown, attempts=detail.attempts, words=EVENT_WORDS,
            notice=_notice(request), **more,
        )  # fmt: skip

    async def webhooks(request: Request) -> Response:
        return list_page(request)

    async def add(request: Request) -> Response:
        form, session = await signed_form(ledger, request, FIELDS)
        principal = session.user.principal()
        try:
            sub, secret = ledger.create_webhook(
                principal, str(form.get("scope", "")), str(form.get("url", "")),
                event_types=types_of(form),
            )  # fmt: skip
        except FORM_ERRORS as exc:
            return list_page(request, 422, form=typed(form), error=exc)
        return list_page(request, 201, made=row(sub), secret=secret)  # the secret, this once

    async def detail(request: Request, webhook_id: str) -> Response:
        return detail_page(request, webhook_id)

    async def change(request: Request, webhook_id: str) -> Response:
        form, session = await signed_form(ledger, request, FIELDS)
        try:
            ledger.update_webhook(
                session.user.principal(), webhook_id, url=str(form.get("url", "")),
                event_types=types_of(form),
            )  # fmt: skip
        except FORM_ERRORS as exc:
            return detail_page(request, webhook_id, 422, form=typed(form), error=exc,
                               failed="change")  # fmt: skip
        return _back(webhook_id, "done=changed")

    async def enable(request: Request, webhook_id: str) -> Response:
        form, session = await signed_form(ledger, request, FIELDS)
        wanted = form.get("enabled")
        if wanted not in ("yes", "no"):
            raise Invalid("choose to enable or to disable the webhook", field="enabled")
        ledger.update_webhook(session.user.principal(), webhook_id, enabled=wanted == "yes")
        return _back(webhook_id, "done=enabled" if wanted == "yes" else "done=disabled")

    async def replay(request: Request, webhook_id: str) -> Response:
        form, session = await signed_form(ledger, request, FIELDS)
        try:
            since = since_of(str(form.get("since", "")))
            queued = ledger.replay_webhook(session.user.principal(), webhook_id, since=since)
        except FORM_ERRORS as exc:
            return detail_page(request, webhook_id, 422, since=typed(form).since, error=exc,
                               failed="replay")  # fmt: skip
        return _back(webhook_id, f"queued={queued}")

    async def confirm_delete(request: Request, webhook_id: str) -> Response:
        session = signed_in(ledger, request)
        detail = ledger.get_webhook(session.user.principal(), webhook_id)
        shown = row(detail.subscription)
        return page(
            env, "webhook_delete.html", session, title=f"Delete the webhook to {shown.host}",
            nav="webhooks", row=shown,
        )  # fmt: skip

    async def delete(request: Request, webhook_id: str) -> Response:
        return await confirmed_removal(
            ledger, request, FIELDS, webhook_id, find=ledger.get_webhook,
            remove=ledger.delete_webhook, understood="I understand this cannot be undone",
            to="delete", done="/settings/webhooks?done=deleted",
        )  # fmt: skip

    r.add_api_route("/settings/webhooks", webhooks, methods=["GET"])
    r.add_api_route("/settings/webhooks", add, methods=["POST"])
    r.add_api_route("/settings/webhooks/{webhook_id}", detail, methods=["GET"])
    r.add_api_route("/settings/webhooks/{webhook_id}", change, methods=["POST"])
    r.add_api_route("/settings/webhooks/{webhook_id}/enabled", enable, methods=["POST"])
    r.add_api_route("/settings/webhooks/{webhook_id}/replay", replay, methods=["POST"])
    r.add_api_route("/settings/webhooks/{webhook_id}/delete", confirm_delete, methods=["GET"])
    r.add_api_route("/settings/webhooks/{webhook_id}/delete", delete, methods=["POST"])
    return r


def _scopes(ledger: Ledger, principal: Principal) -> list[str]:
    return [s.id for s in ledger.list_scopes(principal)]


def _notice(request: Request) -> str | None:
    queued = request.query_params.get("queued", "")
    if queued.isdecimal() and len(queued) < 10:
        n = int(queued)
        return f"Replay queued: {n} {'delivery' if n == 1 else 'deliveries'} to go out again"
    return NOTICES.get(request.query_params.get("done", ""))


def _back(webhook_id: str, query: str) -> RedirectResponse:
    return RedirectResponse(f"/settings/webhooks/{quote(webhook_id)}?{query}", status_code=303)
