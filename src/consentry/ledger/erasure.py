"""Erase a contact's personal data and keep the proof (GDPR Art. 17; SPEC §7; decision 072)."""

from __future__ import annotations

from consentry.core import limits
from consentry.core.chain import ChainHead
from consentry.core.channels import Channel
from consentry.core.contacts import Contact
from consentry.core.erasure import ERASURE_REASON, Erasure
from consentry.core.events import Action, ConsentEvent, Source
from consentry.core.permissions import Capability, Principal, authorise
from consentry.core.status import NO_CONSENT
from consentry.ledger.context import Context
from consentry.ledger.ports import Tx
from consentry.ledger.steps import Change, load_contact, record


def erase_contact(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    *,
    reference: str | None = None,
    source: Source = Source.API,
) -> Erasure:
    """Remove the contact's personal data everywhere, in one transaction, and record it.

    Only an admin of the whole group may erase (a contact belongs to the group, not to one
    client). ``reference`` (the request's ticket, say) is the erasure events' evidence, so it
    must not hold personal data. Erasing an erased contact records nothing and says so.
    """
    authorise(principal, Capability.ERASE)
    limits.optional_text(reference, field="reference", max_length=limits.REASON)
    with ctx.store.transaction() as tx:
        contact = load_contact(tx, principal, contact_id)
        authorise(principal, Capability.ERASE, contact.group_id)
        if contact.erased_at is not None:
            return Erasure(contact, (), None)
        head = tx.lock_chain(contact.id)
        channels = _channels(ctx, tx, contact)
        erased = contact.erased(ctx.clock.now())
        removed = tx.erase_personal_data(contact.id)
        tx.update_contact(erased, {})  # no new keys: the old ones stay, to keep it suppressed
        events: list[ConsentEvent] = []
        for channel in channels:
            change = Change(
                contact=erased, channel=channel, scope_id=contact.group_id,
                action=Action.ERASED, actor=principal.actor, recorded_by=principal.id,
                source=source, reason=ERASURE_REASON,
                evidence={"reference": reference} if reference else None,
            )  # fmt: skip
            current = tx.consents(contact.id, channel, [contact.group_id])
            event = record(ctx, tx, head, change, current.get(contact.group_id, NO_CONSENT))
            head = ChainHead(event.seq, event.hash)
            events.append(event)
        tx.commit()
    return Erasure(erased, tuple(events), removed)


def _channels(ctx: Context, tx: Tx, contact: Contact) -> list[Channel]:
    """The channels the contact's chain speaks of (the deployment's first, for an empty one)."""
    spoken = {event.channel for event in tx.events(contact.id)}
    found = [channel for channel in Channel if channel in spoken]
    return found or [next(channel for channel in Channel if channel in ctx.policy.enabled)]
