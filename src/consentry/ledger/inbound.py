"""The contact's own messages: STOP, START, HELP by text, the unsubscribe digit by phone (SPEC §4).

One transaction per message: claim (provider, message id) → look up the receiving number →
match the keywords → find (or create) the contact by mobile → append the hard events and the
projection → queue the one reply → store the outcome → commit. A provider's retry finds the
claim and gets the first outcome back, writing nothing and sending nothing.

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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from consentry.core.channels import AddressKind, Channel, parse_channel
from consentry.core.contacts import Contact
from consentry.core.errors import ContactExists, Invalid
from consentry.core.events import Action, Actor, ActorKind, ConsentEvent, Source
from consentry.core.ids import new_id
from consentry.core.keywords import KeywordKind, Match, match
from consentry.core.messaging import InboundOutcome, InboundRecord, NumberConfig, OutboundMessage
from consentry.core.permissions import Capability, Principal, authorise
from consentry.core.scopes import path_to_root
from consentry.core.status import NO_CONSENT, Status
from consentry.core.transitions import check_opt_in
from consentry.ledger.base import Change
from consentry.ledger.numbers import MESSAGING, NumberCommands, strip_prefix
from consentry.ledger.ports import TransactionalOutbox, Tx
from consentry.ledger.replies import reply_text

MAX_BODY = 1600  # ten concatenated SMS segments: longer text is kept as evidence cut here
VOICE_OPT_OUT = "You are unsubscribed from our calls. Goodbye."


class ReplyCategory(StrEnum):
    """The category of Consentry's own replies in the outbox. Add, never rename or remove."""

    OPT_OUT_CONFIRMATION = "opt_out_confirmation"
    OPT_IN_CONFIRMATION = "opt_in_acknowledgement"
    HELP = "help"


@dataclass(frozen=True, slots=True)
class InboundResult:
    """What an inbound message did; ``replayed`` when it was a provider's retry."""

    outcome: InboundOutcome
    rule: str | None = None
    contact_id: str | None = None
    event_ids: tuple[str, ...] = ()
    reply: str | None = None
    reply_id: str | None = None
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class _Inbound:
    """One inbound message being handled (inside its transaction)."""

    principal: Principal
    number: NumberConfig
    record: InboundRecord
    mobile: str
    evidence: Mapping[str, Any]


class InboundCommands(NumberCommands):
    """Keywords by text and the unsubscribe digit by phone."""

    def receive_message(
        self,
        principal: Principal,
        provider: str,
        message_id: str,
        from_: str,
        to: str,
        body: str,
        channel: str | Channel = Channel.SMS,
        received_at: datetime | None = None,
    ) -> InboundResult:
        """Act on one inbound text message (a provider's retry of the same id does nothing)."""
        chan = parse_channel(str(channel))
        if chan not in MESSAGING:
            raise Invalid(f"inbound messages come by {', '.join(c.value for c in MESSAGING)}")
        text = body[:MAX_BODY]
        result, later = _retrying_a_race(
            lambda: self._receive_once(
                principal, provider, message_id, from_, to, text, chan, received_at
            )
        )
        if later is not None and self.outbox is not None:
            self.outbox.send(later)
        return result

    def press_key(
        self,
        principal: Principal,
        provider: str,
        call_id: str,
        from_: str,
        to: str,
        digits: str,
        received_at: datetime | None = None,
    ) -> InboundResult:
        """Keys pressed during a call: the number's unsubscribe digit opts out of calls."""
        pressed = digits.strip().rstrip("#")[:32]
        call = (principal, provider, f"{call_id}:{pressed}", from_, to)
        result, _ = _retrying_a_race(lambda: self._press_once(*call, pressed, received_at))
        return result

    def _receive_once(
        self,
        principal: Principal,
        provider: str,
        message_id: str,
        from_: str,
        to: str,
        text: str,
        chan: Channel,
        received_at: datetime | None,
    ) -> tuple[InboundResult, OutboundMessage | None]:
        with self.store.transaction() as tx:
            msg = self._inbound_claim(
                tx, principal, provider, message_id, from_, to, chan, received_at
            )
            if isinstance(msg, InboundResult):
                return msg, None
            number = msg.number
            keywords = self._keyword_set_of(
                tx, number.group_id, number.keyword_set, number.languages, number.free_text
            )
            found = match(text, keywords)
            msg = replace(msg, evidence=_evidence(msg, text, found))
            result, reply = self._inbound_act(tx, msg, found)
            outcome = self._inbound_finish(tx, msg, result, reply)
            tx.commit()
        return outcome

    def _press_once(
        self,
        principal: Principal,
        provider: str,
        message_id: str,
        from_: str,
        to: str,
        pressed: str,
        received_at: datetime | None,
    ) -> tuple[InboundResult, OutboundMessage | None]:
        with self.store.transaction() as tx:
            msg = self._inbound_claim(
                tx, principal, provider, message_id, from_, to, Channel.VOICE, received_at
            )
            if isinstance(msg, InboundResult):
                return msg, None
            result = InboundResult(InboundOutcome.IGNORED)
            if pressed == msg.number.unsubscribe_digit:
                result = self._keypad_opt_out(tx, msg, pressed)
            outcome = self._inbound_finish(tx, msg, result, None)
            tx.commit()
        return outcome

    def _keypad_opt_out(self, tx: Tx, msg: _Inbound, pressed: str) -> InboundResult:
        rule = f"keypad:{pressed}"
        msg = replace(msg, evidence={**msg.evidence, "digits": pressed, "matched_rule": rule})
        contact = self._inbound_contact(tx, msg, create=True)
        assert contact is not None
        scope_id = msg.number.scope_id
        event, _ = self._inbound_hard(tx, msg, contact, Channel.VOICE, scope_id, Action.OPTED_OUT)
        return InboundResult(InboundOutcome.OPTED_OUT, rule, contact.id, (event.id,), VOICE_OPT_OUT)

    # ── the steps ──
    def _inbound_claim(
        self,
        tx: Tx,
        principal: Principal,
        provider: str,
        message_id: str,
        from_: str,
        to: str,
        channel: Channel,
        received_at: datetime | None,
    ) -> _Inbound | InboundResult:
        """Authorise, find the number and claim the message id; a replay's stored result."""
        authorise(principal, Capability.DELIVER_INBOUND)
        provider, message_id = _ident(provider, 32), _ident(message_id, 200)
        mobile = self.addresses.mobile(strip_prefix(from_))
        number = self._number_config(tx, principal, self.number_key(to))
        authorise(principal, Capability.DELIVER_INBOUND, number.scope_id)
        now = self.clock.now()
        record = InboundRecord(
            provider, message_id, number.group_id, number.number, channel, received_at or now, now
        )
        stored = tx.claim_inbound(record)
        if stored is not None:
            return _replayed(stored)
        evidence = {
            "provider": provider,
            "message_id": message_id,
            "from": mobile,
            "to": number.number,
            "channel": channel.value,
            "received_at": record.received_at.isoformat(),
        }
        return _Inbound(principal, number, record, mobile, evidence)

    def _inbound_act(
        self, tx: Tx, msg: _Inbound, found: Match | None
    ) -> tuple[InboundResult, OutboundMessage | None]:
        number, chan = msg.number, msg.record.channel
        if found is None:
            contact = self._inbound_contact(tx, msg, create=False)
            return InboundResult(InboundOutcome.IGNORED, contact_id=_id(contact)), None
        if found.kind is KeywordKind.HELP:
            contact = self._inbound_contact(tx, msg, create=False)
            text = reply_text(number, found.kind, _language(found, number))
            reply = self._inbound_reply(msg, contact, text, ReplyCategory.HELP)
            return InboundResult(InboundOutcome.HELP, found.rule, _id(contact)), reply
        contact = self._inbound_contact(tx, msg, create=True)
        assert contact is not None
        if found.kind is KeywordKind.OPT_IN:
            events, changed = self._inbound_opt_in(tx, msg, contact)
            outcome = InboundOutcome.OPTED_IN
            category = ReplyCategory.OPT_IN_CONFIRMATION
        else:
            events, changed = self._inbound_opt_out(tx, msg, contact, found.kind, chan)
            outcome = InboundOutcome.OPTED_OUT
            category = ReplyCategory.OPT_OUT_CONFIRMATION
        text = reply_text(number, found.kind, _language(found, number))
        confirmation = self._inbound_reply(msg, contact, text, category) if changed else None
        ids = tuple(e.id for e in events)
        return InboundResult(outcome, found.rule, contact.id, ids), confirmation

    def _inbound_opt_out(
        self, tx: Tx, msg: _Inbound, contact: Contact, kind: KeywordKind, chan: Channel
    ) -> tuple[list[ConsentEvent], bool]:
        """Hard opt-out at the number's scope, or (STOPALL) at the group on all its channels."""
        if kind is KeywordKind.OPT_OUT_ALL:
            scope_id = msg.number.group_id
            channels = tuple(dict.fromkeys((chan, *msg.number.channels)))
        else:
            scope_id, channels = msg.number.scope_id, (chan,)
        done = [
            self._inbound_hard(tx, msg, contact, c, scope_id, Action.OPTED_OUT) for c in channels
        ]
        changed = any(before is not Status.HARD_OPT_OUT for _, before in done)
        return [event for event, _ in done], changed

    def _inbound_opt_in(
        self, tx: Tx, msg: _Inbound, contact: Contact
    ) -> tuple[list[ConsentEvent], bool]:
        """START: opted in at the number's scope, every opt-out on the path lifted."""
        chan, scope_id = msg.record.channel, msg.number.scope_id
        path = path_to_root(scope_id)
        consents = tx.consents(contact.id, chan, path)
        targets = [s for s in path if s in consents and consents[s].status.is_opt_out]
        if consents.get(scope_id, NO_CONSENT).status is not Status.OPTED_IN:
            targets = [scope_id, *[s for s in targets if s != scope_id]]
        done = [self._inbound_hard(tx, msg, contact, chan, s, Action.OPTED_IN) for s in targets]
        return [event for event, _ in done], bool(done)

    def _inbound_hard(
        self, tx: Tx, msg: _Inbound, contact: Contact, chan: Channel, scope_id: str, action: Action
    ) -> tuple[ConsentEvent, Status]:
        """Record one of the contact's own (hard) events in ``tx``; also the status before."""
        source = Source.VOICE_KEYPAD if chan is Channel.VOICE else Source.SMS_KEYWORD
        actor = Actor(ActorKind.CONTACT, contact.id)
        head = tx.lock_chain(contact.id)
        current = tx.consents(contact.id, chan, [scope_id]).get(scope_id, NO_CONSENT)
        if action is Action.OPTED_IN:
            check_opt_in(current, actor, source, has_evidence=True)
        change = Change(
            contact, chan, scope_id, action, actor, msg.principal.id, source,
            evidence=msg.evidence, occurred_at=msg.record.received_at,
        )  # fmt: skip
        return self._record(tx, head, change, current), current.status

    def _inbound_contact(self, tx: Tx, msg: _Inbound, create: bool) -> Contact | None:
        """The group's contact with this mobile number; a minimal new one when asked."""
        group_id = msg.number.group_id
        digest = self.addresses.digest(AddressKind.MOBILE, msg.mobile)
        found = tx.find_contact_id(group_id, AddressKind.MOBILE, digest)
        if found is not None:
            return Contact(found, group_id)  # the events need only its id and group
        if not create:
            return None
        now = self.clock.now()
        contact = Contact(
            new_id("ct", now), group_id, mobile=msg.mobile, created_at=now,
            attributes={"created_from": f"inbound {msg.record.channel.value}"},
        )  # fmt: skip
        tx.add_contact(contact, {AddressKind.MOBILE: digest})
        return contact

    def _inbound_reply(
        self, msg: _Inbound, contact: Contact | None, text: str, category: ReplyCategory
    ) -> OutboundMessage:
        return OutboundMessage(
            group_id=msg.number.group_id,
            contact_id=contact.id if contact else "",
            channel=msg.record.channel,
            to=msg.mobile,
            body=text,
            category=category.value,
            sender=msg.number.number,
            reply_to_message_id=f"{msg.record.provider}:{msg.record.message_id}",
        )

    def _inbound_finish(
        self, tx: Tx, msg: _Inbound, result: InboundResult, reply: OutboundMessage | None
    ) -> tuple[InboundResult, OutboundMessage | None]:
        """Queue the reply in ``tx`` when the outbox can, and store the outcome."""
        reply_id: str | None = None
        later = reply
        if reply is not None and isinstance(self.outbox, TransactionalOutbox):
            reply_id = self.outbox.enqueue(tx, reply, self.clock.now())
            later = None if reply_id is not None else reply
        result = replace(result, reply=reply.body if reply else result.reply, reply_id=reply_id)
        tx.finish_inbound(
            replace(
                msg.record,
                outcome=result.outcome,
                contact_id=result.contact_id,
                rule=result.rule,
                event_ids=result.event_ids,
                reply_id=reply_id,
            )
        )
        return result, later


def _retrying_a_race(
    attempt: Callable[[], tuple[InboundResult, OutboundMessage | None]],
) -> tuple[InboundResult, OutboundMessage | None]:
    """Run once more when a concurrent message created the same new contact first."""
    try:
        return attempt()
    except ContactExists:
        return attempt()


def _evidence(msg: _Inbound, text: str, found: Match | None) -> dict[str, Any]:
    return {
        **msg.evidence,
        "body": text,
        "matched_rule": found.rule if found else None,
        "language": found.language if found else None,
    }


def _language(found: Match, number: NumberConfig) -> str:
    """Answer in the keyword's language; English keywords (used everywhere) in the number's."""
    if found.language is not None and found.language != "en":
        return found.language
    return number.languages[0] if number.languages else "en"


def _id(contact: Contact | None) -> str | None:
    return contact.id if contact is not None else None


def _replayed(stored: InboundRecord) -> InboundResult:
    return InboundResult(
        outcome=stored.outcome,
        rule=stored.rule,
        contact_id=stored.contact_id,
        event_ids=stored.event_ids,
        reply_id=stored.reply_id,
        replayed=True,
    )


def _ident(value: str, limit: int) -> str:
    text = value.strip()
    if not text or len(text) > limit:
        raise Invalid(f"an inbound message needs an id of 1 to {limit} characters")
    return text
