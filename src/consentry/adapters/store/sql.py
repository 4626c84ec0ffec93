"""``SqlTx``: one transaction on one connection, the adapter behind ``ports.Tx``.

It holds the transaction's ``Db`` (connection, driver cursor, dialect) and nothing else; every
method hands it to the statement module of its concept and is the store's error boundary
(``failures.translated``: only Consentry's errors come out). Which idiom each module uses for
which statement is in ``dialect.py``. ``nested()`` opens a unit of work inside this one, a
savepoint (``SavepointTx``): how a command of the API runs its use cases in one transaction
(``ledger/joined.py``, decision 020).

    scopes_sql        scopes                 ledger_sql        chain, events, projections
    contacts_sql      contacts, keys, lists  eligibility_sql   the eligibility lookup
    meta_sql          deployment settings    keys_sql          API and idempotency keys
    preferences_sql   rate limits, look-ups  inbound_sql       inbound, numbers, keywords
    outbox_sql        the outbox             users_sql         staff users, sessions
    activity_sql      the opt-out activity   trends_sql        the trend counts per day
    evidence_sql      kept evidence files    imports_sql       import jobs, mappings
    erasure_sql       an erased contact's copies of personal data
    policies_sql      a group's transactional policies
    feeds_sql         deliverability feeds' claimed reports
    webhooks_sql      outbound webhooks: ``webhooks()`` returns their small adapter (076)
    rules_sql         lifecycle rules: ``rules()`` returns their small adapter (077)
    sends_sql         send reports, violations: ``sends()`` returns their small adapter (079)
    journeys_sql      journeys: ``journeys()`` returns their small adapter (078)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, NestedTransaction
from sqlalchemy.exc import SQLAlchemyError

from consentry.adapters.store import (
    activity_sql,
    contacts_sql,
    eligibility_sql,
    erasure_sql,
    evidence_sql,
    feeds_sql,
    imports_sql,
    inbound_sql,
    keys_sql,
    ledger_sql,
    meta_sql,
    outbox_sql,
    policies_sql,
    preferences_sql,
    scopes_sql,
    trends_sql,
    users_sql,
)
from consentry.adapters.store.driver import Db
from consentry.adapters.store.failures import translate, translated
from consentry.adapters.store.journeys_sql import SqlJourneys
from consentry.adapters.store.rules_sql import SqlRules
from consentry.adapters.store.sends_sql import SqlSends
from consentry.adapters.store.webhooks_sql import SqlWebhooks
from consentry.core.access import ApiKey, IdempotencyClaim, IdempotencyRecord
from consentry.core.activity import OptOut, OptOutFilter
from consentry.core.chain import ChainHead
from consentry.core.channels import AddressKind, Channel
from consentry.core.contacts import Contact, ContactFilter, ContactPage
from consentry.core.eligibility import Situation
from consentry.core.erasure import RemovedCopies
from consentry.core.events import ConsentEvent
from consentry.core.evidence import Attachment, EvidenceFile
from consentry.core.feeds import FeedRecord
from consentry.core.import_jobs import ImportJob, JobStatus, SavedMapping
from consentry.core.imports import RowOutcome
from consentry.core.messaging import InboundRecord, KeywordChange, NumberConfig, OutboxItem
from consentry.core.policies import GroupSetting
from consentry.core.scopes import Scope
from consentry.core.status import Consent, ProjectionUpdate, Suppression
from consentry.core.trends import TrendRow
from consentry.core.users import User


class SqlTx:
    """One transaction on one connection; nothing is kept unless ``commit()`` is called."""

    def __init__(self, conn: Connection, begins: bool = True) -> None:
        self.conn = conn
        self.db = Db(conn, begins)

    @translated
    def commit(self) -> None:
        """Make the transaction permanent."""
        self.conn.commit()

    def close(self) -> None:
        """Release the driver cursor (the unit of work calls this)."""
        self.db.close()

    @contextmanager
    def nested(self) -> Iterator[SqlTx]:
        """A savepoint of this transaction: rolled back to unless ``commit()`` releases it."""
        try:
            savepoint = self.conn.begin_nested()  # begins the transaction first if need be
        except SQLAlchemyError as exc:
            raise translate(exc) from exc
        try:
            yield SavepointTx(self, savepoint)
        finally:
            if savepoint.is_active:
                try:
                    savepoint.rollback()
                except SQLAlchemyError as exc:
                    raise translate(exc) from exc

    # ── scopes ──────────────────────────────────────────────────────────────
    @translated
    def get_scope(self, scope_id: str) -> Scope | None:
        return scopes_sql.get_scope(self.db, scope_id)

    @translated
    def add_scope(self, scope: Scope, created_at: datetime) -> None:
        scopes_sql.add_scope(self.db, scope, created_at)

    @translated
    def list_scopes(self, under: str) -> list[Scope]:
        return scopes_sql.list_scopes(self.db, under)

    # ── contacts ────────────────────────────────────────────────────────────
    @translated
    def add_contact(self, contact: Contact, keys: Mapping[AddressKind, str]) -> None:
        contacts_sql.add_contact(self.db, contact, keys)

    @translated
    def update_contact(self, contact: Contact, keys: Mapping[AddressKind, str]) -> None:
        contacts_sql.update_contact(self.db, contact, keys)

    @translated
    def get_contact(self, group_id: str, contact_id: str) -> Contact | None:
        return contacts_sql.get_contact(self.db, group_id, contact_id)

    @translated
    def find_contact_id(self, group_id: str, kind: AddressKind, digest: str) -> str | None:
        return contacts_sql.find_contact_id(self.db, group_id, kind, digest)

    @translated
    def find_contact_ids(
        self, group_id: str, kind: AddressKind, digests: Sequence[str]
    ) -> dict[str, str]:
        return contacts_sql.find_contact_ids(self.db, group_id, kind, digests)

    @translated
    def list_contacts(self, group_id: str, where: ContactFilter) -> list[Contact]:
        return contacts_sql.list_contacts(self.db, group_id, where)

    @translated
    def contact_page(self, group_id: str, where: ContactFilter) -> ContactPage:
        return contacts_sql.contact_page(self.db, group_id, where)

    # ── kept evidence files ─────────────────────────────────────────────────
    @translated
    def add_evidence_file(
        self, contact_id: str, attachment: Attachment, created_at: datetime
    ) -> None:
        evidence_sql.add_evidence_file(self.db, contact_id, attachment, created_at)

    @translated
    def evidence_file(self, contact_id: str, sha256: str) -> EvidenceFile | None:
        return evidence_sql.evidence_file(self.db, contact_id, sha256)

    @translated
    def kept_evidence_files(self, contact_id: str) -> list[str]:
        return evidence_sql.kept_evidence_files(self.db, contact_id)

    @translated
    def erase_personal_data(self, contact_id: str) -> RemovedCopies:
        return erasure_sql.erase_personal_data(self.db, contact_id)

    # ── ledger ──────────────────────────────────────────────────────────────
    @translated
    def lock_chain(self, contact_id: str) -> ChainHead:
        """The contact's chain head, locked until the end of the transaction (on SQLite the
        write transaction's ``BEGIN IMMEDIATE`` already excludes other writers);
        ``ContactNotFound`` when the contact has no chain."""
        return ledger_sql.lock_chain(self.db, contact_id)

    @translated
    def consents(
        self, contact_id: str, channel: Channel, scope_ids: Sequence[str]
    ) -> dict[str, Consent]:
        return ledger_sql.consents(self.db, contact_id, channel, scope_ids)

    @translated
    def suppression(self, contact_id: str, channel: Channel) -> Suppression | None:
        return ledger_sql.suppression(self.db, contact_id, channel)

    @translated
    def situation(
        self, group_id: str, contact_id: str, channel: Channel, path: Sequence[str]
    ) -> Situation | None:
        return eligibility_sql.situation(self.db, group_id, contact_id, channel, path)

    @translated
    def transactional_settings(self, group_id: str) -> list[GroupSetting]:
        return policies_sql.group_settings(self.db, group_id)

    @translated
    def put_transactional_setting(self, group_id: str, setting: GroupSetting) -> None:
        policies_sql.put_setting(self.db, group_id, setting)

    @translated
    def delete_transactional_setting(self, group_id: str, channel: Channel) -> None:
        policies_sql.delete_setting(self.db, group_id, channel)

    @translated
    def situations(
        self, group_id: str, contact_ids: Sequence[str], channel: Channel, path: Sequence[str]
    ) -> dict[str, Situation]:
        return eligibility_sql.situations(self.db, group_id, contact_ids, channel, path)

    @translated
    def append(self, event: ConsentEvent, update: ProjectionUpdate) -> None:
        """The event, the moved chain head, the projection and the day's trend counts, in this
        transaction (on PostgreSQL as one statement: one round trip instead of three or four)."""
        ledger_sql.append(self.db, event, update)

    @translated
    def events(
        self,
        contact_id: str,
        channel: Channel | None = None,
        scope_ids: Sequence[str] | None = None,
        recorded_until: datetime | None = None,
    ) -> list[ConsentEvent]:
        return ledger_sql.events(self.db, contact_id, channel, scope_ids, recorded_until)

    @translated
    def consent_rows(self, contact_id: str) -> list[tuple[Channel, str, Consent]]:
        return ledger_sql.consent_rows(self.db, contact_id)

    @translated
    def suppression_rows(self, contact_id: str) -> list[tuple[Channel, Suppression]]:
        return ledger_sql.suppression_rows(self.db, contact_id)

    @translated
    def opt_out_events(self, group_id: str, where: OptOutFilter) -> list[OptOut]:
        return activity_sql.opt_out_events(self.db, group_id, where)

    @translated
    def trend_days(self, group_id: str, scope_id: str, since: int) -> list[TrendRow]:
        return trends_sql.trend_days(self.db, group_id, scope_id, since)

    # ── meta ────────────────────────────────────────────────────────────────
    @translated
    def get_meta(self, key: str) -> str | None:
        return meta_sql.get_meta(self.db, key)

    @translated
    def set_meta(self, key: str, value: str) -> None:
        meta_sql.set_meta(self.db, key, value)

    # ── API keys and idempotency keys ───────────────────────────────────────
    @translated
    def add_api_key(self, key: ApiKey, secret_hash: str) -> None:
        keys_sql.add_api_key(self.db, key, secret_hash)

    @translated
    def get_api_key(self, key_id: str) -> tuple[ApiKey, str] | None:
        return keys_sql.get_api_key(self.db, key_id)

    @translated
    def list_api_keys(self, group_id: str) -> list[ApiKey]:
        return keys_sql.list_api_keys(self.db, group_id)

    @translated
    def revoke_api_key(self, key_id: str, revoked_at: datetime) -> None:
        keys_sql.revoke_api_key(self.db, key_id, revoked_at)

    @translated
    def claim_idempotency(
        self, claim: IdempotencyClaim, stale_before: datetime, expired_before: datetime
    ) -> IdempotencyRecord | None:
        return keys_sql.claim_idempotency(self.db, claim, stale_before, expired_before)

    @translated
    def finish_idempotency(self, owner: str, key: str, status: int, body: str) -> None:
        keys_sql.finish_idempotency(self.db, owner, key, status, body)

    @translated
    def release_idempotency(self, owner: str, key: str) -> None:
        keys_sql.release_idempotency(self.db, owner, key)

    @translated
    def prune_idempotency(self, before: datetime) -> int:
        return keys_sql.prune_idempotency(self.db, before)

    # ── preferences: rate limits, confirmation sweep, look-up ───────────────
    @translated
    def hit_rate_limit(self, bucket: str, window_start: datetime) -> int:
        return preferences_sql.hit_rate_limit(self.db, bucket, window_start)

    @translated
    def open_confirmations_before(
        self, group_id: str, moment: datetime, limit: int
    ) -> list[tuple[str, Channel, str]]:
        return preferences_sql.open_confirmations_before(self.db, group_id, moment, limit)

    @translated
    def find_contacts_by_key(self, kind: AddressKind, digest: str) -> list[tuple[str, str]]:
        return preferences_sql.find_contacts_by_key(self.db, kind, digest)

    # ── inbound messages, numbers, keyword sets ─────────────────────────────
    @translated
    def claim_inbound(self, record: InboundRecord) -> InboundRecord | None:
        return inbound_sql.claim_inbound(self.db, record)

    @translated
    def finish_inbound(self, record: InboundRecord) -> None:
        inbound_sql.finish_inbound(self.db, record)

    @translated
    def get_number(self, number: str) -> NumberConfig | None:
        return inbound_sql.get_number(self.db, number)

    @translated
    def inbound_config_version(self) -> str | None:
        return inbound_sql.config_version(self.db)

    @translated
    def channel_consents(self, contact_id: str, channel: Channel) -> dict[str, Consent]:
        return inbound_sql.channel_consents(self.db, contact_id, channel)

    @translated
    def put_number(self, config: NumberConfig, updated_at: datetime) -> None:
        inbound_sql.put_number(self.db, config, updated_at)

    @translated
    def list_numbers(self, group_id: str) -> list[NumberConfig]:
        return inbound_sql.list_numbers(self.db, group_id)

    @translated
    def keyword_changes(self, group_id: str, name: str) -> list[KeywordChange]:
        return inbound_sql.keyword_changes(self.db, group_id, name)

    @translated
    def put_keyword_change(self, group_id: str, change: KeywordChange, at: datetime) -> None:
        inbound_sql.put_keyword_change(self.db, group_id, change, at)

    # ── outbox ──────────────────────────────────────────────────────────────
    @translated
    def add_outbox(self, item: OutboxItem) -> None:
        outbox_sql.add_outbox(self.db, item)

    @translated
    def list_outbox(
        self, group_id: str, pending_only: bool, limit: int, after: str | None = None
    ) -> list[OutboxItem]:
        return outbox_sql.list_outbox(self.db, group_id, pending_only, limit, after)

    @translated
    def mark_sent(self, group_id: str, outbox_id: str, sent_at: datetime) -> bool:
        return outbox_sql.mark_sent(self.db, group_id, outbox_id, sent_at)

    # ── staff users and their sessions ──────────────────────────────────────
    @translated
    def add_user(self, user: User, password_hash: str) -> None:
        users_sql.add_user(self.db, user, password_hash)

    @translated
    def get_user(self, user_id: str) -> User | None:
        return users_sql.get_user(self.db, user_id)

    @translated
    def find_user(self, email: str) -> tuple[User, str] | None:
        return users_sql.find_user(self.db, email)

    @translated
    def list_users(self, group_id: str | None) -> list[User]:
        return users_sql.list_users(self.db, group_id)

    @translated
    def disable_user(self, user_id: str, disabled_at: datetime) -> None:
        users_sql.disable_user(self.db, user_id, disabled_at)

    @translated
    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        users_sql.set_password_hash(self.db, user_id, password_hash)

    @translated
    def add_session(
        self, token_hash: str, user_id: str, created_at: datetime, expires_at: datetime
    ) -> None:
        users_sql.add_session(self.db, token_hash, user_id, created_at, expires_at)

    @translated
    def get_session(self, token_hash: str) -> tuple[User, datetime] | None:
        return users_sql.get_session(self.db, token_hash)

    @translated
    def delete_session(self, token_hash: str) -> None:
        users_sql.delete_session(self.db, token_hash)

    @translated
    def delete_sessions(self, user_id: str, expired_by: datetime | None = None) -> int:
        return users_sql.delete_sessions(self.db, user_id, expired_by)

    # ── import jobs and saved column mappings ───────────────────────────────
    @translated
    def put_import_mapping(self, mapping: SavedMapping) -> None:
        imports_sql.put_import_mapping(self.db, mapping)

    @translated
    def get_import_mapping(self, group_id: str, name: str) -> SavedMapping | None:
        return imports_sql.get_import_mapping(self.db, group_id, name)

    @translated
    def list_import_mappings(self, group_id: str) -> list[SavedMapping]:
        return imports_sql.list_import_mappings(self.db, group_id)

    @translated
    def add_import_job(self, job: ImportJob) -> None:
        imports_sql.add_import_job(self.db, job)

    @translated
    def get_import_job(self, group_id: str, job_id: str) -> ImportJob | None:
        return imports_sql.get_import_job(self.db, group_id, job_id)

    @translated
    def update_import_job(self, job: ImportJob, was: Sequence[JobStatus]) -> bool:
        return imports_sql.update_import_job(self.db, job, was)

    @translated
    def add_import_rows(self, job_id: str, outcomes: Sequence[RowOutcome]) -> None:
        imports_sql.add_import_rows(self.db, job_id, outcomes)

    @translated
    def import_rows(self, job_id: str, after: int, limit: int) -> list[RowOutcome]:
        return imports_sql.import_rows(self.db, job_id, after, limit)

    # ── outbound webhooks (decision 076): their own small adapter, same transaction ──
    def webhooks(self) -> SqlWebhooks:
        """Subscriptions, deliveries and attempts, on this transaction (``webhooks_sql``)."""
        return SqlWebhooks(self.db)

    # ── lifecycle rules (decision 077): their own small adapter, same transaction ──
    def rules(self) -> SqlRules:
        """Rules, their versions and skipped firings, on this transaction (``rules_sql``)."""
        return SqlRules(self.db)

    # ── journeys (decision 078): their own small adapter, same transaction ──
    def journeys(self) -> SqlJourneys:
        """Journey messages, re-sends, scheduled journeys and runs, on this transaction."""
        return SqlJourneys(self.db)

    # ── send reports and violations (decision 079): their own small adapter ──
    def sends(self) -> SqlSends:
        """Reported sends, violations and the compliance report's reads (``sends_sql``)."""
        return SqlSends(self.db)

    # ── deliverability feeds: claimed provider reports (decision 074) ───────
    @translated
    def claim_feed_event(self, record: FeedRecord) -> FeedRecord | None:
        return feeds_sql.claim_feed_event(self.db, record)

    @translated
    def finish_feed_event(self, record: FeedRecord) -> None:
        feeds_sql.finish_feed_event(self.db, record)


class SavepointTx(SqlTx):
    """A unit of work inside another (``SqlTx.nested``): its ``commit()`` releases the savepoint,
    and only the outer transaction's commit makes its writes permanent."""

    def __init__(self, outer: SqlTx, savepoint: NestedTransaction) -> None:
        self.conn = outer.conn
        self.db = outer.db  # the same connection and driver cursor
        self.savepoint = savepoint

    @translated
    def commit(self) -> None:
        """Keep this unit's writes in the outer transaction (``RELEASE SAVEPOINT``)."""
        self.savepoint.commit()

    def close(self) -> None:
        """Nothing to release: the cursor is the outer transaction's."""
