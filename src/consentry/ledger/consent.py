"""Consent commands: opt in, opt out, re-subscribe, request confirmation, confirm (SPEC §1-§4).

Every command has one shape: validate → open a write transaction → lock the contact's chain
→ load the current consent → let the core rules refuse or accept → append the event and the
projection → commit. Everything after ``scope_id`` is keyword-only.

- An opt-in that anyone but the contact records carries a record of written permission
  (``core/evidence.py``, docs/decisions/056).
- A sender key or the operator relays the contact's own acts only as the contact can make
  them (``permissions.RELAYED_SOURCES``, docs/decisions/054); a relayed confirmation carries
  the signed confirmation link's token.
- An opt-out closes the open confirmation requests it overrides: its own scope's by the fold,
  those below it on the channel with a ``confirmation_cancelled`` each (docs/decisions/055).
- A staff opt-in or a signup is judged by the opt-outs above its scope (docs/decisions/058).
- An opt-in or re-subscribe given an ``attachment`` (the uploaded copy of the permission) keeps
  its bytes in the same transaction as the event, whose evidence names its SHA-256, name and
  size; the same bytes twice for one contact are kept once (docs/decisions/067).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from consentry.core.channels import Channel, parse_channel
from consentry.core.contacts import Contact
from consentry.core.errors import Forbidden, Invalid, LinkInvalid
from consentry.core.events import Action, ConsentEvent, Source, canonical_evidence, has_evidence
from consentry.core.evidence import Attachment, check_written_permission, with_attachment
from consentry.core.links import LinkPurpose
from consentry.core.permissions import Capability, Principal, check_source_channel
from consentry.core.scopes import ScopeKind, is_within, path_to_root, scope_kind
from consentry.core.status import NO_CONSENT, Consent
from consentry.core.transitions import (
    check_confirm,
    check_opt_in,
    check_request_confirmation,
    check_resubscribe,
    governing,
)
from consentry.ledger.context import Context
from consentry.ledger.ports import Tx
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
    attachment: Attachment | None = None,
) -> ConsentEvent:
    """Opt a contact in; staff and admins need a record of written permission (seeds/000).

    ``evidence`` is then ``{"written_permission": "email" | "message" | "signed_form" |
    "document", "given_at": ISO date or time, "reference": text, "file_sha256"?: hex}``
    (``core.evidence.written_permission`` builds it); the contact's own opt-in (their START)
    carries what they sent. ``attachment``, an uploaded copy of the permission, is kept with
    the event, and the evidence names it (``file_sha256``, ``file_name``, ``file_bytes``).
    """
    return _command(
        ctx, principal, contact_id, channel, scope_id, action=Action.OPTED_IN,
        capability=Capability.OPT_IN, source=source, evidence=evidence, occurred_at=occurred_at,
        attachment=attachment,
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
    attachment: Attachment | None = None,
) -> ConsentEvent:
    """Reverse a soft opt-out: admins only, with a reason and evidence (seeds/002); an
    ``attachment`` is kept as for ``opt_in``."""
    return _command(
        ctx, principal, contact_id, channel, scope_id, action=Action.RESUBSCRIBED,
        capability=Capability.CHANGE_SUBSCRIPTION, source=source, evidence=evidence,
        reason=reason, attachment=attachment,
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
    token: str | None = None,
) -> ConsentEvent:
    """The contact confirms an open request: opted in, even after a hard opt-out.

    The contact's own principal (a hosted page that verified the link) needs nothing more; a
    sender relaying the click passes the confirmation link's signed ``token``.
    """
    return _command(
        ctx, principal, contact_id, channel, scope_id, action=Action.CONFIRMED,
        capability=Capability.OWN_PREFERENCES, source=source, evidence=evidence, token=token,
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
    token: str | None = None,
    attachment: Attachment | None = None,
) -> ConsentEvent:
    chan = ctx.policy.require_enabled(parse_channel(str(channel)))
    needed, actor = acting(principal, contact_id, source, capability, action=action)
    if attachment is not None:
        evidence = with_attachment(evidence, attachment)
    with ctx.store.transaction() as tx:
        contact = load_contact(tx, principal, contact_id)
        scope = load_scope(ctx, tx, principal, scope_id)
        authorise_at(principal, needed, scope)
        if needed is Capability.DELIVER_INBOUND:  # relaying the contact's own act (054)
            check_source_channel(source, chan)
            if action is Action.CONFIRMED:
                _check_confirmation_link(ctx, token, contact.id, chan, scope.id)
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
        if action is Action.OPTED_OUT:
            close_overridden_requests(ctx, tx, contact, event)
        if attachment is not None:  # with the event that names it, or not at all
            tx.add_evidence_file(contact.id, attachment, event.recorded_at)
        tx.commit()
    return event


def close_overridden_requests(
    ctx: Context, tx: Tx, contact: Contact, opt_out: ConsentEvent
) -> list[ConsentEvent]:
    """Close the open confirmation requests an opt-out overrides (docs/decisions/055).

    The opt-out's own scope is closed by the fold; each open request at a scope below it on
    the same channel gets a ``confirmation_cancelled`` event, by the same actor and source, in
    the caller's transaction: a group opt-out filters down (seeds/004), so an old link for a
    client or user must not confirm afterwards, nor open the door to confirmation messages.
    """
    closed: list[ConsentEvent] = []
    if scope_kind(opt_out.scope_id) is ScopeKind.USER:
        return closed  # nothing is below a user: no read on the hot path
    now = ctx.clock.now()
    for channel, scope_id, consent in sorted(tx.consent_rows(contact.id), key=lambda r: r[1]):
        if channel is not opt_out.channel or scope_id == opt_out.scope_id:
            continue
        if not is_within(scope_id, opt_out.scope_id) or not consent.awaiting_confirmation(now):
            continue
        change = Change(
            contact=contact, channel=channel, scope_id=scope_id,
            action=Action.CONFIRMATION_CANCELLED, actor=opt_out.actor,
            recorded_by=opt_out.recorded_by, source=opt_out.source,
            evidence={"cancelled_by": opt_out.id},
        )  # fmt: skip
        closed.append(record(ctx, tx, tx.lock_chain(contact.id), change, consent))
    return closed


def _check_confirmation_link(
    ctx: Context, token: str | None, contact_id: str, channel: Channel, scope_id: str
) -> None:
    """A relayed confirmation must carry the signed link that was sent to the contact (054)."""
    if not token:
        raise Forbidden(
            "a sender delivers the contact's confirmation only with the token of the signed "
            "confirmation link they followed",
            field="token",
        )
    if ctx.signer is None:
        raise Invalid("this ledger has no link signer (build it with bootstrap.build)")
    claims = ctx.signer.verify(token, ctx.clock.now())
    if (
        claims.purpose is not LinkPurpose.CONFIRM
        or claims.contact_id != contact_id
        or claims.scope_id != scope_id
        or channel not in claims.channels
    ):
        raise LinkInvalid("this link does not confirm that contact, channel and scope")


def _checked(ctx: Context, change: Change, current: Consent | None, ruling: Consent) -> Change:
    """Apply the core rules; may add an expiry to a confirmation request.

    A staff opt-in or signup is judged by ``ruling`` (an opt-out above the scope counts);
    the contact's own acts, a re-subscribe and a confirmation by the scope's own consent
    (docs/decisions/058). An opt-in by anyone but the contact needs a record of written
    permission (056), checked before the status (002's order).
    """
    consent = current or NO_CONSENT
    judged = consent if change.actor.is_contact else ruling
    now = ctx.clock.now()
    evidence_given = has_evidence(change.evidence)
    if change.action is Action.OPTED_IN:
        if not change.actor.is_contact:
            canonical_evidence(change.evidence)  # what cannot be stored is invalid_evidence
            check_written_permission(change.evidence, change.occurred_at or now)
        check_opt_in(judged, change.actor, change.source, evidence_given)
    elif change.action is Action.RESUBSCRIBED:
        check_resubscribe(consent, change.reason, evidence_given)
    elif change.action is Action.CONFIRMATION_REQUESTED:
        check_request_confirmation(judged, change.actor, now)
        return replace(change, expires_at=now + ctx.confirmation_ttl)
    elif change.action is Action.CONFIRMED:
        check_confirm(consent, now)
    return change
