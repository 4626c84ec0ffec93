"""The steps of one inbound message inside its transaction: claim, find the contact, reply, finish.

``claim`` authorises the provider's principal, finds the receiving number (from the context's
memo when it was read at the configuration version the transaction reads first) and claims
(number, provider, message id, sender) so that a retry, which repeats all four, is answered from
the stored outcome, and the same id from another gateway, number or sender is a message of its
own (decision 023); ``finish`` queues
the reply in the same transaction when the outbox can, and stores the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, cast

from consentry.core import limits
from consentry.core.channels import AddressKind, Channel
from consentry.core.contacts import Contact
from consentry.core.errors import Invalid
from consentry.core.ids import new_id
from consentry.core.keywords import Match
from consentry.core.messaging import InboundOutcome, InboundRecord, NumberConfig, OutboundMessage
from consentry.core.permissions import Capability, Principal, authorise
from consentry.ledger.context import Context
from consentry.ledger.numbers import (
    ConfigView,
    config_view,
    number_config,
    number_key,
    strip_prefix,
)
from consentry.ledger.ports import TransactionalOutbox, Tx


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
class InboundMessage:
    """One inbound message being handled (inside its transaction)."""

    principal: Principal
    number: NumberConfig
    record: InboundRecord
    mobile: str
    evidence: Mapping[str, Any]
    config: ConfigView  # the numbers and keyword sets as of this transaction


def claim(
    ctx: Context,
    tx: Tx,
    principal: Principal,
    provider: str,
    message_id: str,
    from_: str,
    to: str,
    channel: Channel,
    received_at: datetime | None,
) -> InboundMessage | InboundResult:
    """Authorise, find the number and claim the message; a replay's stored result."""
    authorise(principal, Capability.DELIVER_INBOUND)
    provider = _ident(provider, 32, "provider")
    message_id = _ident(message_id, 200, "message_id")
    mobile = ctx.addresses.mobile(strip_prefix(from_))
    config = config_view(ctx, tx)  # the configuration's version, read first (decision 084)
    number = number_config(tx, principal, number_key(ctx, to), config)
    authorise(principal, Capability.DELIVER_INBOUND, number.scope_id)
    now = ctx.clock.now()
    sender = ctx.addresses.digest(AddressKind.MOBILE, mobile)  # the key, never the number
    record = InboundRecord(
        provider,
        message_id,
        number.group_id,
        number.number,
        channel,
        received_at or now,
        now,
        sender=sender,
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
    return InboundMessage(principal, number, record, mobile, evidence, config)


def contact_of(ctx: Context, tx: Tx, msg: InboundMessage, create: bool) -> Contact | None:
    """The group's contact with this mobile number; a minimal new one when asked."""
    group_id = msg.number.group_id
    digest = ctx.addresses.digest(AddressKind.MOBILE, msg.mobile)
    found = tx.find_contact_id(group_id, AddressKind.MOBILE, digest)
    if found is not None:
        return Contact(found, group_id)  # the events need only its id and group
    if not create:
        return None
    now = ctx.clock.now()
    contact = Contact(
        new_id("ct", now), group_id, mobile=msg.mobile, created_at=now,
        attributes={"created_from": f"inbound {msg.record.channel.value}"},
    )  # fmt: skip
    tx.add_contact(contact, {AddressKind.MOBILE: digest})
    return contact


def reply_to(
    msg: InboundMessage, contact: Contact | None, text: str, category: ReplyCategory
) -> OutboundMessage:
    """Consentry's reply to the message: to its sender, from the receiving number."""
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


def finish(
    ctx: Context, tx: Tx, msg: InboundMessage, result: InboundResult, reply: OutboundMessage | None
) -> tuple[InboundResult, OutboundMessage | None]:
    """Queue the reply in ``tx`` when the outbox can, and store the outcome."""
    reply_id: str | None = None
    later = reply
    if reply is not None and ctx.outbox is not None and _queues(type(ctx.outbox)):
        reply_id = cast(TransactionalOutbox, ctx.outbox).enqueue(tx, reply, ctx.clock.now())
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


def evidence_of(msg: InboundMessage, text: str, found: Match | None) -> dict[str, Any]:
    """The message's evidence with its text and the rule it matched (if any)."""
    return {
        **msg.evidence,
        "body": text,
        "matched_rule": found.rule if found else None,
        "language": found.language if found else None,
    }


def language_of(found: Match, number: NumberConfig) -> str:
    """Answer in the keyword's language; English keywords (used everywhere) in the number's."""
    if found.language is not None and found.language != "en":
        return found.language
    return number.languages[0] if number.languages else "en"


def id_of(contact: Contact | None) -> str | None:
    """The contact's id, or None without one."""
    return contact.id if contact is not None else None


@lru_cache(maxsize=32)
def _queues(kind: type) -> bool:
    """Whether outboxes of this class queue in the transaction (``TransactionalOutbox``),
    asked once per class: a protocol ``isinstance`` costs tens of microseconds a message."""
    return issubclass(kind, TransactionalOutbox)


def _replayed(stored: InboundRecord) -> InboundResult:
    return InboundResult(
        outcome=stored.outcome,
        rule=stored.rule,
        contact_id=stored.contact_id,
        event_ids=stored.event_ids,
        reply_id=stored.reply_id,
        replayed=True,
    )


def _ident(value: str, limit: int, field: str) -> str:
    """A provider's name or message id: one line of text, 1 to ``limit`` characters (050)."""
    text = limits.text(value.strip(), field=field, max_length=limit)
    if not text:
        raise Invalid(f"an inbound message needs a {field}", field=field)
    return text
