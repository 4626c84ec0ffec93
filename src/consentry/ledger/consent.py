"""Consent commands: opt in, opt out, re-subscribe, request confirmation, confirm (SPEC §1-§4).

Every command has one shape: validate → open a write transaction → lock the contact's chain
→ load the current consent → let the core rules refuse or accept → append the event and the
projection → commit. Everything after ``scope_id`` is keyword-only.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from consentry.core.channels import Channel, parse_channel
from consentry.core.events import Action, ConsentEvent, Source, has_evidence
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
from consentry.ledger.context import Context
from consentry.ledger.steps import (
    Change,
    Evidence,
    acting,
    authorise_at,
    load_contact,
    load_scope,
    record,
)


def opt_in(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: str | Channel,
    scope_id: str,
    *,
    evidence: Evidence,
    source: Source = Source.API,
    occurred_at: datetime | None = None,
) -> ConsentEvent:
    """Opt a contact in; staff and admins need evidence of written permission (seeds/000)."""
    return _command(
        ctx, principal, contact_id, channel, scope_id, action=Action.OPTED_IN,
        capability=Capability.OPT_IN, source=source, evidence=evidence, occurred_at=occurred_at,
    )  # fmt: skip


def opt_out(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: str | Channel,
    scope_id: str,
    *,
    evidence: Evidence = None,
    source: Source = Source.API,
    occurred_at: datetime | None = None,
) -> ConsentEvent:
    """Opt a contact out: soft when an admin does it, hard when the contact did (seeds/001)."""
    return _command(
        ctx, principal, contact_id, channel, scope_id, action=Action.OPTED_OUT,
        capability=Capability.CHANGE_SUBSCRIPTION, source=source, evidence=evidence,
        occurred_at=occurred_at,
    )  # fmt: skip


def resubscribe(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: str | Channel,
    scope_id: str,
    *,
    reason: str | None,
    evidence: Evidence,
    source: Source = Source.API,
) -> ConsentEvent:
    """Reverse a soft opt-out: admins only, with a reason and evidence (seeds/002)."""
    return _command(
        ctx, principal, contact_id, channel, scope_id, action=Action.RESUBSCRIBED,
        capability=Capability.CHANGE_SUBSCRIPTION, source=source, evidence=evidence,
        reason=reason,
    )  # fmt: skip


def request_confirmation(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: str | Channel,
    scope_id: str,
    *,
    evidence: Evidence = None,
    source: Source = Source.API,
) -> ConsentEvent:
    """Start a double opt-in (pending), or a contact's opt-back-in after an opt-out."""
    return _command(
        ctx, principal, contact_id, channel, scope_id, action=Action.CONFIRMATION_REQUESTED,
        capability=Capability.REQUEST_CONFIRMATION, source=source, evidence=evidence,
    )  # fmt: skip


def confirm(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: str | Channel,
    scope_id: str,
    *,
    evidence: Evidence,
    source: Source = Source.CONFIRMATION_LINK,
) -> ConsentEvent:
    """The contact confirms an open request: opted in, even after a hard opt-out."""
    return _command(
        ctx, principal, contact_id, channel, scope_id, action=Action.CONFIRMED,
        capability=Capability.OWN_PREFERENCES, source=source, evidence=evidence,
    )  # fmt: skip


def _command(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: str | Channel,
    scope_id: str,
    *,
    action: Action,
    capability: Capability,
    source: Source,
    evidence: Evidence = None,
    reason: str | None = None,
    occurred_at: datetime | None = None,
) -> ConsentEvent:
    chan = ctx.policy.require_enabled(parse_channel(str(channel)))
    needed, actor = acting(principal, contact_id, source, capability)
    with ctx.store.transaction() as tx:
        contact = load_contact(tx, principal, contact_id)
        scope = load_scope(ctx, tx, principal, scope_id)
        authorise_at(principal, needed, scope)
        head = tx.lock_chain(contact.id)
        path = path_to_root(scope.id)
        consents = tx.consents(contact.id, chan, path)
        current = consents.get(scope.id)
        change = Change(
            contact=contact, channel=chan, scope_id=scope.id, action=action, actor=actor,
            recorded_by=principal.id, source=source, reason=reason, evidence=evidence,
            occurred_at=occurred_at,
        )  # fmt: skip
        change = _checked(ctx, change, current, governing(consents, path))
        event = record(ctx, tx, head, change, current or NO_CONSENT)
        tx.commit()
    return event


def _checked(ctx: Context, change: Change, current: Consent | None, ruling: Consent) -> Change:
    """Apply the core rules; may add an expiry to a confirmation request.

    A staff opt-in or signup is judged by ``ruling`` (an opt-out above the scope counts);
    the contact's own acts, a re-subscribe and a confirmation by the scope's own consent.
    """
    consent = current or NO_CONSENT
    judged = consent if change.actor.is_contact else ruling
    now = ctx.clock.now()
    evidence_given = has_evidence(change.evidence)
    if change.action is Action.OPTED_IN:
        check_opt_in(judged, change.actor, change.source, evidence_given)
    elif change.action is Action.RESUBSCRIBED:
        check_resubscribe(consent, change.reason, evidence_given)
    elif change.action is Action.CONFIRMATION_REQUESTED:
        check_request_confirmation(judged, change.actor, now)
        return replace(change, expires_at=now + ctx.confirmation_ttl)
    elif change.action is Action.CONFIRMED:
        check_confirm(consent, now)
    return change
