"""Deliverability: bounces and complaints suppress an address; an admin may lift it (SPEC §1).

Suppressions are a projection of their own, kept apart from consent: a bounce says nothing
about what the contact wants. They are group-wide, so lifting one needs reach over the group;
reporting one does not.
"""

from __future__ import annotations

from consentry.core.channels import Channel, parse_channel
from consentry.core.errors import EvidenceRequired
from consentry.core.events import Action, ClearReason, ConsentEvent, Source, has_evidence
from consentry.core.permissions import Capability, Principal, authorise
from consentry.core.status import NO_CONSENT
from consentry.ledger.context import Context
from consentry.ledger.steps import Change, Evidence, load_contact, record


def record_bounce(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: str | Channel,
    *,
    evidence: Evidence = None,
) -> ConsentEvent:
    """A hard bounce or invalid number: the address is suppressed on that channel."""
    return _suppress(ctx, principal, contact_id, channel, Action.BOUNCED, evidence)


def record_complaint(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: str | Channel,
    *,
    evidence: Evidence = None,
) -> ConsentEvent:
    """A spam complaint: the address is suppressed on that channel."""
    return _suppress(ctx, principal, contact_id, channel, Action.COMPLAINED, evidence)


def clear_suppression(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: str | Channel,
    *,
    evidence: Evidence,
) -> ConsentEvent:
    """An admin's recorded decision to lift a bounce or complaint (with evidence)."""
    if not has_evidence(evidence):
        raise EvidenceRequired("lifting a suppression needs the admin's recorded reason")
    return _suppress(
        ctx, principal, contact_id, channel, Action.SUPPRESSION_CLEARED, evidence,
        reason=ClearReason.ADMIN_DECISION.value,
    )  # fmt: skip


def _suppress(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: str | Channel,
    action: Action,
    evidence: Evidence,
    *,
    reason: str | None = None,
) -> ConsentEvent:
    chan = ctx.policy.require_enabled(parse_channel(str(channel)))
    clearing = action is Action.SUPPRESSION_CLEARED
    needed = Capability.CLEAR_SUPPRESSION if clearing else Capability.REPORT_DELIVERY
    authorise(principal, needed, principal.group_id if clearing else None)
    source = Source.API if clearing else Source.BOUNCE_FEED
    with ctx.store.transaction() as tx:
        contact = load_contact(tx, principal, contact_id)
        head = tx.lock_chain(contact.id)
        change = Change(
            contact=contact, channel=chan, scope_id=contact.group_id, action=action,
            actor=principal.actor, recorded_by=principal.id, source=source, reason=reason,
            evidence=evidence,
        )  # fmt: skip
        event = record(ctx, tx, head, change, NO_CONSENT)
        tx.commit()
    return event
