"""Every statement a use case runs inside a transaction (listmonk's rule: SQL in one place).

The read-side streams (audiences, verification) are in ``store/reads.py``. The statements of
the write hot path (contact, chain lock, consents, append) are SQL constants run on the driver
cursor (``store/driver.py``); the rest are SQLAlchemy Core.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, delete, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, NoResultFound

from consentry.adapters.store import schema as t
from consentry.adapters.store.driver import DriverSql
from consentry.adapters.store.inbound_sql import InboundSql
from consentry.adapters.store.keys_sql import KeysSql
from consentry.adapters.store.preferences_sql import PreferencesSql
from consentry.adapters.store.reads import contact_ids_by_digest
from consentry.adapters.store.rows import (
    consent_from_values,
    contact_from_row,
    contact_from_values,
    contact_values,
    event_from_row,
    event_values,
)
from consentry.core.chain import ChainHead, genesis
from consentry.core.channels import AddressKind, Channel
from consentry.core.contacts import Contact, ContactFilter
from consentry.core.eligibility import Situation
from consentry.core.errors import ContactExists, ScopeExists
from consentry.core.events import ConsentEvent, to_micros
from consentry.core.scopes import Scope, group_of
from consentry.core.status import Consent, ConsentUpdate, ProjectionUpdate, Status, Suppression

# ── the write hot path: SQL text written once (``:name`` parameters; see store/driver.py) ──
GET_CONTACT = (  # the contact and the lists it joined, in one statement
    "SELECT c.id, c.group_id, c.email, c.mobile, c.external_id, c.name, c.locale, "
    "c.postal_address, c.push_token, c.attributes, c.created_at, c.erased_at, l.list_name "
    "FROM contacts c LEFT JOIN contact_lists l ON l.contact_id = c.id "
    "WHERE c.id = :cid AND c.group_id = :gid"
)
FIND_CONTACT_ID = (
    "SELECT contact_id FROM contact_keys WHERE group_id = :gid AND kind = :kind AND digest = :d"
)
LOCK_CHAIN = "SELECT seq, hash FROM chain_heads WHERE contact_id = :cid"
LOCK_CHAIN_PG = LOCK_CHAIN + " FOR UPDATE"
GET_SUPPRESSION = "SELECT suppression FROM suppressions WHERE contact_id = :cid AND channel = :ch"
EVENT_COLUMNS = (
    "id", "contact_id", "group_id", "seq", "channel", "scope_id", "action", "strength",
    "actor_kind", "actor_id", "recorded_by", "source", "reason", "evidence", "evidence_salt",
    "evidence_commitment", "occurred_at", "recorded_at", "expires_at", "prev_hash", "hash",
)  # fmt: skip
INSERT_EVENT = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in EVENT_COLUMNS)})"
)
MOVE_HEAD = "UPDATE chain_heads SET seq = :seq, hash = :hash WHERE contact_id = :contact_id"
UPSERT_CONSENT = (
    "INSERT INTO consents (contact_id, channel, scope_id, group_id, status, event_id, "
    "confirm_until, updated_at) VALUES (:contact_id, :channel, :scope_id, :group_id, :status, "
    ":event_id, :confirm_until, :updated_at) ON CONFLICT (contact_id, channel, scope_id) "
    "DO UPDATE SET group_id = excluded.group_id, status = excluded.status, "
    "event_id = excluded.event_id, confirm_until = excluded.confirm_until, "
    "updated_at = excluded.updated_at"
)
UPSERT_SUPPRESSION = (
    "INSERT INTO suppressions (contact_id, channel, suppression, event_id, updated_at) "
    "VALUES (:contact_id, :channel, :suppression, :event_id, :updated_at) "
    "ON CONFLICT (contact_id, channel) DO UPDATE SET suppression = excluded.suppression, "
    "event_id = excluded.event_id, updated_at = excluded.updated_at"
)
DELETE_SUPPRESSION = (
    "DELETE FROM suppressions WHERE contact_id = :contact_id AND channel = :channel"
)


def _suppression_write(
    event: ConsentEvent, value: Suppression | None, now: int | None
) -> tuple[str, dict[str, Any]]:
    """The statement that sets (or, for ``None``, clears) a contact's suppression."""
    if value is None:
        return DELETE_SUPPRESSION, {"contact_id": event.contact_id, "channel": event.channel.value}
    values = {
        "contact_id": event.contact_id,
        "channel": event.channel.value,
        "suppression": value.value,
        "event_id": event.id,
        "updated_at": now,
    }
    return UPSERT_SUPPRESSION, values


@lru_cache(maxsize=16)
def _consents_sql(levels: int) -> str:
    """The consents of one contact and channel at ``levels`` scopes (a path is 1 to 3 long)."""
    scopes = ", ".join(f":s{n}" for n in range(levels))
    return (
        "SELECT scope_id, status, event_id, confirm_until FROM consents "
        f"WHERE contact_id = :cid AND channel = :ch AND scope_id IN ({scopes})"
    )


class SqlTx(KeysSql, PreferencesSql, InboundSql, DriverSql):
    """One transaction on one connection; nothing is kept unless ``commit()`` is called."""

    def __init__(self, conn: Connection, begins: bool = True) -> None:
        self.conn = conn
        self.committed = False
        self.begins = begins
        self._pg = conn.dialect.name == "postgresql"

    def commit(self) -> None:
        """Make the transaction permanent."""
        self.conn.commit()
        self.committed = True

    def _upsert(self, table: Any, values: dict[str, Any], keys: Sequence[str]) -> None:
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(table).values(**values)
        changes = {k: v for k, v in values.items() if k not in keys}
        self.conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=changes))

    # ── scopes ──────────────────────────────────────────────────────────────
    def get_scope(self, scope_id: str) -> Scope | None:
        row = self.conn.execute(select(t.scopes).where(t.scopes.c.id == scope_id)).first()
        return Scope(row.id, row.name) if row else None

    def add_scope(self, scope: Scope, created_at: datetime) -> None:
        values = {
            "id": scope.id,
            "group_id": scope.group_id,
            "kind": scope.kind.value,
            "name": scope.name,
            "created_at": to_micros(created_at),
        }
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(t.scopes).values(**values))
        except IntegrityError as exc:
            raise ScopeExists(f"scope {scope.id!r} already exists", scope=scope.id) from exc

    def list_scopes(self, under: str) -> list[Scope]:
        s = t.scopes.c
        query = select(t.scopes).where(s.group_id == group_of(under)).order_by(s.id)
        rows = self.conn.execute(query).all()
        return [Scope(r.id, r.name) for r in rows if r.id == under or r.id.startswith(under + "/")]

    # ── contacts ────────────────────────────────────────────────────────────
    def add_contact(self, contact: Contact, keys: Mapping[AddressKind, str]) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(t.contacts).values(**contact_values(contact)))
                self._insert_keys(contact, keys)
        except IntegrityError as exc:
            raise ContactExists("another contact in the group has that address") from exc
        self._set_lists(contact)
        head = {"contact_id": contact.id, "seq": 0, "hash": genesis(contact.id)}
        self.conn.execute(insert(t.chain_heads).values(**head))

    def _insert_keys(self, contact: Contact, keys: Mapping[AddressKind, str]) -> None:
        for kind, digest in keys.items():
            row = {"group_id": contact.group_id, "kind": kind.value, "digest": digest}
            self.conn.execute(insert(t.contact_keys).values(contact_id=contact.id, **row))

    def _set_lists(self, contact: Contact) -> None:
        cl = t.contact_lists
        self.conn.execute(delete(cl).where(cl.c.contact_id == contact.id))
        for name in sorted(contact.lists):
            row = {"contact_id": contact.id, "list_name": name, "group_id": contact.group_id}
            self.conn.execute(insert(cl).values(**row))

    def update_contact(self, contact: Contact, keys: Mapping[AddressKind, str]) -> None:
        ck = t.contact_keys
        values = contact_values(contact)
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    update(t.contacts).where(t.contacts.c.id == contact.id).values(**values)
                )
                old = ck.c.contact_id == contact.id
                if contact.erased_at is not None:  # erased: its keys keep re-imports suppressed
                    old = old & ck.c.kind.in_([k.value for k in keys])
                self.conn.execute(delete(ck).where(old))
                self._insert_keys(contact, keys)
        except IntegrityError as exc:
            raise ContactExists("another contact in the group has that address") from exc
        self._set_lists(contact)

    def get_contact(self, group_id: str, contact_id: str) -> Contact | None:
        rows = self._all(GET_CONTACT, {"cid": contact_id, "gid": group_id})
        if not rows:
            return None
        lists = frozenset(r[12] for r in rows if r[12] is not None)
        return contact_from_values(rows[0], lists)

    def find_contact_id(self, group_id: str, kind: AddressKind, digest: str) -> str | None:
        row = self._one(FIND_CONTACT_ID, {"gid": group_id, "kind": kind.value, "d": digest})
        return str(row[0]) if row is not None else None

    def find_contact_ids(
        self, group_id: str, kind: AddressKind, digests: Sequence[str]
    ) -> dict[str, str]:
        return contact_ids_by_digest(self.conn, group_id, kind.value, digests)

    def list_contacts(self, group_id: str, where: ContactFilter) -> list[Contact]:
        c = t.contacts.c
        query = select(t.contacts).where(c.group_id == group_id).order_by(c.id).limit(where.limit)
        if where.after:
            query = query.where(c.id > where.after)
        for column, value in (
            (c.email, where.email),
            (c.mobile, where.mobile),
            (c.external_id, where.external_id),
        ):
            if value is not None:
                query = query.where(column == value)
        if where.list_name:
            cl = t.contact_lists.c
            query = query.where(
                exists().where(cl.contact_id == c.id, cl.list_name == where.list_name)
            )
        if where.opted_out_channel:
            cs = t.consents.c
            query = query.where(
                exists().where(
                    cs.contact_id == c.id,
                    cs.channel == where.opted_out_channel.value,
                    cs.status.in_([Status.SOFT_OPT_OUT.value, Status.HARD_OPT_OUT.value]),
                )
            )
        rows = self.conn.execute(query).all()
        lists: dict[str, set[str]] = {r.id: set() for r in rows}
        if lists:  # the lists of the whole page in one query
            cl = t.contact_lists.c
            names = select(cl.contact_id, cl.list_name).where(cl.contact_id.in_(list(lists)))
            for contact_id, name in self.conn.execute(names):
                lists[contact_id].add(name)
        return [contact_from_row(r, frozenset(lists[r.id])) for r in rows]

    # ── ledger ──────────────────────────────────────────────────────────────
    def lock_chain(self, contact_id: str) -> ChainHead:
        """The contact's chain head; on PostgreSQL the row stays locked until the end of ``tx``
        (on SQLite the write transaction's ``BEGIN IMMEDIATE`` already excludes other writers)."""
        rows = self._all(LOCK_CHAIN_PG if self.postgres else LOCK_CHAIN, {"cid": contact_id})
        if len(rows) != 1:
            raise NoResultFound(f"no chain head for contact {contact_id!r}")
        return ChainHead(rows[0][0], rows[0][1])

    def consents(
        self, contact_id: str, channel: Channel, scope_ids: Sequence[str]
    ) -> dict[str, Consent]:
        if not scope_ids:
            return {}
        params: dict[str, Any] = {"cid": contact_id, "ch": channel.value}
        params.update({f"s{n}": scope_id for n, scope_id in enumerate(scope_ids)})
        rows = self._all(_consents_sql(len(scope_ids)), params)
        return {r[0]: consent_from_values(r[1], r[2], r[3]) for r in rows}

    def suppression(self, contact_id: str, channel: Channel) -> Suppression | None:
        row = self._one(GET_SUPPRESSION, {"cid": contact_id, "ch": channel.value})
        return Suppression(row[0]) if row is not None and row[0] else None

    def situation(
        self, group_id: str, contact_id: str, channel: Channel, path: Sequence[str]
    ) -> Situation | None:
        params: dict[str, Any] = {"cid": contact_id, "gid": group_id, "ch": channel.value}
        params.update({f"s{n}": scope_id for n, scope_id in enumerate(path)})
        sql = situation_sql(self.conn.dialect.name, channel.address_field, len(path))
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        finally:
            cursor.close()
        return situation_from_rows(channel, rows)

    def append(self, event: ConsentEvent, update: ProjectionUpdate) -> None:
        """The event, the moved chain head and the projection, in this transaction (on
        PostgreSQL as one statement: one round trip instead of three)."""
        head = {"seq": event.seq, "hash": event.hash, "contact_id": event.contact_id}
        writes: list[tuple[str, Mapping[str, Any]]] = [
            (INSERT_EVENT, event_values(event)),
            (MOVE_HEAD, head),
        ]
        now = to_micros(event.recorded_at)
        if isinstance(update, ConsentUpdate):
            consent = update.consent
            values = {
                "contact_id": event.contact_id,
                "channel": event.channel.value,
                "scope_id": event.scope_id,
                "group_id": event.group_id,
                "status": consent.status.value,
                "event_id": consent.event_id,
                "confirm_until": to_micros(consent.confirm_until),
                "updated_at": now,
            }
            writes.append((UPSERT_CONSENT, values))
        else:
            writes.append(_suppression_write(event, update.suppression, now))
        self._run_writes(writes)

    def events(
        self,
        contact_id: str,
        channel: Channel | None = None,
        scope_ids: Sequence[str] | None = None,
        recorded_until: datetime | None = None,
    ) -> list[ConsentEvent]:
        e = t.events.c
        query = select(t.events).where(e.contact_id == contact_id).order_by(e.seq)
        if channel is not None:
            query = query.where(e.channel == channel.value)
        if scope_ids is not None:
            query = query.where(e.scope_id.in_(scope_ids))
        if recorded_until is not None:
            query = query.where(e.recorded_at <= to_micros(recorded_until))
        return [event_from_row(r) for r in self.conn.execute(query)]

    def consent_rows(self, contact_id: str) -> list[tuple[Channel, str, Consent]]:
        cs = t.consents.c
        query = select(t.consents).where(cs.contact_id == contact_id)
        query = query.order_by(cs.channel, cs.scope_id)
        return [
            (
                Channel(r.channel),
                r.scope_id,
                consent_from_values(r.status, r.event_id, r.confirm_until),
            )
            for r in self.conn.execute(query)
        ]

    def suppression_rows(self, contact_id: str) -> list[tuple[Channel, Suppression]]:
        s = t.suppressions.c
        query = select(s.channel, s.suppression).where(s.contact_id == contact_id)
        return [
            (Channel(r.channel), Suppression(r.suppression))
            for r in self.conn.execute(query.order_by(s.channel))
        ]

    # ── meta ────────────────────────────────────────────────────────────────
    def get_meta(self, key: str) -> str | None:
        value: str | None = self.conn.execute(
            select(t.meta.c.value).where(t.meta.c.key == key)
        ).scalar()
        return value

    def set_meta(self, key: str, value: str) -> None:
        self._upsert(t.meta, {"key": key, "value": value}, ("key",))


def situation_from_rows(channel: Channel, rows: Sequence[Any]) -> Situation | None:
    """A ``Situation`` from the rows of the eligibility lookup (``None``: no such contact)."""
    if not rows:
        return None
    first = rows[0]
    return Situation(
        channel=channel,
        has_address=bool(first[0]) and first[1] is None,
        suppression=Suppression(first[2]) if first[2] else None,
        consents={r[3]: consent_from_values(r[4], r[5], r[6]) for r in rows if r[3] is not None},
    )


@lru_cache(maxsize=64)
def situation_sql(dialect: str, address_field: str, levels: int) -> str:
    """The one-read eligibility lookup: contact, suppression and consents on the scope path.

    The hot path of every send, so it runs on the driver's cursor with SQL built once per
    (dialect, address column, path length): no statement construction or result wrapping per
    call. The column name comes from ``Channel.address_field``, never from input.
    """

    def p(name: str) -> str:
        return f"%({name})s" if dialect == "postgresql" else f":{name}"

    scopes = ", ".join(p(f"s{n}") for n in range(levels))
    return (
        f"SELECT c.{address_field}, c.erased_at, s.suppression, cs.scope_id, cs.status, "
        "cs.event_id, cs.confirm_until FROM contacts c "
        f"LEFT JOIN suppressions s ON s.contact_id = c.id AND s.channel = {p('ch')} "
        f"LEFT JOIN consents cs ON cs.contact_id = c.id AND cs.channel = {p('ch')} "
        f"AND cs.scope_id IN ({scopes}) "
        f"WHERE c.id = {p('cid')} AND c.group_id = {p('gid')}"
    )
