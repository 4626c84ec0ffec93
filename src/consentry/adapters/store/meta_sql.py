"""The statements behind deployment settings kept in the database (the address-hash key)."""

from __future__ import annotations

from sqlalchemy import select

from consentry.adapters.store import schema as t
from consentry.adapters.store.driver import Db


def get_meta(db: Db, key: str) -> str | None:
    """The stored value of a setting, or None."""
    value: str | None = db.conn.execute(select(t.meta.c.value).where(t.meta.c.key == key)).scalar()
    return value


def set_meta(db: Db, key: str, value: str) -> None:
    """Store a setting, replacing its value."""
    db.conn.execute(db.dialect.upsert(t.meta, {"key": key, "value": value}, ("key",)))
