"""Every statement a use case runs inside a transaction (listmonk's rule: SQL in one place).

The read-side streams (audiences, verification) are in ``store/reads.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, delete, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from consentry.chain import genesis
from consentry.channels import AddressKind, Channel
from consentry.contacts import Contact
from consentry.eligibility import Situation
from consentry.errors import ContactExists, ScopeExists
from consentry.events import ConsentEvent, to_micros
from consentry.ports import ChainHead, ContactFilter
from consentry.scopes import Scope, group_of
from consentry.status import Consent, Status, Suppression
from consentry.store import schema as t
from consentry.store.inbound_sql import InboundSql
from consentry.store.keys_sql import KeysSql
from consentry.store.preferences_sql import PreferencesSql
from consentry.store.reads import contact_ids_by_digest
from consentry.store.rows import (
    consent_from_values,
    contact_from_row,
    contact_values,
    event_from_row,
    event_values,
)


class SqlTx(KeysSql, PreferencesSql, InboundSql):
    """One transaction on one connection; nothing is kept unless ``commit()`` is called."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.committed = False

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
        c = t.contacts.c
        query = select(t.contacts).where(c.id == contact_id, c.group_id == group_id)
        row = self.conn.execute(query).first()
        if row is None:
            return None
        cl = t.contact_lists.c
        names = self.conn.execute(select(cl.list_name).where(cl.contact_id == contact_id))
        return contact_from_row(row, frozenset(names.scalars()))

    def find_contact_id(self, group_id: str, kind: AddressKind, digest: str) -> str | None:
        ck = t.contact_keys.c
        query = select(ck.contact_id).where(
            ck.group_id == group_id, ck.kind == kind.value, ck.digest == digest
        )
        found: str | None = self.conn.execute(query).scalar()
        return found

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
        return [self.get_contact(group_id, r.id) or contact_from_row(r, frozenset()) for r in rows]

    # ── ledger ──────────────────────────────────────────────────────────────
    def lock_chain(self, contact_id: str) -> ChainHead:
        h = t.chain_heads.c
        query = select(h.seq, h.hash).where(h.contact_id == contact_id)
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.conn.execute(query).one()
        return ChainHead(row.seq, row.hash)

    def consents(
        self, contact_id: str, channel: Channel, scope_ids: Sequence[str]
    ) -> dict[str, Consent]:
        cs = t.consents.c
        query = select(cs.scope_id, cs.status, cs.event_id, cs.confirm_until).where(
            cs.contact_id == contact_id, cs.channel == channel.value, cs.scope_id.in_(scope_ids)
        )
        return {
            r.scope_id: consent_from_values(r.status, r.event_id, r.confirm_until)
            for r in self.conn.execute(query)
        }

    def suppression(self, contact_id: str, channel: Channel) -> Suppression | None:
        s = t.suppressions.c
        query = select(s.suppression).where(s.contact_id == contact_id, s.channel == channel.value)
        value = self.conn.execute(query).scalar()
        return Suppression(value) if value else None

    def situation(
        self, group_id: str, contact_id: str, channel: Channel, path: Sequence[str]
    ) -> Situation | None:
        params: dict[str, Any] = {"cid": contact_id, "gid": group_id, "ch": channel.value}
        params.update({f"s{n}": scope_id for n, scope_id in enumerate(path)})
        sql = _situation_sql(self.conn.dialect.name, channel.address_field, len(path))
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        finally:
            cursor.close()
        if not rows:
            return None
        first = rows[0]
        return Situation(
            channel=channel,
            has_address=bool(first[0]) and first[1] is None,
            suppression=Suppression(first[2]) if first[2] else None,
            consents={
                r[3]: consent_from_values(r[4], r[5], r[6]) for r in rows if r[3] is not None
            },
        )

    def append(
        self,
        event: ConsentEvent,
        consent: Consent | None,
        suppression: tuple[Suppression | None] | None,
    ) -> None:
        self.conn.execute(insert(t.events).values(**event_values(event)))
        h = t.chain_heads.c
        self.conn.execute(
            update(t.chain_heads)
            .where(h.contact_id == event.contact_id)
            .values(seq=event.seq, hash=event.hash)
        )
        now = to_micros(event.recorded_at)
        if consent is not None:
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
            self._upsert(t.consents, values, ("contact_id", "channel", "scope_id"))
        if suppression is not None:
            self._set_suppression(event, suppression[0], now)

    def _set_suppression(self, event: ConsentEvent, value: Suppression | None, now: Any) -> None:
        s = t.suppressions.c
        key = (s.contact_id == event.contact_id) & (s.channel == event.channel.value)
        if value is None:
            self.conn.execute(delete(t.suppressions).where(key))
            return
        values = {
            "contact_id": event.contact_id,
            "channel": event.channel.value,
            "suppression": value.value,
            "event_id": event.id,
            "updated_at": now,
        }
        self._upsert(t.suppressions, values, ("contact_id", "channel"))

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


@lru_cache(maxsize=64)
def _situation_sql(dialect: str, address_field: str, levels: int) -> str:
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
