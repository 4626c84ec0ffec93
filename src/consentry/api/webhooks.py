"""Outbound webhooks: subscriptions per scope, their attempts, replay (admins; decision 076)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, Field

from consentry.api.deps import IdempotencyDep, LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS, error_responses
from consentry.api.idempotency import in_one_transaction
from consentry.api.schemas import SCOPE, Checked, Counted, ScopeText, Strict, in_range
from consentry.core import limits
from consentry.core.webhooks import (
    MAX_EVENT_TYPES,
    URL,
    Attempt,
    DisabledReason,
    EventType,
    Subscription,
    WebhookDetail,
)
from consentry.ledger import Ledger

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], responses=COMMON_ERRORS)
WebhookId = Annotated[str, Checked(limits.ID, field="webhook_id")]
UrlText = Annotated[str, Checked(URL)]
Types = Annotated[list[Annotated[str, Checked(limits.WORD * 2)]], Counted(MAX_EVENT_TYPES)]
TYPES = f"Some of {[t.value for t in EventType]}; at most {MAX_EVENT_TYPES}."


class WebhookIn(Strict):
    """A subscription: the scope whose events (and its scopes' below) it takes, where they are
    posted (https, to a public host: decision 080) and which event types."""

    scope: ScopeText = SCOPE
    url: UrlText = Field(max_length=URL, examples=["https://crm.example.com/consentry"])
    event_types: Types = Field(examples=[["consent.opted_out"]], description=TYPES)


class WebhookPatch(Strict):
    """What to change; the fields not given stay."""

    url: Annotated[str | None, Checked(URL)] = Field(default=None, max_length=URL)
    event_types: Annotated[
        list[Annotated[str, Checked(limits.WORD * 2)]] | None, Counted(MAX_EVENT_TYPES)
    ] = Field(default=None, description=TYPES)
    enabled: bool | None = None


class ReplayIn(Strict):
    """Deliver again every event the subscription takes recorded at or after ``since``."""

    since: Annotated[AwareDatetime, in_range()] = Field(examples=["2026-01-05T09:00:00Z"])


class WebhookOut(BaseModel):
    """A subscription (its secret is never shown again)."""

    id: str
    scope_id: str
    url: str
    event_types: list[EventType]
    enabled: bool
    disabled_reason: DisabledReason | None
    disabled_at: datetime | None
    failures: int
    created_at: datetime

    @classmethod
    def of(cls, sub: Subscription) -> WebhookOut:
        """The API shape of a subscription."""
        return cls(
            id=sub.id, scope_id=sub.scope_id, url=sub.url,
            event_types=sorted(sub.event_types), enabled=sub.enabled,
            disabled_reason=sub.disabled_reason, disabled_at=sub.disabled_at,
            failures=sub.failures, created_at=sub.created_at,
        )  # fmt: skip


class AttemptOut(BaseModel):
    """One POST: the receiver's status code, or the error that stopped it."""

    delivery_id: str
    event_id: str
    event_type: EventType
    number: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    @classmethod
    def of(cls, a: Attempt) -> AttemptOut:
        """The API shape of an attempt."""
        return cls(
            delivery_id=a.delivery_id, event_id=a.event_id, event_type=a.event_type,
            number=a.number, at=a.at, status_code=a.status_code, error=a.error,
            duration_ms=a.duration_ms,
        )  # fmt: skip


class WebhookDetailOut(WebhookOut):
    """A subscription with its most recent attempts, newest first."""

    attempts: list[AttemptOut]

    @classmethod
    def of_detail(cls, detail: WebhookDetail) -> WebhookDetailOut:
        """The API shape of a subscription and its attempts."""
        attempts = [AttemptOut.of(a) for a in detail.attempts]
        return cls(**WebhookOut.of(detail.subscription).model_dump(), attempts=attempts)


class NewWebhook(BaseModel):
    """A new subscription and its signing secret (``whsec_…``): keep it now, it is shown this
    once. A retry with the same Idempotency-Key returns it with ``secret: null``."""

    webhook: WebhookOut
    secret: str | None


class WebhookList(BaseModel):
    """Subscriptions at and below the caller's scope."""

    webhooks: list[WebhookOut]


class Replayed(BaseModel):
    """How many deliveries the replay queued."""

    queued: int


@router.post("", status_code=201, response_model=NewWebhook, responses=error_responses(409))
def create_webhook(body: WebhookIn, principal: PrincipalDep, idem: IdempotencyDep) -> Response:
    """Subscribe a URL to a scope's events of some types (admins, within their scope)."""

    def create(ledger: Ledger) -> NewWebhook:
        sub, secret = ledger.create_webhook(
            principal, body.scope, body.url, event_types=body.event_types
        )
        return NewWebhook(webhook=WebhookOut.of(sub), secret=secret)

    return idem.run(201, create, redact=lambda new: NewWebhook(webhook=new.webhook, secret=None))


@router.get("", response_model=WebhookList)
def list_webhooks(ledger: LedgerDep, principal: PrincipalDep) -> WebhookList:
    """Subscriptions at and below the caller's scope."""
    return WebhookList(webhooks=[WebhookOut.of(s) for s in ledger.list_webhooks(principal)])


@router.get("/{webhook_id}", response_model=WebhookDetailOut)
def get_webhook(
    webhook_id: WebhookId, ledger: LedgerDep, principal: PrincipalDep
) -> WebhookDetailOut:
    """A subscription, why it is disabled if it is, and its recent attempts."""
    return WebhookDetailOut.of_detail(ledger.get_webhook(principal, webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookOut)
def update_webhook(
    webhook_id: WebhookId, body: WebhookPatch, ledger: LedgerDep, principal: PrincipalDep
) -> Response:
    """Change the URL or event types, disable it, or enable it again."""

    def update(led: Ledger) -> WebhookOut:
        changed = led.update_webhook(
            principal, webhook_id, url=body.url, event_types=body.event_types, enabled=body.enabled
        )
        return WebhookOut.of(changed)

    return in_one_transaction(ledger, principal, 200, update)


@router.delete("/{webhook_id}", response_model=WebhookOut)
def delete_webhook(webhook_id: WebhookId, ledger: LedgerDep, principal: PrincipalDep) -> Response:
    """Delete a subscription with its waiting deliveries and attempts."""
    return in_one_transaction(
        ledger, principal, 200, lambda led: WebhookOut.of(led.delete_webhook(principal, webhook_id))
    )


@router.post(
    "/{webhook_id}/replay",
    status_code=202,
    response_model=Replayed,
    responses=error_responses(409),
)
def replay_webhook(
    webhook_id: WebhookId, body: ReplayIn, principal: PrincipalDep, idem: IdempotencyDep
) -> Response:
    """Queue again every event the subscription takes recorded since a moment."""
    return idem.run(
        202,
        lambda ledger: Replayed(
            queued=ledger.replay_webhook(principal, webhook_id, since=body.since)
        ),
    )
