"""Ports: what the use cases need from the world, as Protocols only (STYLE §2).

The store is also the unit of work: ``with store.transaction() as tx: …; tx.commit()``; leaving
the block without ``commit()`` rolls everything back. A write transaction takes the contact's
chain lock first (``lock_chain``), so the event append and the projection update of one contact
are serialised and land together or not at all. The values that cross these ports live in the
core, in the module of their concept. The automation features' ports (webhooks, rules,
journeys, send reports) are in ``automation_ports.py`` and imported from here as well.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol, runtime_checkable

from consentry.core.access import ApiKey, IdempotencyClaim, IdempotencyRecord
from consentry.core.activity import OptOut, OptOutFilter
from consentry.core.audience import AudienceQuery, AudienceRow
from consentry.core.bulk import BatchWrite
from consentry.core.chain import Between, ChainHead, ChainRow
from consentry.core.channels import AddressKind, Channel
from consentry.core.contacts import Contact, ContactFilter, ContactPage
from consentry.core.eligibility import Situation
from consentry.core.erasure import RemovedCopies
from consentry.core.events import ConsentEvent
from consentry.core.evidence import Attachment, EvidenceFile
from consentry.core.exports import ContactState
from consentry.core.feeds import FeedRecord
from consentry.core.import_jobs import ImportJob, JobStatus, SavedMapping
from consentry.core.imports import RowOutcome
from consentry.core.links import LinkClaims
from consentry.core.messaging import (
    InboundRecord,
    KeywordChange,
    NumberConfig,
    OutboundMessage,
    OutboxItem,
)
from consentry.core.policies import GroupSetting
from consentry.core.projection import ConsentRow, SuppressionRow
from consentry.core.scopes import Scope
from consentry.core.status import Consent, ProjectionUpdate, Suppression
from consentry.core.trends import TrendRow
from consentry.core.users import User
from consentry.ledger.automation_ports import (  # re-exported: one place to import ports
    JourneyTx,
    RuleTx,
    SendTx,
    WebhookSecrets,
    WebhookSender,
    WebhookTx,
)


class Clock(Protocol):
    """Where time comes from (tests use a fixed clock)."""

    def now(self) -> datetime:
        """The current moment, timezone-aware UTC."""
        ...


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


class Tx(Protocol):
    """One transaction on the store."""

    def commit(self) -> None:
        """Make everything done in this transaction permanent."""
        ...

    def nested(self) -> AbstractContextManager[Tx]:
        """A unit of work inside this one (a savepoint), rolled back to where it began unless
        its ``commit()`` is called; that keeps its writes in this transaction, which alone
        makes them permanent (``ledger/joined.py`` runs a use case's units of work so)."""
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
    def contact_page(self, group_id: str, where: ContactFilter) -> ContactPage:
        """A page of ``list_contacts`` and where the next begins; filtered by status, the store
        reads a bounded number of contacts for it (decision 067)."""
        ...

    # ── kept evidence files (store/evidence_sql.py, decision 067) ──
    def add_evidence_file(
        self, contact_id: str, attachment: Attachment, created_at: datetime
    ) -> None:
        """Keep an uploaded copy of written permission (the same bytes again: kept once)."""
        ...

    def evidence_file(self, contact_id: str, sha256: str) -> EvidenceFile | None: ...
    def kept_evidence_files(self, contact_id: str) -> list[str]: ...
    def erase_personal_data(self, contact_id: str) -> RemovedCopies:
        """Remove the contact's evidence texts, files, outbox messages, import report messages
        and stored API responses (decision 072); its events, keys and projection stay."""
        ...

    # ── ledger ──
    def lock_chain(self, contact_id: str) -> ChainHead: ...
    def consents(
        self, contact_id: str, channel: Channel, scope_ids: Sequence[str]
    ) -> dict[str, Consent]: ...
    def suppression(self, contact_id: str, channel: Channel) -> Suppression | None: ...
    def situation(
        self, group_id: str, contact_id: str, channel: Channel, path: Sequence[str]
    ) -> Situation | None: ...
    def situations(
        self, group_id: str, contact_ids: Sequence[str], channel: Channel, path: Sequence[str]
    ) -> dict[str, Situation]: ...
    def transactional_settings(self, group_id: str) -> list[GroupSetting]: ...
    def put_transactional_setting(self, group_id: str, setting: GroupSetting) -> None: ...
    def delete_transactional_setting(self, group_id: str, channel: Channel) -> None: ...
    def append(self, event: ConsentEvent, update: ProjectionUpdate) -> None:
        """Append the chained event and apply its projection update, in this transaction."""
        ...

    def events(
        self,
        contact_id: str,
        channel: Channel | None = None,
        scope_ids: Sequence[str] | None = None,
        recorded_until: datetime | None = None,
    ) -> list[ConsentEvent]: ...
    def consent_rows(self, contact_id: str) -> list[tuple[Channel, str, Consent]]: ...
    def suppression_rows(self, contact_id: str) -> list[tuple[Channel, Suppression]]: ...
    def opt_out_events(self, group_id: str, where: OptOutFilter) -> list[OptOut]:
        """A group's opt-outs at ``where.scope_id`` or below, newest first (activity_sql.py)."""
        ...

    def trend_days(self, group_id: str, scope_id: str, since: int) -> list[TrendRow]:
        """A group's trend counts at ``scope_id`` or below per channel and day from ``since``
        (days since 1970), the days before it summed as one row dated ``since - 1``."""
        ...

    # ── meta ──
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...

    # ── API keys and idempotency keys (store/keys_sql.py) ──
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

    # ── preferences: rate limits, confirmation sweep, look-up (store/preferences_sql.py) ──
    def hit_rate_limit(self, bucket: str, window_start: datetime) -> int: ...
    def open_confirmations_before(
        self, group_id: str, moment: datetime, limit: int
    ) -> list[tuple[str, Channel, str]]: ...
    def find_contacts_by_key(self, kind: AddressKind, digest: str) -> list[tuple[str, str]]: ...

    # ── inbound messages, numbers, keyword sets, outbox (store/inbound_sql.py, outbox_sql.py) ──
    def claim_inbound(self, record: InboundRecord) -> InboundRecord | None: ...
    def finish_inbound(self, record: InboundRecord) -> None: ...
    def get_number(self, number: str) -> NumberConfig | None: ...
    def inbound_config_version(self) -> str | None:
        """A token that changes with every change of a number or keyword set (decision 084)."""
        ...

    def channel_consents(self, contact_id: str, channel: Channel) -> dict[str, Consent]:
        """The contact's consents on one channel at every scope, by scope."""
        ...

    def put_number(self, config: NumberConfig, updated_at: datetime) -> None: ...
    def list_numbers(self, group_id: str) -> list[NumberConfig]: ...
    def keyword_changes(self, group_id: str, name: str) -> list[KeywordChange]: ...
    def put_keyword_change(self, group_id: str, change: KeywordChange, at: datetime) -> None: ...
    def add_outbox(self, item: OutboxItem) -> None: ...
    def list_outbox(
        self, group_id: str, pending_only: bool, limit: int, after: str | None = None
    ) -> list[OutboxItem]: ...
    def mark_sent(self, group_id: str, outbox_id: str, sent_at: datetime) -> bool: ...

    # ── staff users and their sessions (store/users_sql.py) ──
    def add_user(self, user: User, password_hash: str) -> None:
        """A new user; ``UserExists`` when the email address is taken."""
        ...

    def get_user(self, user_id: str) -> User | None: ...
    def find_user(self, email: str) -> tuple[User, str] | None:
        """The user signing in with this (normalised) email address, and their password hash."""
        ...

    def list_users(self, group_id: str | None) -> list[User]:
        """A group's users (``None``: every group's), ordered by email address."""
        ...

    def disable_user(self, user_id: str, disabled_at: datetime) -> None: ...
    def set_password_hash(self, user_id: str, password_hash: str) -> None: ...
    def add_session(
        self, token_hash: str, user_id: str, created_at: datetime, expires_at: datetime
    ) -> None: ...
    def get_session(self, token_hash: str) -> tuple[User, datetime] | None:
        """The user a session belongs to and when it expires, by the hash of its token."""
        ...

    def delete_session(self, token_hash: str) -> None: ...
    def delete_sessions(self, user_id: str, expired_by: datetime | None = None) -> int:
        """Delete a user's sessions (only those expired by a moment, when given); how many."""
        ...

    # ── import jobs and saved column mappings (store/imports_sql.py, decision 071) ──
    def put_import_mapping(self, mapping: SavedMapping) -> None:
        """Keep a column mapping under its name in its group, replacing the one there."""
        ...

    def get_import_mapping(self, group_id: str, name: str) -> SavedMapping | None: ...
    def list_import_mappings(self, group_id: str) -> list[SavedMapping]: ...
    def add_import_job(self, job: ImportJob) -> None: ...
    def get_import_job(self, group_id: str, job_id: str) -> ImportJob | None: ...
    def update_import_job(self, job: ImportJob, was: Sequence[JobStatus]) -> bool:
        """Store the job's status, counts, error and times if its stored status is one of
        ``was``; False (nothing changed) when it is not."""
        ...

    def add_import_rows(self, job_id: str, outcomes: Sequence[RowOutcome]) -> None: ...
    def import_rows(self, job_id: str, after: int, limit: int) -> list[RowOutcome]:
        """Up to ``limit`` rows of a job's report with lines after ``after``, in line order."""
        ...

    # deliverability feeds (decision 074): claim a provider's report once, then finish it
    def claim_feed_event(self, record: FeedRecord) -> FeedRecord | None: ...
    def finish_feed_event(self, record: FeedRecord) -> None: ...

    # outbound webhooks (decision 076): a small port of their own, on this transaction
    def webhooks(self) -> WebhookTx: ...

    # lifecycle rules (decision 077): a small port of their own, on this transaction
    def rules(self) -> RuleTx: ...

    # send reports and violations (decision 079): a small port of their own, on this transaction
    def sends(self) -> SendTx: ...

    # journeys (decision 078): a small port of their own, on this transaction
    def journeys(self) -> JourneyTx: ...


class ChainReader(Protocol):
    """The ledger's chains, contacts and projection as of one snapshot (every stream ordered
    by contact id, so verification merges them in one pass: ``projection.by_contact``)."""

    def rows(self) -> Iterator[ChainRow]:
        """Every event's chained fields, ordered by (contact_id, seq)."""
        ...

    def heads(self) -> Iterator[tuple[str, int, str]]:
        """Every stored chain head (contact_id, seq, hash), ordered by contact_id."""
        ...

    def event_hash(self, contact_id: str, seq: int) -> str | None:
        """The stored hash of one event, or None."""
        ...

    def contacts(self) -> Iterator[tuple[str, str]]:
        """Every contact (contact_id, group_id), ordered by contact_id."""
        ...

    def consent_rows(self) -> Iterator[ConsentRow]:
        """Every stored consents row, ordered by (contact_id, channel, scope_id)."""
        ...

    def suppression_rows(self) -> Iterator[SuppressionRow]:
        """Every stored suppressions row, ordered by (contact_id, channel)."""
        ...

    def bounds(self, parts: int, smallest: int = 1) -> list[str]:
        """Up to ``parts - 1`` contact ids, in order, that split the contacts into up to
        ``parts`` runs of about the same length and at least ``smallest`` contacts (parallel
        verification, decision 084)."""
        ...

    def within(self, between: Between) -> ChainReader:
        """The same snapshot's streams, only for the contacts whose id is in ``between``."""
        ...


class ExportReader(Protocol):
    """One group's contacts, projection and events as of one snapshot, as seen from one scope:
    at it, below it and on the path above it (``permissions.can_read_scope``; decision 068)."""

    def contacts(self, after: str | None, limit: int) -> list[ContactState]:
        """Up to ``limit`` contacts with ids after ``after``, in id order, each with the
        consents rows it may see (channel, scope order) and its suppressions (channel order)."""
        ...

    def events(self, since: datetime | None) -> Iterator[ConsentEvent]:
        """Every event it may see recorded at or after ``since`` (every one, for None), in
        (contact_id, seq) order, streamed."""
        ...


class Reader(Protocol):
    """The eligibility read path (no transaction: each read stands alone)."""

    def get_scope(self, scope_id: str) -> Scope | None:
        """One scope by id."""
        ...

    def get_api_key(self, key_id: str) -> tuple[ApiKey, str] | None:
        """An API key and its secret's hash (the bearer check before every API request)."""
        ...

    def situation(
        self, group_id: str, contact_id: str, channel: Channel, path: Sequence[str]
    ) -> Situation | None:
        """What eligibility looks at for one (contact, channel), or None for no such contact."""
        ...

    def situations(
        self, group_id: str, contact_ids: Sequence[str], channel: Channel, path: Sequence[str]
    ) -> dict[str, Situation]:
        """The same for many contacts on one path, in a few statements (unknown: absent)."""
        ...

    def transactional_settings(self, group_id: str) -> list[GroupSetting]:
        """The channels the group set its own transactional policy on (decision 075)."""
        ...


class BulkTx(Protocol):
    """One batch of an import: set-based reads of what the batch's rows name, then one bulk
    write of what it changes, in one write transaction (rolls back unless committed)."""

    def contacts_by_key(self, group_id: str, digests: Sequence[str]) -> dict[str, str]:
        """Address-key digest → contact id, for those of these digests the group has."""
        ...

    def contacts_by_external_id(
        self, group_id: str, external_ids: Sequence[str]
    ) -> dict[str, list[str]]:
        """External id → the ids of the group's contacts that have it."""
        ...

    def contacts(self, group_id: str, contact_ids: Sequence[str]) -> dict[str, Contact]:
        """The group's contacts with these ids (erased ones too), with their lists."""
        ...

    def lock_heads(self, contact_ids: Sequence[str]) -> dict[str, ChainHead]:
        """These contacts' chain heads, locked until the end of the transaction."""
        ...

    def consent_rows(
        self, contact_ids: Sequence[str]
    ) -> dict[str, dict[tuple[Channel, str], Consent]]:
        """Every consents row of these contacts, by contact, then (channel, scope)."""
        ...

    def write(self, batch: BatchWrite) -> None:
        """Insert and update everything the batch changes (the database's bulk path)."""
        ...

    def analyze(self) -> None:
        """Refresh the planner's statistics of the tables an import grows (after a commit)."""
        ...

    def commit(self) -> None:
        """Make the batch durable."""
        ...


class OutcomeSpool(Protocol):
    """Where a dry run's row outcomes wait until its one transaction has ended (nothing else
    may write meanwhile on SQLite): the API's is a file, the default a list (decision 071)."""

    def keep(self, outcomes: Sequence[RowOutcome]) -> None:
        """Keep one batch's outcomes."""
        ...

    def batches(self) -> Iterator[Sequence[RowOutcome]]:
        """The batches kept, in the order kept."""
        ...


class Store(Protocol):
    """The SQL store: transactions plus the set-based read paths."""

    def transaction(self, write: bool = True) -> AbstractContextManager[Tx]:
        """A unit of work; rolls back unless ``commit()`` is called."""
        ...

    def reader(self) -> AbstractContextManager[Reader]:
        """The eligibility read path."""
        ...

    def bulk(self) -> AbstractContextManager[BulkTx]:
        """A write transaction for one batch of an import."""
        ...

    def audience(self, query: AudienceQuery, batch_size: int = 5000) -> Iterator[AudienceRow]:
        """Every contact of the segment with its eligibility reason, streamed in id order."""
        ...

    def chain(
        self, group_id: str | None, contact_id: str | None = None
    ) -> AbstractContextManager[ChainReader]:
        """The chains of one group (or all, for ``None``), or of one contact of it, in one
        consistent snapshot."""
        ...

    def export(self, group_id: str, scope_id: str) -> AbstractContextManager[ExportReader]:
        """A group's contacts and ledger as seen from ``scope_id``, in one consistent snapshot
        (store/exports_sql.py)."""
        ...

    def close(self) -> None:
        """Release the connection pool."""
        ...


class PasswordHasher(Protocol):
    """Hashes and checks staff users' passwords (``adapters.passwords``: Argon2id)."""

    def hash(self, password: str) -> str:
        """The stored form of a password: a salted, slow hash that names its own parameters."""
        ...

    def verify(self, stored: str, password: str) -> bool:
        """True when ``password`` is the one ``stored`` was made from (never raises for a
        mismatch or a malformed hash)."""
        ...

    def needs_rehash(self, stored: str) -> bool:
        """True when ``stored`` was made with other parameters than the hasher's now."""
        ...


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


@runtime_checkable
class TransactionalOutbox(Protocol):
    """An outbox that can also queue a message inside the caller's transaction."""

    def send(self, message: OutboundMessage) -> None:
        """Hand one message over in a transaction of its own."""
        ...

    def enqueue(self, tx: Tx, message: OutboundMessage, now: datetime) -> str | None:
        """Queue ``message`` in ``tx`` and return its id; ``None`` when it must be sent later."""
        ...


__all__ = [
    "Addresses",
    "BulkTx",
    "ChainReader",
    "Clock",
    "ExportReader",
    "JourneyTx",
    "Outbox",
    "OutcomeSpool",
    "PasswordHasher",
    "Reader",
    "RuleTx",
    "SendTx",
    "Signer",
    "Store",
    "TransactionalOutbox",
    "Tx",
    "WebhookSecrets",
    "WebhookSender",
    "WebhookTx",
]
