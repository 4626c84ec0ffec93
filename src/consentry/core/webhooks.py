"""Outbound webhooks: event types, subscriptions, the retry schedule and the payload (decision 076).

A subscription belongs to a scope and sees the events recorded at that scope and below it (a
group's sees them all), of the event types it names. Every recorded event that one matches is
a delivery, written in the transaction that records the event; ``consentry worker`` posts it,
signed per the Standard Webhooks spec, and retries a failure on the schedule below:

    attempt n fails → next attempt after min(30 s * 2^(n-1), 6 h), ±20 % jitter
    MAX_ATTEMPTS (16, about 38 hours) failed → the delivery is given up (``failed``)
    DISABLE_AFTER_FAILURES (10) failed attempts in a row, the first DISABLE_AFTER (24 h) ago
        → the subscription is disabled, reason ``repeated_failure``

The payload holds ids, enums and times only: no address, no name, no evidence (personal data
stays in Consentry, so an erasure leaves no copy behind). All enum values are stored strings:
add, never rename or remove.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from consentry.core import limits
from consentry.core.errors import (
    Invalid,
    InvalidEventType,
    InvalidWebhookUrl,
    WebhookUrlNotPublic,
)
from consentry.core.events import Action, ConsentEvent
from consentry.core.public_addresses import Address, is_local_name, is_public, literal_address
from consentry.core.scopes import is_within

URL = 2000  #: the longest subscription URL (characters)
MAX_EVENT_TYPES = 32  #: event types one subscription names
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})  #: where plain http may go

RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=6)
JITTER = 0.2  #: ± this fraction of the delay
MAX_ATTEMPTS = 16
DISABLE_AFTER_FAILURES = 10
DISABLE_AFTER = timedelta(hours=24)
LEASE = timedelta(minutes=5)  #: a claimed delivery is due again this long after a lost worker
LEASE_MIN = timedelta(seconds=1)  #: the shortest lease a worker may take (``--lease``)
LEASE_MAX = timedelta(hours=1)  #: and the longest
ERROR = 200  #: the longest attempt error kept (characters)


class EventType(StrEnum):
    """What a webhook announces, ``resource.verb``. Add, never rename or remove."""

    CONSENT_OPTED_IN = "consent.opted_in"
    CONSENT_OPTED_OUT = "consent.opted_out"
    CONSENT_RESUBSCRIBED = "consent.resubscribed"
    CONSENT_CONFIRMATION_REQUESTED = "consent.confirmation_requested"
    CONSENT_CONFIRMED = "consent.confirmed"
    CONSENT_CONFIRMATION_EXPIRED = "consent.confirmation_expired"
    CONSENT_CONFIRMATION_CANCELLED = "consent.confirmation_cancelled"
    SUPPRESSION_ADDED = "suppression.added"
    SUPPRESSION_CLEARED = "suppression.cleared"
    CONTACT_ERASED = "contact.erased"
    #: notices (``Notice``): raised by journeys and send reports, not by a ledger action
    JOURNEY_MISSED = "journey.missed"  #: a journey message the contact was not eligible for
    JOURNEY_RESEND_REQUESTED = "journey.resend_requested"  #: staff asked to send it again
    JOURNEY_TRIGGERED = "journey.triggered"  #: a scheduled journey's eligible message (078)
    VIOLATION_RECORDED = "violation.recorded"  #: a reported send that was not eligible (079)


_OF_ACTION = {
    Action.BOUNCED: EventType.SUPPRESSION_ADDED,
    Action.COMPLAINED: EventType.SUPPRESSION_ADDED,
    Action.SUPPRESSION_CLEARED: EventType.SUPPRESSION_CLEARED,
    Action.ERASED: EventType.CONTACT_ERASED,
}


def event_type(action: Action) -> EventType:
    """The webhook event type of a ledger action (``consent.<action>`` unless a suppression or
    an erasure)."""
    return _OF_ACTION.get(action) or EventType(f"consent.{action.value}")


class DisabledReason(StrEnum):
    """Why a subscription is disabled. Add, never rename or remove."""

    BY_ADMIN = "disabled_by_admin"
    REPEATED_FAILURE = "repeated_failure"


class DeliveryStatus(StrEnum):
    """Where a delivery stands. Add, never rename or remove."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  #: given up after ``MAX_ATTEMPTS``


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    """Where a scope's events of some types are posted; never its secret (derived, decision 076)."""

    id: str
    group_id: str
    scope_id: str
    url: str
    event_types: frozenset[EventType]
    enabled: bool
    disabled_reason: DisabledReason | None
    disabled_at: datetime | None
    failures: int  #: failed attempts in a row
    failing_since: datetime | None  #: the first of them
    created_by: str
    created_at: datetime
    updated_at: datetime

    def matches(self, kind: EventType, scope_id: str) -> bool:
        """True when an enabled subscription takes an event of ``kind`` at ``scope_id``."""
        return self.enabled and kind in self.event_types and is_within(scope_id, self.scope_id)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One POST of a delivery and how it ended."""

    delivery_id: str
    event_id: str
    event_type: EventType
    number: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A claimed delivery: what the worker posts (``body``, the payload), and to whom."""

    delivery_id: str
    subscription_id: str
    url: str
    attempts: int  #: made before this one
    event_id: str  #: the consent event's or the notice's id
    event_type: EventType
    body: str


NoticeValue = str | int | bool | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """Something webhooks announce that is not a consent event: a missed journey message, a
    re-send request, a violation. Written with the change that raises it, in its transaction;
    ``data`` holds ids, enums and ISO times only (no address, no name: see the module's note)."""

    id: str
    kind: EventType
    group_id: str
    scope_id: str
    at: datetime
    data: Mapping[str, NoticeValue]


@dataclass(frozen=True, slots=True)
class SendResult:
    """What the receiver answered (``status_code``), or why nothing came back (``error``)."""

    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True, slots=True)
class PassReport:
    """What one pass of the worker did."""

    delivered: int = 0
    retrying: int = 0
    given_up: int = 0
    disabled: tuple[str, ...] = ()

    @property
    def attempted(self) -> int:
        """Deliveries posted in the pass."""
        return self.delivered + self.retrying + self.given_up


# ── input ──
def check_url(url: str, *, allow_private: bool = False) -> str:
    """An https URL to a public host, never with credentials. Only with ``allow_private``
    (tests, the demo; decision 080) may it name a private or loopback host, and plain http to
    this machine."""
    text = limits.text(url.strip(), field="url", max_length=URL)
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - refuses a port that is not a number
        address = literal_address(host or "")
    except ValueError as exc:
        raise InvalidWebhookUrl(f"{text!r} is not a URL", url=text) from exc
    if not allow_private and host and _not_public(host, address):
        raise WebhookUrlNotPublic(
            f"{host!r} is not a public host: a webhook never goes to a private network", url=text
        )
    secure = parts.scheme == "https" and bool(host)
    if not secure and not (parts.scheme == "http" and host in LOCAL_HOSTS):
        raise InvalidWebhookUrl(
            "a webhook URL is https (plain http only to localhost or 127.0.0.1)", url=text
        )
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise InvalidWebhookUrl("a webhook URL holds no credentials and no fragment", url=text)
    return text


def _not_public(host: str, address: Address | None) -> bool:
    return is_local_name(host) if address is None else not is_public(str(address))


def parse_event_types(values: Collection[str]) -> frozenset[EventType]:
    """At least one known event type (``invalid_event_type`` names the unknown)."""
    limits.items(values, field="event_types", max_items=MAX_EVENT_TYPES)
    if not values:
        raise Invalid("name at least one event type", field="event_types")
    found: set[EventType] = set()
    for value in values:
        try:
            found.add(EventType(str(value).strip().lower()))
        except ValueError:
            allowed = ", ".join(t.value for t in EventType)
            raise InvalidEventType(
                f"unknown event type {value!r}; use one of {allowed}", event_type=str(value)
            ) from None
    return frozenset(found)


# ── the schedule ──
def retry_delay(attempts: int, spread: float) -> timedelta:
    """The wait after ``attempts`` failed attempts; ``spread`` in [-1, 1] picks the jitter."""
    base: timedelta = min(RETRY_BASE * 2 ** min(attempts - 1, 20), RETRY_CAP)
    return base * (1 + JITTER * max(-1.0, min(1.0, spread)))


def next_attempt(now: datetime, attempts: int, spread: float) -> datetime | None:
    """When to try again after ``attempts`` failed attempts; None: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + retry_delay(attempts, spread)


def should_disable(failures: int, failing_since: datetime | None, now: datetime) -> bool:
    """True when every attempt for a day has failed, at least ``DISABLE_AFTER_FAILURES``."""
    if failing_since is None or failures < DISABLE_AFTER_FAILURES:
        return False
    return now - failing_since >= DISABLE_AFTER


# ── the payload ──
def payload(event: ConsentEvent) -> str:
    """The Standard Webhooks body of an event: ids, enums and times, no personal data."""
    data = {
        "event_id": event.id,
        "contact_id": event.contact_id,
        "group_id": event.group_id,
        "channel": event.channel.value,
        "scope": event.scope_id,
        "action": event.action.value,
        "strength": event.strength.value,
        "source": event.source.value,
        "occurred_at": event.occurred_at.isoformat(),
        "recorded_at": event.recorded_at.isoformat(),
        "reason": event.reason,
    }
    body = {
        "type": event_type(event.action).value,
        "timestamp": event.recorded_at.isoformat(),
        "data": data,
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True)


def notice_payload(notice: Notice) -> str:
    """The Standard Webhooks body of a notice: its own fields, then its id, group and scope."""
    data: dict[str, NoticeValue] = {
        **notice.data,
        "notice_id": notice.id,
        "group_id": notice.group_id,
        "scope": notice.scope_id,
    }
    body = {"type": notice.kind.value, "timestamp": notice.at.isoformat(), "data": data}
    return json.dumps(body, separators=(",", ":"), sort_keys=True)


def clipped(error: str) -> str:
    """An attempt's error as kept: one line of at most ``ERROR`` characters."""
    line = " ".join(error.split())
    return line[: ERROR - 1] + "…" if len(line) > ERROR else line


@dataclass(frozen=True, slots=True)
class WebhookDetail:
    """A subscription with its most recent attempts, newest first (what an admin looks at)."""

    subscription: Subscription
    attempts: tuple[Attempt, ...]
