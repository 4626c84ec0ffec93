"""Consent commands: opt in, opt out, re-subscribe, request confirmation, confirm (SPEC §1-§4).

Every command has one shape: validate → open a write transaction → lock the contact's chain
→ load the current consent → let the core rules refuse or accept → append the event and the
projection → commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from consentry.core.channels import Channel, parse_channel
from consentry.core.events import (
    Action,
    ConsentEvent,
    Source,
    has_evidence,
)
from consentry.core.permissions import Capability, Principal
from consentry.core.scopes import path_to_root
from consentry.core.status import NO_CONSENT, Consent
from consentry.core.transitions import (
    check_confirm,
    check_opt_in,
    check_request_confirmation,
    check_resubscribe,
    governing,
)
from consentry.ledger.base import Change, LedgerBase

Evidence = Mapping[str, Any] | None


class ConsentCommands(LedgerBase):
    """The commands that change a (contact, channel, scope)'s consent."""

    def opt_in(
        self,
        principal: Principal,
        contact_id: str,
        channel: str | Channel,
        scope_id: str,
        evidence: Evidence,
        source: Source = Source.API,
        occurred_at: datetime | None = None,
    ) -> ConsentEvent:
        """Opt a contact in; staff and admins need evidence of written permission (seeds/000)."""
        return self._command(
            principal,
            contact_id,
            channel,
            scope_id,
            Action.OPTED_IN,
            source,
            Capability.OPT_IN,
            evidence=evidence,
            occurred_at=occurred_at,
        )

    def opt_out(
        self,
        principal: Principal,
        contact_id: str,
        channel: str | Channel,
        scope_id: str,
        source: Source = Source.API,
        evidence: Evidence = None,
        occurred_at: datetime | None = None,
    ) -> ConsentEvent:
        """Opt a contact out: soft when an admin does it, hard when the contact did (seeds/001)."""
        return self._command(
            principal,
            contact_id,
            channel,
            scope_id,
            Action.OPTED_OUT,
            source,
            Capability.CHANGE_SUBSCRIPTION,
            evidence=evidence,
            occurred_at=occurred_at,
        )

    def resubscribe(
        self,
        principal: Principal,
        contact_id: str,
        channel: str | Channel,
        scope_id: str,
        reason: str | None,
        evidence: Evidence,
        source: Source = Source.API,
    ) -> ConsentEvent:
        """Reverse a soft opt-out: admins only, with a reason and evidence (seeds/002)."""
        return self._command(
            principal,
            contact_id,
            channel,
            scope_id,
            Action.RESUBSCRIBED,
            source,
            Capability.CHANGE_SUBSCRIPTION,
            evidence=evidence,
            reason=reason,
        )

    def request_confirmation(
        self,
        principal: Principal,
        contact_id: str,
        channel: str | Channel,
        scope_id: str,
        evidence: Evidence = None,
        source: Source = Source.API,
    ) -> ConsentEvent:
        """Start a double opt-in (pending), or a contact's opt-back-in after an opt-out."""
        return self._command(
            principal,
            contact_id,
            channel,
            scope_id,
            Action.CONFIRMATION_REQUESTED,
            source,
            Capability.REQUEST_CONFIRMATION,
            evidence=evidence,
        )

    def confirm(
        self,
        principal: Principal,
        contact_id: str,
        channel: str | Channel,
        scope_id: str,
        evidence: Evidence,
        source: Source = Source.CONFIRMATION_LINK,
    ) -> ConsentEvent:
        """The contact confirms an open request: opted in, even after a hard opt-out."""
        return self._command(
            principal,
            contact_id,
            channel,
            scope_id,
            Action.CONFIRMED,
            source,
            Capability.OWN_PREFERENCES,
            evidence=evidence,
        )

    def _command(
        self,
        principal: Principal,
        contact_id: str,
        channel: str | Channel,
        scope_id: str,
        action: Action,
        source: Source,
        capability: Capability,
        *,
        evidence: Evidence = None,
        reason: str | None = None,
        occurred_at: datetime | None = None,
    ) -> ConsentEvent:
        chan = self.policy.require_enabled(parse_channel(str(channel)))
        needed, actor = self._acting(principal, contact_id, source, capability)
        with self.store.transaction() as tx:
            contact = self._contact(tx, principal, contact_id)
            scope = self._scope(tx, principal, scope_id)
            self._authorise_at(principal, needed, scope)
            head = tx.lock_chain(contact.id)
            path = path_to_root(scope.id)
            consents = tx.consents(contact.id, chan, path)
            current = consents.get(scope.id)
            change = Change(
                contact,
                chan,
                scope.id,
                action,
                actor,
                principal.id,
                source,
                reason=reason,
                evidence=evidence,
                occurred_at=occurred_at,
            )
            change = self._check(change, current, governing(consents, path))
            event = self._record(tx, head, change, current or NO_CONSENT)
            tx.commit()
        return event

    def _check(self, change: Change, current: Consent | None, ruling: Consent) -> Change:
        """Apply the core rules; may add an expiry to a confirmation request.

        A staff opt-in or signup is judged by ``ruling`` (an opt-out above the scope counts);
        the contact's own acts, a re-subscribe and a confirmation by the scope's own consent.
        """
        consent = current or NO_CONSENT
        judged = consent if change.actor.is_contact else ruling
        now = self.clock.now()
        evidence_given = has_evidence(change.evidence)
        if change.action is Action.OPTED_IN:
            check_opt_in(judged, change.actor, change.source, evidence_given)
        elif change.action is Action.RESUBSCRIBED:
            check_resubscribe(consent, change.reason, evidence_given)
        elif change.action is Action.CONFIRMATION_REQUESTED:
            check_request_confirmation(judged, change.actor, now)
            return replace(change, expires_at=now + self.confirmation_ttl)
        elif change.action is Action.CONFIRMED:
            check_confirm(consent, now)
        return change
