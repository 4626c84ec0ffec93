"""Deliverability: bounces and complaints suppress an address; an admin may lift it (SPEC §1).

Suppressions are a projection of their own, kept apart from consent: a bounce says nothing
about what the contact wants. A spam complaint does: it is also the contact's own hard opt-out
on that channel at the group, which lifting the suppression leaves (docs/decisions/053). Both
are about an address, so a report on a channel the contact has no address for is refused
(``no_address``). Suppressions are group-wide, so lifting one needs reach over the group;
reporting one does not. Lifting names the suppression it lifts (docs/decisions/057).
"""

from __future__ import annotations

from consentry.core.channels import Channel, parse_channel
from consentry.core.contacts import Contact
from consentry.core.errors import EvidenceRequired, Invalid, NoAddress, NotSuppressed
from consentry.core.events import (
    Action,
    Actor,
    ActorKind,
    ClearReason,
    ConsentEvent,
    Source,
    has_evidence,
)
from consentry.core.permissions import Capability, Principal, authorise
from consentry.core.status import NO_CONSENT, Suppression, SuppressionUpdate, outstanding, shown
from consentry.ledger.consent import close_overridden_requests
from consentry.ledger.context import Context
from consentry.ledger.ports import Tx
from consentry.ledger.steps import Change, Evidence, chained, load_contact, record


def record_bounce(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: str | Channel,
    *,
    evidence: Evidence = None,
) -> ConsentEvent:
    """A hard bounce or invalid number: the address is suppressed on that channel."""
    return _report(ctx, principal, contact_id, channel, Action.BOUNCED, evidence)


def record_complaint(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: str | Channel,
    *,
    evidence: Evidence = None,
) -> ConsentEvent:
    """A spam complaint: the address is suppressed, and the contact is hard opted out.

    The complaint is the contact's own act (SPEC §1): besides the ``complained`` suppression
    it records their hard opt-out on that channel at the group, in the same transaction, and
    closes the confirmation requests that overrides. Returns the complaint event.
    """
    return _report(ctx, principal, contact_id, channel, Action.COMPLAINED, evidence)


def clear_suppression(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: str | Channel,
    *,
    suppression: str | Suppression,
    evidence: Evidence,
) -> ConsentEvent:
    """An admin's recorded decision to lift the named suppression, with evidence (057).

    Role and reach come first (a group admin), then the request: ``suppression`` must be the
    one the channel shows (``bounced`` outranks ``complained``), else ``not_suppressed``.
    Lifting a bounce leaves a complaint beneath it; a complaint's hard opt-out always stays.
    """
    authorise(principal, Capability.CLEAR_SUPPRESSION, principal.group_id)
    chan = ctx.policy.require_enabled(parse_channel(str(channel)))
    kind = _named(suppression)
    if not has_evidence(evidence):
        raise EvidenceRequired("lifting a suppression needs the admin's recorded reason")
    with ctx.store.transaction() as tx:
        contact = load_contact(tx, principal, contact_id)
        head = tx.lock_chain(contact.id)
        current = tx.suppression(contact.id, chan)
        if current is not kind:
            now_is = f"it is {current.value}" if current else "it is not suppressed"
            raise NotSuppressed(
                f"the {chan.value} address is not {kind.value}; {now_is}",
                channel=chan.value,
                suppression=current.value if current else None,
            )
        left = outstanding(tx.events(contact.id, chan)) - {kind}
        change = Change(
            contact=contact, channel=chan, scope_id=contact.group_id,
            action=Action.SUPPRESSION_CLEARED, actor=principal.actor, recorded_by=principal.id,
            source=Source.API, reason=ClearReason.ADMIN_DECISION.value, evidence=evidence,
        )  # fmt: skip
        event = chained(ctx.clock.now(), head, change)
        tx.append(event, SuppressionUpdate(shown(left)))
        tx.commit()
    return event


def _named(value: str | Suppression) -> Suppression:
    try:
        return Suppression(str(value).strip().lower())
    except ValueError:
        kinds = ", ".join(k.value for k in Suppression)
        raise Invalid(
            f"name the suppression to lift: one of {kinds}", field="suppression"
        ) from None


def _report(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: str | Channel,
    action: Action,
    evidence: Evidence,
) -> ConsentEvent:
    authorise(principal, Capability.REPORT_DELIVERY)
    chan = ctx.policy.require_enabled(parse_channel(str(channel)))
    with ctx.store.transaction() as tx:
        contact = load_contact(tx, principal, contact_id)
        if contact.address(chan) is None:
            raise NoAddress(
                f"the contact has no {chan.address_field} for {chan.value}: nothing to suppress",
                channel=chan.value,
            )
        head = tx.lock_chain(contact.id)
        change = Change(
            contact=contact, channel=chan, scope_id=contact.group_id, action=action,
            actor=principal.actor, recorded_by=principal.id, source=Source.BOUNCE_FEED,
            evidence=evidence,
        )  # fmt: skip
        event = record(ctx, tx, head, change, NO_CONSENT)
        if action is Action.COMPLAINED:
            _complainant_opts_out(ctx, tx, contact, event)
        tx.commit()
    return event


def _complainant_opts_out(ctx: Context, tx: Tx, contact: Contact, complaint: ConsentEvent) -> None:
    """The complaint as the contact's own hard opt-out on its channel at the group (053)."""
    group = contact.group_id
    current = tx.consents(contact.id, complaint.channel, [group]).get(group, NO_CONSENT)
    change = Change(
        contact=contact, channel=complaint.channel, scope_id=group, action=Action.OPTED_OUT,
        actor=Actor(ActorKind.CONTACT, contact.id), recorded_by=complaint.recorded_by,
        source=Source.BOUNCE_FEED, evidence={"complaint": complaint.id},
        occurred_at=complaint.occurred_at,
    )  # fmt: skip
    opt_out = record(ctx, tx, tx.lock_chain(contact.id), change, current)
    close_overridden_requests(ctx, tx, contact, opt_out)
