"""Messaging values: receiving numbers, keyword-set changes, inbound records, the outbox (SPEC §4).

Enum values are stored in the database and returned by the API: add, never rename or remove.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from consentry.core.channels import Channel
from consentry.core.keywords import KeywordKind


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A message Consentry itself sends: a keyword reply, help text, an opt-in confirmation."""

    group_id: str
    contact_id: str
    channel: Channel
    to: str
    body: str
    category: str
    subject: str | None = None
    sender: str | None = None
    reply_to_message_id: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A message in the outbox table, waiting for the sending service (or sent)."""

    id: str
    message: OutboundMessage
    created_at: datetime
    sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NumberConfig:
    """A receiving number (or sender id): where its messages land and how it answers."""

    number: str
    group_id: str
    scope_id: str
    channels: tuple[Channel, ...]
    keyword_set: str = "default"
    languages: tuple[str, ...] = ("en", "fr", "es", "de", "pt", "it")
    free_text: bool = True
    help_text: str = ""
    opt_out_text: str = ""
    opt_in_text: str = ""
    unsubscribe_digit: str = "9"


class KeywordOp(StrEnum):
    """What a change does to a keyword set. Stored: add, never rename or remove."""

    ADD = "add"
    REMOVE = "remove"


@dataclass(frozen=True, slots=True)
class KeywordChange:
    """One word added to or removed from a group's keyword set."""

    name: str
    kind: KeywordKind
    language: str
    word: str
    op: KeywordOp


class InboundOutcome(StrEnum):
    """What an inbound message did. Stored: add, never rename or remove."""

    RECEIVED = "received"  # claimed, still being handled in its transaction
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    HELP = "help"
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class InboundRecord:
    """What one inbound message (or keypress) did; kept so a provider's retry does nothing."""

    provider: str
    message_id: str
    group_id: str
    number: str
    channel: Channel
    received_at: datetime
    recorded_at: datetime
    outcome: InboundOutcome = InboundOutcome.RECEIVED
    contact_id: str | None = None
    rule: str | None = None
    event_ids: tuple[str, ...] = ()
    reply_id: str | None = None
    #: the keyed hash of the sender's address: a retry repeats (number, provider, message id,
    #: sender), so another sender is another message; "" on rows kept from before migration 0006
    sender: str = ""
