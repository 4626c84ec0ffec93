"""``consentry webhooks add|list|show|update|remove|replay``: outbound webhook subscriptions of
a group, as the API's ``/v1/webhooks`` (decisions 076, 080). ``consentry worker`` sends them."""

from __future__ import annotations

from datetime import datetime

import click

from consentry.cli.audit import parse_moment
from consentry.cli.common import Env, json_option, operator, pass_env
from consentry.cli.render import echo_json, table, when
from consentry.core.webhooks import Attempt, EventType, Subscription

EVENTS = ", ".join(t.value for t in EventType)
HEADERS = ["id", "scope", "url", "events", "enabled", "disabled", "failures"]


@click.group()
def webhooks() -> None:
    """Outbound webhooks: a scope's consent changes, suppressions and erasures, posted signed
    (Standard Webhooks) to a URL."""


@webhooks.command("add")
@click.option("--scope", required=True, help="Whose events (and its scopes' below) it takes.")
@click.option("--url", required=True, help="Where they are posted: https, to a public host.")
@click.option(
    "--event", "events", multiple=True, required=True, help=f"An event type (repeatable): {EVENTS}."
)
@json_option
@pass_env
def add(env: Env, scope: str, url: str, events: tuple[str, ...], as_json: bool) -> None:
    """Subscribe a URL; its signing secret (whsec_…) is shown this once."""
    sub, secret = env.ledger().create_webhook(operator(scope), scope, url, event_types=events)
    if as_json:
        echo_json({"webhook": _data(sub), "secret": secret})
        return
    _show([sub])
    click.echo(f"secret: {secret}  (shown this once: keep it now)")


@webhooks.command("list")
@click.option("--group", required=True, help="The group whose subscriptions to list.")
@json_option
@pass_env
def list_webhooks(env: Env, group: str, as_json: bool) -> None:
    """The group's subscriptions."""
    found = env.ledger().list_webhooks(operator(group))
    echo_json([_data(s) for s in found]) if as_json else _show(found)


@webhooks.command("show")
@click.option("--group", required=True, help="The group of the subscription.")
@click.argument("webhook_id")
@json_option
@pass_env
def show(env: Env, group: str, webhook_id: str, as_json: bool) -> None:
    """A subscription, why it is disabled if it is, and its most recent attempts."""
    detail = env.ledger().get_webhook(operator(group), webhook_id)
    attempts = [_attempt(a) for a in detail.attempts]
    if as_json:
        echo_json({**_data(detail.subscription), "attempts": attempts})
        return
    _show([detail.subscription])
    rows = [(a["at"], a["number"], a["event_type"], a["status_code"] or "", a["error"] or "")
            for a in attempts]  # fmt: skip
    click.echo(table(["attempted", "attempt", "event", "status", "error"], rows))


@webhooks.command("update")
@click.option("--group", required=True, help="The group of the subscription.")
@click.argument("webhook_id")
@click.option("--url", help="A new URL.")
@click.option("--event", "events", multiple=True, help="The new event types (repeatable).")
@click.option(
    "--enable/--disable",
    "enabled",
    default=None,
    help="Enable it again (its failures are forgotten), or disable it.",
)
@json_option
@pass_env
def update(
    env: Env,
    group: str,
    webhook_id: str,
    url: str | None,
    events: tuple[str, ...],
    enabled: bool | None,
    as_json: bool,
) -> None:
    """Change a subscription's URL or event types, disable it, or enable it again."""
    changed = env.ledger().update_webhook(
        operator(group), webhook_id, url=url, event_types=events or None, enabled=enabled
    )
    echo_json(_data(changed)) if as_json else _show([changed])


@webhooks.command("remove")
@click.option("--group", required=True, help="The group of the subscription.")
@click.argument("webhook_id")
@json_option
@pass_env
def remove(env: Env, group: str, webhook_id: str, as_json: bool) -> None:
    """Delete a subscription with its waiting deliveries and attempts."""
    gone = env.ledger().delete_webhook(operator(group), webhook_id)
    echo_json(_data(gone)) if as_json else _show([gone])


@webhooks.command("replay")
@click.option("--group", required=True, help="The group of the subscription.")
@click.argument("webhook_id")
@click.option(
    "--since", required=True, callback=parse_moment, help="ISO 8601; without a zone, UTC."
)
@json_option
@pass_env
def replay(env: Env, group: str, webhook_id: str, since: datetime, as_json: bool) -> None:
    """Queue again every event it takes recorded since a moment (the worker sends them)."""
    queued = env.ledger().replay_webhook(operator(group), webhook_id, since=since)
    echo_json({"queued": queued}) if as_json else click.echo(f"queued {queued}")


def _show(found: list[Subscription]) -> None:
    rows = [(s.id, s.scope_id, s.url, ",".join(sorted(s.event_types)), "yes" if s.enabled
             else "no", s.disabled_reason or "", s.failures) for s in found]  # fmt: skip
    click.echo(table(HEADERS, rows))


def _data(sub: Subscription) -> dict[str, object]:
    return {
        "id": sub.id, "scope_id": sub.scope_id, "url": sub.url,
        "event_types": sorted(t.value for t in sub.event_types), "enabled": sub.enabled,
        "disabled_reason": None if sub.disabled_reason is None else sub.disabled_reason.value,
        "disabled_at": when(sub.disabled_at), "failures": sub.failures,
        "created_at": when(sub.created_at),
    }  # fmt: skip


def _attempt(a: Attempt) -> dict[str, object]:
    return {
        "delivery_id": a.delivery_id, "event_id": a.event_id, "event_type": a.event_type.value,
        "number": a.number, "at": when(a.at), "status_code": a.status_code, "error": a.error,
        "duration_ms": a.duration_ms,
    }  # fmt: skip
