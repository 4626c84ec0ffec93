"""The eligibility read path on a bare pooled driver connection.

An eligibility check is the hot path of every send (SPEC §9: at most 3 times the bare lookup).
It needs two reads at most (the scope, usually cached by the ledger, and one joined lookup), so
it skips the SQLAlchemy ``Connection`` and its transaction bookkeeping and runs on the pool's driver
connection. Each statement is its own implicit read: SQLite's connections are in autocommit mode,
and on PostgreSQL the driver is switched to autocommit for the reads (no BEGIN or ROLLBACK round
trips) and back before the connection returns to the pool. Driver errors become ``Unavailable``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine

from consentry.adapters.store.dialect import Dialect, of
from consentry.adapters.store.eligibility_sql import (
    chunks,
    situation_from_rows,
    situation_params,
    situation_sql,
    situations_from_rows,
    situations_params,
    situations_sql,
)
from consentry.adapters.store.keys_sql import GET_API_KEY, api_key_from_row
from consentry.adapters.store.policies_sql import GET_SETTINGS, settings_from_rows
from consentry.adapters.store.scopes_sql import GET_SCOPE, scope_from_row
from consentry.core.access import ApiKey
from consentry.core.channels import Channel
from consentry.core.eligibility import Situation
from consentry.core.errors import Unavailable
from consentry.core.policies import GroupSetting
from consentry.core.scopes import Scope


class RawReader:
    """Eligibility reads on one driver connection."""

    def __init__(self, cursor: Any, dialect: Dialect) -> None:
        self.cursor = cursor
        self.dialect = dialect
        self._get_scope = dialect.driver_sql(GET_SCOPE)
        self._get_settings = dialect.driver_sql(GET_SETTINGS)
        self._get_api_key = dialect.driver_sql(GET_API_KEY)

    def get_api_key(self, key_id: str) -> tuple[ApiKey, str] | None:
        """An API key and its secret's hash: every API request's bearer check."""
        self.cursor.execute(self._get_api_key, {"id": key_id})
        return api_key_from_row(self.cursor.fetchone())

    def get_scope(self, scope_id: str) -> Scope | None:
        """One scope by id."""
        self.cursor.execute(self._get_scope, {"id": scope_id})
        return scope_from_row(self.cursor.fetchone())

    def transactional_settings(self, group_id: str) -> list[GroupSetting]:
        """The group's own transactional policies (decision 075)."""
        self.cursor.execute(self._get_settings, {"gid": group_id})
        return settings_from_rows(self.cursor.fetchall())

    def situation(
        self, group_id: str, contact_id: str, channel: Channel, path: Sequence[str]
    ) -> Situation | None:
        """Contact, suppression and consents on the path, in one statement."""
        sql = situation_sql(self.dialect, channel.address_field, len(path))
        self.cursor.execute(sql, situation_params(group_id, contact_id, channel, path))
        return situation_from_rows(channel, self.cursor.fetchall())

    def situations(
        self, group_id: str, contact_ids: Sequence[str], channel: Channel, path: Sequence[str]
    ) -> dict[str, Situation]:
        """Many contacts' situations on one path: a statement per ``ID_CHUNK`` contacts."""
        found: dict[str, Situation] = {}
        for chunk in chunks(contact_ids, len(path)):
            sql = situations_sql(self.dialect, channel.address_field, len(path), len(chunk))
            self.cursor.execute(sql, situations_params(group_id, chunk, channel, path))
            found.update(situations_from_rows(channel, self.cursor.fetchall()))
        return found


@contextmanager
def raw_reader(engine: Engine) -> Iterator[RawReader]:
    """A reader on a pooled driver connection, returned to the pool afterwards."""
    errors = engine.dialect.loaded_dbapi.Error
    try:
        raw = engine.raw_connection()
    except Exception as exc:  # the pool could not connect
        raise Unavailable(f"the database is unavailable: {exc}") from exc
    driver: Any = raw.driver_connection
    dialect = of(engine)
    autocommit = dialect.autocommit_reads  # single reads need no BEGIN, no ROLLBACK round trips
    try:
        if autocommit:
            driver.autocommit = True
        cursor = raw.cursor()
        try:
            yield RawReader(cursor, dialect)
        finally:
            cursor.close()
            if autocommit:
                driver.autocommit = False
    except errors as exc:
        if engine.dialect.is_disconnect(exc, driver, None):
            engine.pool.dispose()  # every pooled connection is as dead as this one
        raw.invalidate()
        raise Unavailable(f"the database failed a read: {exc}") from exc
    finally:
        raw.close()
