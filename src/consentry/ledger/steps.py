"""The steps every use case shares: load with the group wall, decide who acts, record an event.

``record`` is the one place an event is chained and appended together with its projection
update and what it adds to its day's trend counts, inside the caller's transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from consentry.core import limits, trends
from consentry.core.chain import ChainHead, commitment, link
from consentry.core.channels import Channel
from consentry.core.contacts import Contact
from consentry.core.errors import ContactNotFound, Forbidden, ScopeNotFound
from consentry.core.events import (
    CONTACT_SOURCES,
    Action,
    Actor,
    ActorKind,
    ConsentEvent,
    Source,
    Strength,
    canonical_evidence,
    chain_fields,
)
from consentry.core.ids import new_id
from consentry.core.permissions import (
    Capability,
    Principal,
    Role,
    authorise,
    authorise_contact,
    check_relay,
)
from consentry.core.scopes import Scope, group_of, parse_scope_id
from consentry.core.status import (
    SUPPRESSION_ACTIONS,
    Consent,
    ConsentUpdate,
    SuppressionUpdate,
    apply,
    apply_suppression,
)
from consentry.ledger.context import Context
from consentry.ledger.ports import Reader, Tx

Evidence = Mapping[str, Any] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """What one command asks to record, before it is chained."""

    contact: Contact
    channel: Channel
    scope_id: str
    action: Action
    actor: Actor
    recorded_by: str
    source: Source
    reason: str | None = None
    evidence: Evidence = None
    occurred_at: datetime | None = None
    expires_at: datetime | None = None
    #: the evidence as the event keeps it (canonical JSON), made once here — or given by the
    #: import, which makes its file's evidence canonical once for every row (``FileEvidence``)
    evidence_text: str | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Refuse what no event can keep before any rule looks at it (decision 050)."""
        if self.occurred_at is not None:
            limits.instant(self.occurred_at, field="occurred_at")
        limits.optional_text(self.reason, field="reason", max_length=limits.REASON)
        if self.evidence_text is None:
            object.__setattr__(self, "evidence_text", canonical_evidence(self.evidence))


# ── loading, with the group wall ──
def load_contact(tx: Tx, principal: Principal, contact_id: str) -> Contact:
    """The principal's group's contact, or ``ContactNotFound``; a contact sees only itself."""
    limits.text(contact_id, field="contact_id", max_length=limits.ID)
    contact = tx.get_contact(principal.group_id, contact_id)
    if contact is None:
        raise ContactNotFound(f"no contact {contact_id!r}", contact_id=contact_id)
    authorise_contact(principal, contact_id)
    return contact


def load_scope(ctx: Context, tx: Tx | Reader, principal: Principal, scope_id: str) -> Scope:
    """A scope of the principal's group (memoised: scopes never change), or ``ScopeNotFound``."""
    sid = parse_scope_id(limits.text(scope_id, field="scope", max_length=limits.SCOPE_ID))
    if group_of(sid) != principal.group_id:
        raise ScopeNotFound(f"no scope {sid!r}", scope=sid)
    scope = ctx.memo.scopes.get(sid) or tx.get_scope(sid)
    if scope is None:
        raise ScopeNotFound(f"no scope {sid!r}", scope=sid)
    ctx.memo.scopes[sid] = scope
    return scope


# ── who acts ──
def acting(
    principal: Principal,
    contact_id: str,
    source: Source,
    capability: Capability,
    *,
    action: Action,
) -> tuple[Capability, Actor]:
    """Which capability the command needs, and who the ledger records as acting.

    A principal other than the contact that names one of the contact's sources relays the
    contact's own act: it needs ``deliver_inbound`` first, then an act the contact can really
    make that way (``permissions.check_relay``). The use case then checks, after the scope,
    that the source arrives on the channel (``permissions.check_source_channel``).
    """
    if principal.role is Role.CONTACT:
        if source not in CONTACT_SOURCES:
            raise Forbidden("a contact acts only through their own links and messages")
        return Capability.OWN_PREFERENCES, Actor(ActorKind.CONTACT, contact_id)
    if source in CONTACT_SOURCES:
        authorise(principal, Capability.DELIVER_INBOUND)
        check_relay(action, source)
        return Capability.DELIVER_INBOUND, Actor(ActorKind.CONTACT, contact_id)
    return capability, principal.actor


def authorise_at(principal: Principal, capability: Capability, scope: Scope) -> None:
    """The role check at a scope; a contact may choose any level of their own group."""
    if principal.role is Role.CONTACT:
        authorise(principal, capability)
    else:
        authorise(principal, capability, scope.id)


# ── recording ──
def record(ctx: Context, tx: Tx, head: ChainHead, change: Change, current: Consent) -> ConsentEvent:
    """Chain one event, fold it into its projection and append both, in ``tx``.

    A consent event also moves the trend counts of its (group, scope, channel, UTC day) by the
    difference between the row's status before and after it (``trends.delta``, decision 066);
    a bounce, complaint or clearing changes no consent row, so no count.
    """
    event = chained(ctx.clock.now(), head, change)
    if event.action in SUPPRESSION_ACTIONS:
        before = tx.suppression(event.contact_id, event.channel)
        tx.append(event, SuppressionUpdate(apply_suppression(before, event)))
    else:
        after = apply(current, event)
        counts = trends.delta(current.status, after.status, event.action)
        tx.append(event, ConsentUpdate(after, counts))  # the day's trend counts too (066)
    return event


def chained(now: datetime, head: ChainHead, change: Change) -> ConsentEvent:
    """The change as the next event of the contact's chain, recorded ``now``."""
    text = change.evidence_text
    salt = secrets.token_hex(16) if text is not None else None
    draft = ConsentEvent(
        id=new_id("ev", now),
        contact_id=change.contact.id,
        group_id=change.contact.group_id,
        seq=head.seq + 1,
        channel=change.channel,
        scope_id=change.scope_id,
        action=change.action,
        strength=Strength.HARD if change.actor.is_contact else Strength.SOFT,
        actor=change.actor,
        recorded_by=change.recorded_by,
        source=change.source,
        reason=change.reason,
        evidence=text,
        evidence_salt=salt,
        evidence_commitment=commitment(salt, text),
        occurred_at=change.occurred_at or now,
        recorded_at=now,
        expires_at=change.expires_at,
        prev_hash=head.hash,
        hash="",
    )
    # the hash covers the other fields; set once, before the event is seen by anyone
    object.__setattr__(draft, "hash", link(head.hash, chain_fields(draft)))
    return draft
