"""Confirmation messages, double opt-in and the expiry sweep (SPEC §4; seeds/003).

The opt-in confirmation is the only message that may reach an opted-out contact: it is sent
only while eligibility says ``opt_in_confirmation`` (an open request), and it carries a signed
confirmation link.
"""

from __future__ import annotations

from consentry.core.channels import Channel
from consentry.core.eligibility import Category
from consentry.core.errors import Forbidden
from consentry.core.events import Action, ConsentEvent, Source
from consentry.core.links import LinkClaims, LinkPurpose
from consentry.core.permissions import Capability, Principal, Role, authorise
from consentry.core.status import NO_CONSENT
from consentry.ledger.consent import request_confirmation
from consentry.ledger.context import Context
from consentry.ledger.eligibility import check
from consentry.ledger.messages import send_own_message
from consentry.ledger.ports import Tx
from consentry.ledger.steps import Change, Evidence, load_contact, load_scope, record


def request_double_opt_in(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: str | Channel,
    scope_id: str,
    *,
    evidence: Evidence = None,
    source: Source = Source.SIGNUP_FORM,
) -> ConsentEvent:
    """A new signup: pending, and an opt-in confirmation message with a signed link."""
    event = request_confirmation(
        ctx, principal, contact_id, channel, scope_id, evidence=evidence, source=source
    )
    send_confirmation(ctx, contact_id, event.group_id, event.channel, event.scope_id)
    return event


def send_confirmation(
    ctx: Context, contact_id: str, group_id: str, channel: Channel, scope_id: str
) -> bool:
    """Send the opt-in confirmation message if eligibility allows it (an open request)."""
    system = Principal(Role.SYSTEM, group_id, "hosted-pages")
    category = Category.OPT_IN_CONFIRMATION
    with ctx.store.transaction(write=False) as tx:
        contact = load_contact(tx, system, contact_id)
        scope = load_scope(ctx, tx, system, scope_id)
    to = contact.address(channel)
    if to is None or ctx.outbox is None or ctx.signer is None:
        return False
    decision = check(ctx, system, contact_id, channel, scope_id, category=category)
    if not decision.allowed:
        return False
    expires = ctx.clock.now() + ctx.confirmation_ttl
    claims = LinkClaims(LinkPurpose.CONFIRM, contact.id, scope.id, (channel,), expires)
    send_own_message(
        ctx.outbox, contact, channel, "confirm", to=to, category=category.value,
        link=ctx.signer.url(claims), sender=scope.name,
    )  # fmt: skip
    return True


def expire_confirmations(ctx: Context, principal: Principal, *, limit: int = 1000) -> int:
    """Record ``confirmation_expired`` for every request past its time (group admins, system).

    Expiry is already lazy in the status model; the sweep writes it into the ledger so
    the history shows it. The status stays as it was before the request. The sweep covers
    the whole group, so a client admin is out of scope (docs/decisions/034).
    """
    if principal.role not in (Role.SYSTEM, Role.ADMIN):
        raise Forbidden("only a group admin or the deployment sweeps expired confirmations")
    authorise(principal, Capability.CHANGE_SUBSCRIPTION, principal.group_id)
    now = ctx.clock.now()
    with ctx.store.transaction() as tx:
        due = tx.open_confirmations_before(principal.group_id, now, limit)
        for contact_id, channel, scope_id in due:
            _expire_request(ctx, tx, principal, contact_id, channel, scope_id)
        tx.commit()
    return len(due)


def _expire_request(
    ctx: Context, tx: Tx, principal: Principal, contact_id: str, channel: Channel, scope_id: str
) -> None:
    contact = load_contact(tx, principal, contact_id)
    head = tx.lock_chain(contact_id)
    current = tx.consents(contact_id, channel, [scope_id]).get(scope_id, NO_CONSENT)
    change = Change(
        contact=contact, channel=channel, scope_id=scope_id,
        action=Action.CONFIRMATION_EXPIRED, actor=principal.actor, recorded_by=principal.id,
        source=Source.LIFECYCLE_RULE,
    )  # fmt: skip
    record(ctx, tx, head, change, current)
