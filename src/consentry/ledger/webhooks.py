"""Outbound webhooks: subscriptions per scope, and the worker's delivery pass (decision 076).

Admins manage the subscriptions of their scope and below (``manage_webhooks``): create (the
signing secret is returned once; it is derived, never stored), list, get with recent attempts
and why it is disabled, update (URL, event types, enabled), delete, and replay the events
recorded since a moment. The deliveries themselves are written by ``Tx.append`` with each
event, in its transaction; ``deliver_webhooks`` is one pass of ``consentry worker``:

    claim due deliveries (a short write transaction; a lease under a claim token)
      → post each, signed, outside any transaction (``WebhookSender``)
      → record each attempt in its own transaction: delivered, due again after the backoff,
        or given up; the subscription's failures in a row, and disabled once every attempt
        for a day has failed (``core.webhooks.should_disable``)
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import datetime, timedelta

from consentry.core import limits
from consentry.core.errors import Invalid, WebhookNotFound
from consentry.core.ids import new_id
from consentry.core.permissions import Capability, Principal, authorise
from consentry.core.scopes import is_within
from consentry.core.webhooks import (
    LEASE,
    LEASE_MAX,
    LEASE_MIN,
    Attempt,
    DeliveryStatus,
    DisabledReason,
    Outgoing,
    PassReport,
    SendResult,
    Subscription,
    WebhookDetail,
    check_url,
    next_attempt,
    parse_event_types,
    should_disable,
)
from consentry.ledger.context import Context
from consentry.ledger.ports import WebhookSecrets, WebhookSender, WebhookTx
from consentry.ledger.steps import load_scope

BATCH = 50  #: deliveries one pass claims
RECENT = 20  #: attempts shown with a subscription


def create_webhook(
    ctx: Context, principal: Principal, scope_id: str, url: str, *, event_types: Collection[str]
) -> tuple[Subscription, str]:
    """A subscription to the scope's events of these types; it and its secret, shown once."""
    authorise(principal, Capability.MANAGE_WEBHOOKS)
    target = check_url(url, allow_private=ctx.webhook_allow_private)
    types, signing = parse_event_types(event_types), _secrets(ctx)
    now = ctx.clock.now()
    with ctx.store.transaction() as tx:
        scope = load_scope(ctx, tx, principal, scope_id)
        authorise(principal, Capability.MANAGE_WEBHOOKS, scope.id)
        sub = Subscription(
            id=new_id("wh", now), group_id=scope.group_id, scope_id=scope.id, url=target,
            event_types=types, enabled=True, disabled_reason=None, disabled_at=None,
            failures=0, failing_since=None, created_by=principal.id, created_at=now,
            updated_at=now,
        )  # fmt: skip
        tx.webhooks().add_subscription(sub)
        secret = signing.secret(sub.id)
        tx.commit()
    return sub, secret


def list_webhooks(ctx: Context, principal: Principal) -> list[Subscription]:
    """The subscriptions at and below the principal's scope."""
    authorise(principal, Capability.MANAGE_WEBHOOKS)
    with ctx.store.transaction(write=False) as tx:
        subs = tx.webhooks().list_subscriptions(principal.group_id)
    return [s for s in subs if is_within(s.scope_id, principal.scope_id)]


def get_webhook(ctx: Context, principal: Principal, webhook_id: str) -> WebhookDetail:
    """A subscription, why it is disabled if it is, and its most recent attempts."""
    with ctx.store.transaction(write=False) as tx:
        sub = _load(tx.webhooks(), principal, webhook_id)
        attempts = tx.webhooks().recent_attempts(sub.id, RECENT)
    return WebhookDetail(sub, tuple(attempts))


def update_webhook(
    ctx: Context,
    principal: Principal,
    webhook_id: str,
    *,
    url: str | None = None,
    event_types: Collection[str] | None = None,
    enabled: bool | None = None,
) -> Subscription:
    """Change a subscription's URL, event types or whether it is enabled (enabling it again
    forgets its failures; its waiting deliveries go out on the worker's next pass)."""
    target = None if url is None else check_url(url, allow_private=ctx.webhook_allow_private)
    types = None if event_types is None else parse_event_types(event_types)
    now = ctx.clock.now()
    with ctx.store.transaction() as tx:
        hooks = tx.webhooks()
        sub = _load(hooks, principal, webhook_id)
        changed = replace(
            _enabled(sub, enabled, now), url=target or sub.url,
            event_types=types or sub.event_types, updated_at=now,
        )  # fmt: skip
        hooks.update_subscription(changed)
        tx.commit()
    return changed


def delete_webhook(ctx: Context, principal: Principal, webhook_id: str) -> Subscription:
    """Delete a subscription, its waiting deliveries and its attempts."""
    with ctx.store.transaction() as tx:
        sub = _load(tx.webhooks(), principal, webhook_id)
        tx.webhooks().delete_subscription(sub.id)
        tx.commit()
    return sub


def replay_webhook(ctx: Context, principal: Principal, webhook_id: str, *, since: datetime) -> int:
    """Deliver again every event the subscription takes recorded since ``since``; how many."""
    limits.instant(since, field="since")
    now = ctx.clock.now()
    if since > now:
        raise Invalid("replay from a moment in the past", field="since")
    with ctx.store.transaction() as tx:
        sub = _load(tx.webhooks(), principal, webhook_id)
        queued = tx.webhooks().replay(sub, since, now, lambda at: new_id("wd", at))
        tx.commit()
    return queued


def deliver_webhooks(
    ctx: Context,
    sender: WebhookSender,
    *,
    limit: int = BATCH,
    lease: timedelta = LEASE,
    jitter: Callable[[], float] = lambda: random.uniform(-1.0, 1.0),
) -> PassReport:
    """One pass of the worker: claim what is due, post it signed, record every attempt.

    A claimed delivery is the worker's for ``lease`` (``LEASE_MIN`` to ``LEASE_MAX``); one it
    has not recorded by then is due again, for another worker (at least once, decision 076)."""
    if not LEASE_MIN <= lease <= LEASE_MAX:
        raise Invalid(f"a lease is {LEASE_MIN} to {LEASE_MAX}", field="lease")
    signing = _secrets(ctx)
    now = ctx.clock.now()
    claim = new_id("claim", now)
    with ctx.store.transaction() as tx:
        due = tx.webhooks().claim_due(now, lease_until=now + lease, claim=claim, limit=limit)
        tx.commit()
    report = PassReport()
    for delivery in due:
        secret = signing.secret(delivery.subscription_id)
        sent = sender.send(
            delivery.url, secret, message_id=delivery.delivery_id, body=delivery.body
        )
        report = _record(ctx, delivery, claim, sent, jitter(), report)
    return report


def _record(
    ctx: Context,
    delivery: Outgoing,
    claim: str,
    sent: SendResult,
    spread: float,
    report: PassReport,
) -> PassReport:
    """Keep one attempt, the delivery's next state and the subscription's (own transaction)."""
    at = ctx.clock.now()
    attempt = Attempt(
        delivery.delivery_id, delivery.event_id, delivery.event_type, delivery.attempts + 1, at,
        sent.status_code, sent.error, sent.duration_ms,
    )  # fmt: skip
    retry = None if attempt.ok else next_attempt(at, attempt.number, spread)
    status = DeliveryStatus.DELIVERED if attempt.ok else DeliveryStatus.PENDING
    if not attempt.ok and retry is None:
        status = DeliveryStatus.FAILED
    with ctx.store.transaction() as tx:
        hooks = tx.webhooks()
        if not hooks.finish(delivery, attempt, claim=claim, status=status, next_at=retry):
            return report  # the lease ran out and another worker holds it now
        disabled = () if attempt.ok else _disable_if_failing(hooks, delivery.subscription_id, at)
        tx.commit()
    return replace(
        report,
        delivered=report.delivered + (status is DeliveryStatus.DELIVERED),
        retrying=report.retrying + (status is DeliveryStatus.PENDING),
        given_up=report.given_up + (status is DeliveryStatus.FAILED),
        disabled=report.disabled + disabled,
    )


def _disable_if_failing(hooks: WebhookTx, subscription_id: str, now: datetime) -> tuple[str, ...]:
    sub = hooks.get_subscription(subscription_id)
    if sub is None or not sub.enabled or not should_disable(sub.failures, sub.failing_since, now):
        return ()
    hooks.update_subscription(
        replace(
            sub, enabled=False, disabled_reason=DisabledReason.REPEATED_FAILURE,
            disabled_at=now, updated_at=now,
        )
    )  # fmt: skip
    return (sub.id,)


def _enabled(sub: Subscription, enabled: bool | None, now: datetime) -> Subscription:
    if enabled is None or enabled == sub.enabled:
        return sub
    if enabled:
        return replace(
            sub, enabled=True, disabled_reason=None, disabled_at=None, failures=0,
            failing_since=None,
        )  # fmt: skip
    return replace(sub, enabled=False, disabled_reason=DisabledReason.BY_ADMIN, disabled_at=now)


def _load(hooks: WebhookTx, principal: Principal, webhook_id: str) -> Subscription:
    """The principal's group's subscription (``webhook_not_found``), within its reach."""
    authorise(principal, Capability.MANAGE_WEBHOOKS)
    limits.text(webhook_id, field="webhook_id", max_length=limits.ID)
    sub = hooks.get_subscription(webhook_id)
    if sub is None or sub.group_id != principal.group_id:
        raise WebhookNotFound(f"no webhook {webhook_id!r}", webhook_id=webhook_id)
    authorise(principal, Capability.MANAGE_WEBHOOKS, sub.scope_id)
    return sub


def _secrets(ctx: Context) -> WebhookSecrets:
    if ctx.webhook_secrets is None:
        raise Invalid("this deployment signs no webhooks: it has no webhook secrets configured")
    return ctx.webhook_secrets
