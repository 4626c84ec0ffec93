"""What every use case shares: the ports, and the steps of recording one event."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from consentry.core.chain import ChainHead, commitment, link
from consentry.core.channels import Channel, ChannelPolicy
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
from consentry.core.permissions import Capability, Principal, Role, authorise, authorise_contact
from consentry.core.scopes import Scope, group_of, parse_scope_id
from consentry.core.status import (
    SUPPRESSION_ACTIONS,
    Consent,
    ConsentUpdate,
    SuppressionUpdate,
    apply,
    apply_suppression,
)
from consentry.ledger.ports import Addresses, Clock, Outbox, Reader, Signer, Store, Tx

DEFAULT_CONFIRMATION_TTL = timedelta(days=7)


@dataclass(frozen=True, slots=True)
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
    evidence: Mapping[str, Any] | None = None
    occurred_at: datetime | None = None
    expires_at: datetime | None = None


class LedgerBase:
    """The ports a ledger works through, and the shared steps of its use cases."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        addresses: Addresses,
        policy: ChannelPolicy | None = None,
        confirmation_ttl: timedelta = DEFAULT_CONFIRMATION_TTL,
        outbox: Outbox | None = None,
        signer: Signer | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.addresses = addresses
        self.policy = policy or ChannelPolicy()
        self.confirmation_ttl = confirmation_ttl
        self.outbox = outbox
        self.signer = signer  # signed links of the hosted pages (issue 5)
        self._scopes: dict[str, Scope] = {}  # scopes are never renamed or deleted
        self._number_keys: dict[str, str] = {}  # a number as given → as stored (pure)

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()

    # ── loading, with the group wall and the role checks ──
    def _contact(self, tx: Tx, principal: Principal, contact_id: str) -> Contact:
        contact = tx.get_contact(principal.group_id, contact_id)
        if contact is None:
            raise ContactNotFound(f"no contact {contact_id!r}", contact_id=contact_id)
        authorise_contact(principal, contact_id)
        return contact

    def _scope(self, tx: Tx | Reader, principal: Principal, scope_id: str) -> Scope:
        sid = parse_scope_id(scope_id)
        if group_of(sid) != principal.group_id:
            raise ScopeNotFound(f"no scope {sid!r}", scope=sid)
        scope = self._scopes.get(sid) or tx.get_scope(sid)
        if scope is None:
            raise ScopeNotFound(f"no scope {sid!r}", scope=sid)
        self._scopes[sid] = scope
        return scope

    def _acting(
        self, principal: Principal, contact_id: str, source: Source, capability: Capability
    ) -> tuple[Capability, Actor]:
        """Which capability the command needs, and who the ledger records as acting."""
        if principal.role is Role.CONTACT:
            if source not in CONTACT_SOURCES:
                raise Forbidden("a contact acts only through their own links and messages")
            return Capability.OWN_PREFERENCES, Actor(ActorKind.CONTACT, contact_id)
        if source in CONTACT_SOURCES:
            return Capability.DELIVER_INBOUND, Actor(ActorKind.CONTACT, contact_id)
        return capability, principal.actor

    def _authorise_at(self, principal: Principal, capability: Capability, scope: Scope) -> None:
        if principal.role is Role.CONTACT:
            authorise(principal, capability)  # a contact may choose any level of their group
        else:
            authorise(principal, capability, scope.id)

    # ── recording ──
    def _record(self, tx: Tx, head: ChainHead, change: Change, current: Consent) -> ConsentEvent:
        """Chain one event, fold it into the projection and append both, in ``tx``."""
        event = self._chained(head, change)
        if event.action in SUPPRESSION_ACTIONS:
            before = tx.suppression(event.contact_id, event.channel)
            tx.append(event, SuppressionUpdate(apply_suppression(before, event)))
        else:
            tx.append(event, ConsentUpdate(apply(current, event)))
        return event

    def _chained(self, head: ChainHead, change: Change) -> ConsentEvent:
        now = self.clock.now()
        text = canonical_evidence(change.evidence)
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
        return replace(draft, hash=link(head.hash, chain_fields(draft)))
