"""Ports: what the use cases need from the world, as Protocols (STYLE §2).

The store is also the unit of work: ``with store.transaction() as tx: …; tx.commit()``; leaving
the block without ``commit()`` rolls everything back. A write transaction takes the contact's
chain lock first (``lock_chain``), so the event append and the projection update of one contact
are serialised and land together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from consentry.chain import ChainRow
from consentry.channels import AddressKind, Channel
from consentry.contacts import Contact
from consentry.eligibility import Reason, Situation
from consentry.events import ConsentEvent
from consentry.scopes import Scope
from consentry.status import Consent, Suppression


class Clock(Protocol):
    """Where time comes from (tests use a fixed clock)."""

    def now(self) -> datetime:
        """The current moment, timezone-aware UTC."""
        ...


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


class Outbox(Protocol):
    """Where outgoing messages go: a table the sending service reads, SMTP, or a provider."""

    def send(self, message: OutboundMessage) -> None:
        """Hand one message over for delivery (must not raise for a delivery failure)."""
        ...


class Addresses(Protocol):
    """Normalises addresses and derives their keyed hashes (the address adapter)."""

    def email(self, value: str) -> str:
        """A valid email address, lower-cased; raises ``InvalidEmail``."""
        ...

    def mobile(self, value: str, region: str | None = None) -> str:
        """A mobile number in E.164; raises ``InvalidMobile``."""
        ...

    def digest(self, kind: AddressKind, value: str) -> str:
        """A keyed hash of a normalised address: the lookup key that outlives erasure."""
        ...


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The end of a contact's chain: the last event number and its hash."""

    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class Segment:
    """Who a broadcast is for, before consent: all contacts, ids, addresses, a list, an attribute.

    Contact ids, emails and mobiles together name the members (any of them); a list name and
    an attribute narrow that set, or the whole group when no member is named (AND). An empty
    segment means every contact of the group. Unknown addresses are counted, not an error.
    """

    contact_ids: Sequence[str] | None = None
    emails: Sequence[str] | None = None
    mobiles: Sequence[str] | None = None
    list_name: str | None = None
    attribute: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class AudienceQuery:
    """A set-based eligibility question for the store."""

    group_id: str
    channel: Channel
    path: tuple[str, ...]
    now: datetime
    transactional_bypass: bool
    confirmation_only: bool
    segment: Segment = field(default_factory=Segment)


@dataclass(frozen=True, slots=True)
class AudienceRow:
    """One contact of a segment with the eligibility reason the store computed."""

    contact_id: str
    reason: Reason
    address: str | None


@dataclass(frozen=True, slots=True)
class ContactFilter:
    """Filters for listing contacts (all optional, combined with AND)."""

    email: str | None = None
    mobile: str | None = None
    external_id: str | None = None
    list_name: str | None = None
    opted_out_channel: Channel | None = None
    after: str | None = None
    limit: int = 100


class Tx(Protocol):
    """One transaction on the store."""

    def commit(self) -> None:
        """Make everything done in this transaction permanent."""
        ...

    # ── scopes ──
    def get_scope(self, scope_id: str) -> Scope | None: ...
    def add_scope(self, scope: Scope, created_at: datetime) -> None: ...
    def list_scopes(self, under: str) -> list[Scope]: ...

    # ── contacts ──
    def add_contact(self, contact: Contact, keys: Mapping[AddressKind, str]) -> None: ...
    def update_contact(self, contact: Contact, keys: Mapping[AddressKind, str]) -> None: ...
    def get_contact(self, group_id: str, contact_id: str) -> Contact | None: ...
    def find_contact_id(self, group_id: str, kind: AddressKind, digest: str) -> str | None: ...
    def find_contact_ids(
        self, group_id: str, kind: AddressKind, digests: Sequence[str]
    ) -> dict[str, str]: ...
    def list_contacts(self, group_id: str, where: ContactFilter) -> list[Contact]: ...

    # ── ledger ──
    def lock_chain(self, contact_id: str) -> ChainHead: ...
    def consents(
        self, contact_id: str, channel: Channel, scope_ids: Sequence[str]
    ) -> dict[str, Consent]: ...
    def suppression(self, contact_id: str, channel: Channel) -> Suppression | None: ...
    def situation(
        self, group_id: str, contact_id: str, channel: Channel, path: Sequence[str]
    ) -> Situation | None: ...
    def append(
        self,
        event: ConsentEvent,
        consent: Consent | None,
        suppression: tuple[Suppression | None] | None,
    ) -> None: ...
    def events(
        self,
        contact_id: str,
        channel: Channel | None = None,
        scope_ids: Sequence[str] | None = None,
        recorded_until: datetime | None = None,
    ) -> list[ConsentEvent]: ...
    def consent_rows(self, contact_id: str) -> list[tuple[Channel, str, Consent]]: ...
    def suppression_rows(self, contact_id: str) -> list[tuple[Channel, Suppression]]: ...

    # ── meta ──
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...

    # ── API keys and idempotency keys (issue 4; store/keys_sql.py) ──
    def add_api_key(self, key: ApiKey, secret_hash: str) -> None: ...
    def get_api_key(self, key_id: str) -> tuple[ApiKey, str] | None: ...
    def list_api_keys(self, group_id: str) -> list[ApiKey]: ...
    def revoke_api_key(self, key_id: str, revoked_at: datetime) -> None: ...
    def claim_idempotency(
        self, claim: IdempotencyClaim, stale_before: datetime, expired_before: datetime
    ) -> IdempotencyRecord | None: ...
    def finish_idempotency(self, owner: str, key: str, status: int, body: str) -> None: ...
    def release_idempotency(self, owner: str, key: str) -> None: ...
    def prune_idempotency(self, before: datetime) -> int: ...

    # ── preferences: rate limits, confirmation sweep, look-up (issue 5; preferences_sql.py) ──
    def hit_rate_limit(self, bucket: str, window_start: datetime) -> int: ...
    def open_confirmations_before(
        self, group_id: str, moment: datetime, limit: int
    ) -> list[tuple[str, Channel, str]]: ...
    def find_contacts_by_key(self, kind: AddressKind, digest: str) -> list[tuple[str, str]]: ...

    # ── inbound messages, numbers, keyword sets, outbox (issue 5; store/inbound_sql.py) ──
    def claim_inbound(self, record: InboundRecord) -> InboundRecord | None: ...
    def finish_inbound(self, record: InboundRecord) -> None: ...
    def get_number(self, number: str) -> NumberConfig | None: ...
    def put_number(self, config: NumberConfig, updated_at: datetime) -> None: ...
    def list_numbers(self, group_id: str) -> list[NumberConfig]: ...
    def keyword_changes(self, group_id: str, name: str) -> list[KeywordChange]: ...
    def put_keyword_change(self, group_id: str, change: KeywordChange, at: datetime) -> None: ...
    def add_outbox(self, item: OutboxItem) -> None: ...
    def list_outbox(
        self, group_id: str, pending_only: bool, limit: int, after: str | None = None
    ) -> list[OutboxItem]: ...
    def mark_sent(self, group_id: str, outbox_id: str, sent_at: datetime) -> bool: ...


class ChainReader(Protocol):
    """The ledger's chains as of one snapshot."""

    def rows(self) -> Iterator[ChainRow]:
        """Every event's chained fields, ordered by (contact_id, seq)."""
        ...

    def heads(self) -> Iterator[tuple[str, int, str]]:
        """Every stored chain head (contact_id, seq, hash), ordered by contact_id."""
        ...

    def event_hash(self, contact_id: str, seq: int) -> str | None:
        """The stored hash of one event, or None."""
        ...


class Reader(Protocol):
    """The eligibility read path (no transaction: each read stands alone)."""

    def get_scope(self, scope_id: str) -> Scope | None:
        """One scope by id."""
        ...

    def situation(
        self, group_id: str, contact_id: str, channel: Channel, path: Sequence[str]
    ) -> Situation | None:
        """What eligibility looks at for one (contact, channel), or None for no such contact."""
        ...


class Store(Protocol):
    """The SQL store: transactions plus the set-based read paths."""

    def transaction(self, write: bool = True) -> AbstractContextManager[Tx]:
        """A unit of work; rolls back unless ``commit()`` is called."""
        ...

    def reader(self) -> AbstractContextManager[Reader]:
        """The eligibility read path."""
        ...

    def audience(self, query: AudienceQuery, batch_size: int = 5000) -> Iterator[AudienceRow]:
        """Every contact of the segment with its eligibility reason, streamed in id order."""
        ...

    def chain(self, group_id: str | None) -> AbstractContextManager[ChainReader]:
        """The chains of one group (or all, for ``None``) in one consistent snapshot."""
        ...

    def close(self) -> None:
        """Release the connection pool."""
        ...


# ── API keys and idempotency keys (issue 4) ─────────────────────────────────


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key's public part: who it speaks for. The secret is kept only as a hash."""

    id: str
    group_id: str
    role: str
    scope_id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    """A request asking to run once under ``(owner, key)``; ``fingerprint`` names its content."""

    owner: str
    key: str
    fingerprint: str
    now: datetime


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """What is stored under an idempotency key: running, or done with its saved response."""

    fingerprint: str
    state: str
    status: int | None
    body: str | None
    created_at: datetime


# ── signed links (issue 5; links.py) ───────────────────────────────────────


class LinkPurpose(StrEnum):
    """What a signed link lets its holder do. Add, never rename or remove."""

    UNSUBSCRIBE = "unsubscribe"
    PREFERENCES = "preferences"
    CONFIRM = "confirm"


@dataclass(frozen=True, slots=True)
class LinkClaims:
    """What a signed link says: for whom, at which scope, on which channels, until when."""

    purpose: LinkPurpose
    contact_id: str
    scope_id: str
    channels: tuple[Channel, ...]
    expires_at: datetime


class Signer(Protocol):
    """Signs and verifies link tokens (``links.LinkSigner``)."""

    def sign(self, claims: LinkClaims) -> str:
        """A token carrying the claims."""
        ...

    def verify(self, token: str, now: datetime) -> LinkClaims:
        """The claims of a genuine, unexpired token; raises ``LinkInvalid`` / ``LinkExpired``."""
        ...

    def url(self, claims: LinkClaims) -> str:
        """The public URL of a new token for the claims (a hosted page)."""
        ...


# ── inbound messages, receiving numbers, keyword sets, outbox (issue 5, messaging) ──


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


@dataclass(frozen=True, slots=True)
class KeywordChange:
    """One word added to (``op="add"``) or removed from (``"remove"``) a keyword set."""

    name: str
    kind: str
    language: str
    word: str
    op: str


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
    outcome: str = "received"
    contact_id: str | None = None
    rule: str | None = None
    event_ids: tuple[str, ...] = ()
    reply_id: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A message in the outbox table, waiting for the sending service (or sent)."""

    id: str
    message: OutboundMessage
    created_at: datetime
    sent_at: datetime | None = None


@runtime_checkable
class TransactionalOutbox(Protocol):
    """An outbox that can also queue a message inside the caller's transaction."""

    def send(self, message: OutboundMessage) -> None:
        """Hand one message over in a transaction of its own."""
        ...

    def enqueue(self, tx: Tx, message: OutboundMessage, now: datetime) -> str | None:
        """Queue ``message`` in ``tx`` and return its id; ``None`` when it must be sent later."""
        ...
