"""The contact's own messages: STOP, START, HELP by text, the unsubscribe digit by phone (SPEC §4).

One transaction per message: read the configuration version and look up the receiving number
(both kept in the context's memo until a change, decision 084) → claim (number, provider, message
id, sender) → match the keywords → find (or create) the contact by mobile → append the hard
events and the projection → queue the one reply → store the outcome → commit. A provider's retry
repeats all four, finds the claim and gets the first outcome back, writing nothing and sending
nothing; the same id from another gateway, number or sender is a message of its own (023).

=================  ====================================================  ================
matched            consent change (actor: the contact; hard)             reply
=================  ====================================================  ================
opt_out            opted out on the message's channel at the number's    opt-out text, once
                   scope (Source.SMS_KEYWORD)                            (when it changed)
opt_out_all        opted out at the group, on the message's channel and  opt-out text, once
                   every channel the number serves
opt_in             opted in at the number's scope, and every opt-out on  opt-in text
                   the scope path on that channel lifted (START)
help               nothing                                               help text
nothing            nothing (an ordinary message)                         none
keypad digit       opted out of voice at the number's scope              spoken by the route
                   (Source.VOICE_KEYPAD)
=================  ====================================================  ================

A STOP from a mobile number the group does not know creates a minimal contact (the mobile
number only) so the opt-out is kept and a later import of that number stays opted out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from consentry.core.channels import Channel, parse_channel
from consentry.core.contacts import Contact
from consentry.core.errors import ContactExists, Invalid
from consentry.core.events import Action, Actor, ActorKind, ConsentEvent, Source
from consentry.core.keywords import KeywordKind, Match, match
from consentry.core.messaging import InboundOutcome, OutboundMessage
from consentry.core.permissions import Principal
from consentry.core.scopes import is_within, path_to_root
from consentry.core.status import NO_CONSENT, Consent, Status
from consentry.core.transitions import check_opt_in
from consentry.ledger.consent import close_overridden_requests
from consentry.ledger.context import Context
from consentry.ledger.inbound_steps import (
    InboundMessage,
    InboundResult,
    ReplyCategory,
    claim,
    contact_of,
    evidence_of,
    finish,
    id_of,
    language_of,
    reply_to,
)
from consentry.ledger.numbers import MESSAGING
from consentry.ledger.ports import Tx
from consentry.ledger.replies import reply_text
from consentry.ledger.steps import Change, record

MAX_BODY = 1600  # ten concatenated SMS segments: longer text is kept as evidence cut here
VOICE_OPT_OUT = "You are unsubscribed from our calls. Goodbye."


def receive_message(
    ctx: Context,
    principal: Principal,
    provider: str,
    message_id: str,
    from_: str,
    to: str,
    body: str,
    *,
    channel: str | Channel = Channel.SMS,
    received_at: datetime | None = None,
) -> InboundResult:
    """Act on one inbound text message (a provider's retry of the same id does nothing)."""
    chan = parse_channel(str(channel))
    if chan not in MESSAGING:
        raise Invalid(f"inbound messages come by {', '.join(c.value for c in MESSAGING)}")
    text = body[:MAX_BODY]
    result, later = _retrying_a_race(
        lambda: _receive_once(
            ctx, principal, provider, message_id, from_, to, text, chan, received_at
        )
    )
    if later is not None and ctx.outbox is not None:
        ctx.outbox.send(later)
    return result


def press_key(
    ctx: Context,
    principal: Principal,
    provider: str,
    call_id: str,
    from_: str,
    to: str,
    digits: str,
    *,
    received_at: datetime | None = None,
) -> InboundResult:
    """Keys pressed during a call: the number's unsubscribe digit opts out of calls."""
    pressed = digits.strip().rstrip("#")[:32]
    call = (principal, provider, f"{call_id}:{pressed}", from_, to)
    result, _ = _retrying_a_race(lambda: _press_once(ctx, *call, pressed, received_at))
    return result


def _receive_once(
    ctx: Context,
    principal: Principal,
    provider: str,
    message_id: str,
    from_: str,
    to: str,
    text: str,
    chan: Channel,
    received_at: datetime | None,
) -> tuple[InboundResult, OutboundMessage | None]:
    with ctx.store.transaction() as tx:
        msg = claim(ctx, tx, principal, provider, message_id, from_, to, chan, received_at)
        if isinstance(msg, InboundResult):
            return msg, None
        found = match(text, msg.config.keywords(tx, msg.number))
        msg = replace(msg, evidence=evidence_of(msg, text, found))
        result, reply = _inbound_act(ctx, tx, msg, found)
        outcome = finish(ctx, tx, msg, result, reply)
        tx.commit()
    return outcome


def _press_once(
    ctx: Context,
    principal: Principal,
    provider: str,
    message_id: str,
    from_: str,
    to: str,
    pressed: str,
    received_at: datetime | None,
) -> tuple[InboundResult, OutboundMessage | None]:
    with ctx.store.transaction() as tx:
        msg = claim(ctx, tx, principal, provider, message_id, from_, to, Channel.VOICE, received_at)
        if isinstance(msg, InboundResult):
            return msg, None
        result = InboundResult(InboundOutcome.IGNORED)
        if pressed == msg.number.unsubscribe_digit:
            result = _keypad_opt_out(ctx, tx, msg, pressed)
        outcome = finish(ctx, tx, msg, result, None)
        tx.commit()
    return outcome


def _keypad_opt_out(ctx: Context, tx: Tx, msg: InboundMessage, pressed: str) -> InboundResult:
    rule = f"keypad:{pressed}"
    msg = replace(msg, evidence={**msg.evidence, "digits": pressed, "matched_rule": rule})
    contact = contact_of(ctx, tx, msg, create=True)
    assert contact is not None
    scope_id = msg.number.scope_id
    event, _ = _inbound_hard(ctx, tx, msg, contact, Channel.VOICE, scope_id, Action.OPTED_OUT)
    return InboundResult(InboundOutcome.OPTED_OUT, rule, contact.id, (event.id,), VOICE_OPT_OUT)


# ── the steps ──
def _inbound_act(
    ctx: Context, tx: Tx, msg: InboundMessage, found: Match | None
) -> tuple[InboundResult, OutboundMessage | None]:
    number, chan = msg.number, msg.record.channel
    if found is None:
        contact = contact_of(ctx, tx, msg, create=False)
        return InboundResult(InboundOutcome.IGNORED, contact_id=id_of(contact)), None
    if found.kind is KeywordKind.HELP:
        contact = contact_of(ctx, tx, msg, create=False)
        text = reply_text(number, found.kind, language_of(found, number))
        reply = reply_to(msg, contact, text, ReplyCategory.HELP)
        return InboundResult(InboundOutcome.HELP, found.rule, id_of(contact)), reply
    contact = contact_of(ctx, tx, msg, create=True)
    assert contact is not None
    if found.kind is KeywordKind.OPT_IN:
        events, changed = _inbound_opt_in(ctx, tx, msg, contact)
        outcome = InboundOutcome.OPTED_IN
        category = ReplyCategory.OPT_IN_CONFIRMATION
    else:
        events, changed = _inbound_opt_out(ctx, tx, msg, contact, found.kind, chan)
        outcome = InboundOutcome.OPTED_OUT
        category = ReplyCategory.OPT_OUT_CONFIRMATION
    text = reply_text(number, found.kind, language_of(found, number))
    confirmation = reply_to(msg, contact, text, category) if changed else None
    ids = tuple(e.id for e in events)
    return InboundResult(outcome, found.rule, contact.id, ids), confirmation


def _inbound_opt_out(
    ctx: Context, tx: Tx, msg: InboundMessage, contact: Contact, kind: KeywordKind, chan: Channel
) -> tuple[list[ConsentEvent], bool]:
    """Hard opt-out at the number's scope, or (STOPALL) at the group on all its channels."""
    if kind is KeywordKind.OPT_OUT_ALL:
        scope_id = msg.number.group_id
        channels = tuple(dict.fromkeys((chan, *msg.number.channels)))
    else:
        scope_id, channels = msg.number.scope_id, (chan,)
    done = [_inbound_hard(ctx, tx, msg, contact, c, scope_id, Action.OPTED_OUT) for c in channels]
    changed = any(before is not Status.HARD_OPT_OUT for _, before in done)
    return [event for event, _ in done], changed


def _inbound_opt_in(
    ctx: Context, tx: Tx, msg: InboundMessage, contact: Contact
) -> tuple[list[ConsentEvent], bool]:
    """START: opted in at the number's scope, every opt-out on the path lifted."""
    chan, scope_id = msg.record.channel, msg.number.scope_id
    path = path_to_root(scope_id)
    consents = tx.consents(contact.id, chan, path)
    targets = [s for s in path if s in consents and consents[s].status.is_opt_out]
    if consents.get(scope_id, NO_CONSENT).status is not Status.OPTED_IN:
        targets = [scope_id, *[s for s in targets if s != scope_id]]
    done = [_inbound_hard(ctx, tx, msg, contact, chan, s, Action.OPTED_IN) for s in targets]
    return [event for event, _ in done], bool(done)


def _inbound_hard(
    ctx: Context,
    tx: Tx,
    msg: InboundMessage,
    contact: Contact,
    chan: Channel,
    scope_id: str,
    action: Action,
) -> tuple[ConsentEvent, Status]:
    """Record one of the contact's own (hard) events in ``tx``; also the status before."""
    source = Source.VOICE_KEYPAD if chan is Channel.VOICE else Source.SMS_KEYWORD
    actor = Actor(ActorKind.CONTACT, contact.id)
    head = tx.lock_chain(contact.id)
    consents = tx.channel_consents(contact.id, chan)  # one read: this scope's and those below
    current = consents.get(scope_id, NO_CONSENT)
    if action is Action.OPTED_IN:
        check_opt_in(current, actor, source, has_evidence=True)
    change = Change(
        contact=contact, channel=chan, scope_id=scope_id, action=action, actor=actor,
        recorded_by=msg.principal.id, source=source, evidence=msg.evidence,
        occurred_at=msg.record.received_at,
    )  # fmt: skip
    event = record(ctx, tx, head, change, current)
    if action is Action.OPTED_OUT and _requests_below(consents, scope_id, event.recorded_at):
        close_overridden_requests(ctx, tx, contact, event)  # the requests below (055)
    return event, current.status


def _requests_below(consents: dict[str, Consent], scope_id: str, now: datetime) -> bool:
    """Whether a confirmation request is open below ``scope_id`` (then an opt-out there closes
    it, 055); the common STOP finds none and so reads nothing more."""
    return any(
        s != scope_id and is_within(s, scope_id) and c.awaiting_confirmation(now)
        for s, c in consents.items()
    )


def _retrying_a_race(
    attempt: Callable[[], tuple[InboundResult, OutboundMessage | None]],
) -> tuple[InboundResult, OutboundMessage | None]:
    """Run once more when a concurrent message created the same new contact first."""
    try:
        return attempt()
    except ContactExists:
        return attempt()
