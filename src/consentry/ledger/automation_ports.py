"""The ports of the automation features — outbound webhooks, lifecycle rules, journeys, send
reports — on a transaction (``Tx.webhooks()``, ``rules()``, ``journeys()``, ``sends()``) and the
webhook worker's sender and secrets. Protocols only, as in ``ports.py``, which re-exports them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Protocol

from consentry.core.channels import Channel
from consentry.core.compliance import SendCount, ViolatedOptOut
from consentry.core.events import ConsentEvent
from consentry.core.journeys import (
    JourneyMessage,
    MissedFilter,
    Resend,
    RunReport,
    ScheduledJourney,
)
from consentry.core.rules import Rule, Skip
from consentry.core.sends import Send, Violation, ViolationFilter
from consentry.core.webhooks import (
    Attempt,
    DeliveryStatus,
    Notice,
    Outgoing,
    SendResult,
    Subscription,
)


# ── outbound webhooks (decision 076) ──
class WebhookTx(Protocol):
    """Subscriptions, the delivery outbox and attempts, on one transaction (``Tx.webhooks()``).

    The deliveries of a recorded event are not written here: ``Tx.append`` writes them with the
    event, so no path records an event without them."""

    def add_subscription(self, sub: Subscription) -> None: ...
    def get_subscription(self, subscription_id: str) -> Subscription | None: ...
    def list_subscriptions(self, group_id: str) -> list[Subscription]: ...
    def update_subscription(self, sub: Subscription) -> None: ...
    def delete_subscription(self, subscription_id: str) -> None:
        """Delete it with its deliveries and attempts."""
        ...

    def claim_due(
        self, now: datetime, *, lease_until: datetime, claim: str, limit: int
    ) -> list[Outgoing]:
        """Lease up to ``limit`` due deliveries of enabled subscriptions; no two claims share
        one (``FOR UPDATE SKIP LOCKED`` on PostgreSQL)."""
        ...

    def finish(
        self,
        delivery: Outgoing,
        attempt: Attempt,
        *,
        claim: str,
        status: DeliveryStatus,
        next_at: datetime | None,
    ) -> bool:
        """Record an attempt and the delivery's new state, and count the subscription's
        failures in a row, while the claim is still ours (False: another worker's now)."""
        ...

    def notify(self, notice: Notice) -> None:
        """Keep ``notice`` and queue it for every enabled subscription it matches (the caller's
        transaction: it commits with the change that raised it)."""
        ...

    def recent_attempts(self, subscription_id: str, limit: int) -> list[Attempt]: ...
    def replay(
        self, sub: Subscription, since: datetime, now: datetime, new_id: Callable[[datetime], str]
    ) -> int:
        """Queue again each of its group's events and notices ``sub`` takes since ``since``."""
        ...


# ── lifecycle rules (decision 077) ──
class RuleTx(Protocol):
    """Lifecycle rules, their versions and skipped firings, on one transaction (``Tx.rules()``)."""

    def add_rule(self, rule: Rule) -> None:
        """Keep a new version and make it the rule's current one."""
        ...

    def get_rule(self, rule_id: str) -> Rule | None:
        """The rule's current version (None: no such rule, or deleted)."""
        ...

    def lock_rule(self, rule_id: str) -> None:
        """Hold the rule until the transaction ends, so that two edits of it queue (077)."""
        ...

    def list_rules(self, group_id: str) -> list[Rule]:
        """The current version of each of the group's rules, in id order."""
        ...

    def delete_rule(self, rule_id: str) -> None:
        """No version is current any more; the versions stay, as events name them."""
        ...

    def add_skip(self, skip: Skip) -> None: ...
    def recent_skips(self, rule_id: str, limit: int) -> list[Skip]: ...


# ── journeys (decision 078) ──
class JourneyTx(Protocol):
    """Journey messages, re-send requests, scheduled journeys and their daily runs, on one
    transaction (``Tx.journeys()``)."""

    def claim_message(self, message: JourneyMessage) -> JourneyMessage | None:
        """Keep a new message (None), or return the one kept before with its contact and the
        sender's message id (nothing is written)."""
        ...

    def get_message(self, message_id: str) -> JourneyMessage | None:
        """One journey message by Consentry's id."""
        ...

    def missed(self, group_id: str, where: MissedFilter) -> list[JourneyMessage]:
        """The group's missed messages ``where`` asks for, newest first, up to limit + 1."""
        ...

    def request_resend(self, message: JourneyMessage, resend: Resend) -> bool:
        """Record the re-send request; False when one was recorded before."""
        ...

    def add_journey(self, journey: ScheduledJourney) -> None: ...
    def get_journey(self, journey_id: str) -> ScheduledJourney | None: ...
    def list_journeys(self, group_id: str) -> list[ScheduledJourney]: ...
    def delete_journey(self, journey_id: str) -> None: ...
    def due_journeys(self, day: date) -> list[ScheduledJourney]:
        """Every group's scheduled journeys not yet run on ``day``, in id order."""
        ...

    def claim_run(self, journey_id: str, day: date, at: datetime) -> bool:
        """Mark the journey's run of ``day`` as taken; False when it was taken before."""
        ...

    def finish_run(self, journey_id: str, day: date, report: RunReport, at: datetime) -> None:
        """Keep what the run recorded, and when it ended."""
        ...


class WebhookSender(Protocol):
    """Posts one signed delivery (``adapters.webhook_sender``): never raises for the receiver."""

    def send(self, url: str, secret: str, *, message_id: str, body: str) -> SendResult: ...


class WebhookSecrets(Protocol):
    """Each subscription's signing secret, derived from the deployment's key (never stored)."""

    def secret(self, subscription_id: str) -> str:
        """The ``whsec_…`` secret of a subscription."""
        ...


# ── send reports and violations (decision 079) ──
class SendTx(Protocol):
    """Reported sends, their violations and the compliance report's reads, on one transaction
    (``Tx.sends()``)."""

    def known_contacts(self, group_id: str, contact_ids: Sequence[str]) -> set[str]:
        """Those of these ids that are the group's contacts."""
        ...

    def events_until(
        self, contact_ids: Sequence[str], channels: Sequence[Channel], until: datetime
    ) -> dict[tuple[str, Channel], list[ConsentEvent]]:
        """Their events on these channels recorded by ``until``, by (contact, channel), each
        list in chain order."""
        ...

    def sends_by_message(self, group_id: str, message_ids: Sequence[str]) -> dict[str, Send]:
        """The group's sends recorded under these message ids, by message id."""
        ...

    def add_send(self, send: Send) -> Send:
        """Record a send and return it; or, when one is recorded under its message id
        already, write nothing and return that one."""
        ...

    def add_violation(self, violation: Violation) -> None: ...
    def violations(self, group_id: str, where: ViolationFilter) -> list[Violation]:
        """The violations ``where`` picks, newest sent first, with their deciding events."""
        ...

    def send_counts(
        self, group_id: str, scope_id: str, since: datetime, until: datetime
    ) -> list[SendCount]:
        """Sends and violations per (scope, channel) sent in ``[since, until)`` from
        ``scope_id`` or below."""
        ...

    def opt_out_counts(
        self, group_id: str, scope_id: str, since: datetime, until: datetime
    ) -> list[tuple[str, Channel, int]]:
        """Opt-outs per (scope, channel) recorded in ``[since, until)`` at ``scope_id``, below
        it or on its path above."""
        ...

    def violated_opt_outs(
        self, group_id: str, scope_id: str, since: datetime, until: datetime
    ) -> list[ViolatedOptOut]:
        """Those opt-outs that violations from ``scope_id`` or below name, with the last such
        send and how many."""
        ...
