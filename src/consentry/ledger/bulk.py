"""Bulk unsubscribe and re-subscribe (seeds/002): an admin's change to many contacts at once.

Each (contact, channel) is its own command, in its own transaction, through the same rules as
one change: the answer lists who changed, who was already out, and who was refused and why (a
hard opt-out is never re-subscribed). Only admins may start one; a role that may not change
subscriptions is refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from consentry.core import limits
from consentry.core.channels import Channel, parse_channel
from consentry.core.eligibility import Reason
from consentry.core.errors import ConsentryError, Invalid
from consentry.core.events import Source
from consentry.core.permissions import Capability, Principal, authorise
from consentry.ledger.consent import opt_out, resubscribe
from consentry.ledger.context import Context
from consentry.ledger.eligibility import check
from consentry.ledger.steps import Evidence

MAX_BULK = 1000  #: contacts in one bulk change


class BulkAction(StrEnum):
    """What a bulk change does. Add, never rename or remove."""

    UNSUBSCRIBE = "unsubscribe"
    RESUBSCRIBE = "resubscribe"


class BulkResult(StrEnum):
    """What happened to one (contact, channel)."""

    CHANGED = "changed"
    UNCHANGED = "unchanged"  # already opted out: nothing recorded
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    """One (contact, channel) of a bulk change: its event, or why it was refused."""

    contact_id: str
    channel: Channel
    result: BulkResult
    event_id: str | None = None
    code: str | None = None
    message: str | None = None


def bulk_change(
    ctx: Context,
    principal: Principal,
    contact_ids: Sequence[str],
    channels: Sequence[str | Channel],
    scope_id: str,
    *,
    action: BulkAction | str,
    reason: str | None = None,
    evidence: Evidence = None,
    source: Source = Source.ADMIN_UI,
) -> list[BulkOutcome]:
    """Unsubscribe (soft) or re-subscribe each contact on each channel at ``scope_id``."""
    authorise(principal, Capability.CHANGE_SUBSCRIPTION, scope_id)
    chosen = BulkAction(action)
    limits.texts(contact_ids, field="contacts", max_items=MAX_BULK, max_length=limits.ID)
    limits.items(channels, field="channels", max_items=limits.MAX_CHANNELS)
    chans = [ctx.policy.require_enabled(parse_channel(str(c))) for c in dict.fromkeys(channels)]
    if not contact_ids or not chans:
        raise Invalid("choose at least one contact and one channel", field="contacts")
    outcomes = []
    for contact_id in dict.fromkeys(contact_ids):
        for channel in chans:
            outcomes.append(
                _one(
                    ctx, principal, contact_id, channel, scope_id, chosen, reason, evidence, source
                )
            )
    return outcomes


def _one(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: Channel,
    scope_id: str,
    action: BulkAction,
    reason: str | None,
    evidence: Evidence,
    source: Source,
) -> BulkOutcome:
    try:
        if action is BulkAction.UNSUBSCRIBE:
            decision = check(ctx, principal, contact_id, channel, scope_id)
            if decision.reason in (Reason.HARD_OPT_OUT, Reason.SOFT_OPT_OUT):
                return BulkOutcome(contact_id, channel, BulkResult.UNCHANGED)
            event = opt_out(
                ctx, principal, contact_id, channel, scope_id, evidence=evidence, source=source
            )
        else:
            event = resubscribe(
                ctx, principal, contact_id, channel, scope_id,
                reason=reason, evidence=evidence, source=source,
            )  # fmt: skip
    except ConsentryError as exc:  # also ``unavailable``: that one is retried by running again
        return BulkOutcome(
            contact_id, channel, BulkResult.REFUSED, code=exc.code, message=exc.message
        )
    return BulkOutcome(contact_id, channel, BulkResult.CHANGED, event_id=event.id)
