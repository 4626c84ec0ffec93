"""The SQL store: SQLite by default, PostgreSQL by URL (the adapter behind ``ports.Store``).

Only Consentry's errors come out of it (``failures.py``); the two SQL idioms and every
difference between the two databases are described in ``dialect.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from consentry.adapters.store import audience_sql, ledger_sql, reads
from consentry.adapters.store.bulk_sql import SqlBulk
from consentry.adapters.store.dialect import of
from consentry.adapters.store.engine import make_engine, unit_of_work
from consentry.adapters.store.exports_sql import ExportSnapshot
from consentry.adapters.store.failures import translate, translated, translated_rows
from consentry.adapters.store.migrate import upgrade
from consentry.adapters.store.reader import RawReader, raw_reader
from consentry.adapters.store.sql import SqlTx
from consentry.core.audience import AudienceQuery, AudienceRow
from consentry.core.chain import Between, ChainRow
from consentry.core.projection import ConsentRow, SuppressionRow

__all__ = ["SqlStore", "open_store"]


class SqlStore:
    """Transactions and read streams on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return of(self.engine).name

    def transaction(self, write: bool = True) -> AbstractContextManager[SqlTx]:
        """A unit of work; rolls back unless ``commit()`` is called."""
        return unit_of_work(self.engine, "write" if write else "read")

    def reader(self) -> AbstractContextManager[RawReader]:
        """The eligibility read path: a pooled driver connection, no transaction bookkeeping."""
        return raw_reader(self.engine)

    @contextmanager
    def bulk(self) -> Iterator[SqlBulk]:
        """A write transaction for one batch of an import (rolls back unless committed)."""
        with unit_of_work(self.engine, "write") as tx:
            yield SqlBulk(tx.db)

    def audience(self, query: AudienceQuery, batch_size: int = 5000) -> Iterator[AudienceRow]:
        """Every contact of the segment with its reason, in one consistent snapshot."""
        with self._snapshot() as tx:
            yield from audience_sql.stream_audience(tx.conn, query, batch_size)

    @contextmanager
    def _snapshot(self) -> Iterator[SqlTx]:
        with unit_of_work(self.engine, "snapshot") as tx:
            of(self.engine).begin_snapshot(tx.conn)
            yield tx

    @contextmanager
    def chain(self, group_id: str | None, contact_id: str | None = None) -> Iterator[ChainSnapshot]:
        """Events, heads, hashes, contacts and the projection of one group (or all, or one
        contact of the group) read in ONE consistent snapshot, so a write landing while
        verification reads is never mistaken for tampering."""
        with self._snapshot() as tx:
            yield ChainSnapshot(tx.conn, group_id, contact_id)

    @contextmanager
    def export(self, group_id: str, scope_id: str) -> Iterator[ExportSnapshot]:
        """A group's contacts, projection and events as seen from ``scope_id``, read in batches
        in ONE consistent snapshot, so an export shows one moment (``exports_sql.py``)."""
        with self._snapshot() as tx:
            yield ExportSnapshot(tx.conn, group_id, scope_id)

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()


class ChainSnapshot:
    """The ledger's chains as of one snapshot (the adapter behind ``ports.ChainReader``)."""

    def __init__(
        self,
        conn: Connection,
        group_id: str | None,
        contact_id: str | None,
        between: Between | None = None,
    ) -> None:
        self.conn = conn
        self.group_id = group_id
        self.contact_id = contact_id  # only this contact's chain, when given
        self.between = between  # only the contacts of this id range, when given

    def rows(self) -> Iterator[ChainRow]:
        """Every event's chained fields, in (contact, seq) order."""
        return translated_rows(
            reads.stream_chain(
                self.conn, self.group_id, contact=self.contact_id, between=self.between
            )
        )

    def heads(self) -> Iterator[tuple[str, int, str]]:
        """Every stored chain head, in contact order."""
        return translated_rows(
            reads.stream_heads(
                self.conn, self.group_id, contact=self.contact_id, between=self.between
            )
        )

    def contacts(self) -> Iterator[tuple[str, str]]:
        """Every contact (id, group), in id order."""
        return translated_rows(
            ledger_sql.stream_contacts(
                self.conn, self.group_id, contact=self.contact_id, between=self.between
            )
        )

    def consent_rows(self) -> Iterator[ConsentRow]:
        """Every consents row as stored, in (contact, channel, scope) order."""
        return translated_rows(
            ledger_sql.stream_consents(
                self.conn, self.group_id, contact=self.contact_id, between=self.between
            )
        )

    def suppression_rows(self) -> Iterator[SuppressionRow]:
        """Every suppressions row as stored, in (contact, channel) order."""
        return translated_rows(
            ledger_sql.stream_suppressions(
                self.conn, self.group_id, contact=self.contact_id, between=self.between
            )
        )

    @translated
    def event_hash(self, contact_id: str, seq: int) -> str | None:
        """The stored hash of one event."""
        return reads.event_hash(self.conn, self.group_id, contact_id, seq)

    @translated
    def bounds(self, parts: int, smallest: int = 1) -> list[str]:
        """Contact ids that split the group's (or every) contacts into up to ``parts`` runs
        of at least ``smallest`` contacts."""
        return reads.contact_bounds(self.conn, self.group_id, parts, smallest)

    def within(self, between: Between) -> ChainSnapshot:
        """The same snapshot, only the contacts whose id is in ``between``."""
        return ChainSnapshot(self.conn, self.group_id, self.contact_id, between)


def open_store(url: str, migrate: bool = True) -> SqlStore:
    """Connect to the database at ``url``, bringing its schema up to date unless told not to."""
    engine = make_engine(url)
    if migrate:
        try:
            upgrade(engine)
        except SQLAlchemyError as exc:  # no server, no such file: ours, not a traceback
            engine.dispose()
            raise translate(exc) from exc
    return SqlStore(engine)
