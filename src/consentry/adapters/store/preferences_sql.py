"""The statements of the hosted pages (issue 5): shared rate limits, the confirmation sweep,
and the public look-up of an address across groups (SQLAlchemy Core, off the hot paths)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, select

from consentry.adapters.store import schema as t
from consentry.adapters.store.driver import Db
from consentry.core.channels import AddressKind, Channel
from consentry.core.events import to_micros


def hit_rate_limit(db: Db, bucket: str, window_start: datetime) -> int:
    """Count one hit in ``bucket``'s window (a new window resets it); the hits so far.

    One atomic upsert, so app servers sharing the database share the count.
    """
    rl = t.rate_limits
    start = to_micros(window_start)
    stale = rl.c.window_start < start
    changes = {
        "hits": case((stale, 1), else_=rl.c.hits + 1),
        "window_start": case((stale, start), else_=rl.c.window_start),
    }
    values = {"bucket": bucket, "window_start": start, "hits": 1}
    stmt = db.dialect.upsert(rl, values, ("bucket",), changes).returning(rl.c.hits)
    hits: int = db.conn.execute(stmt).scalar_one()
    return hits


def open_confirmations_before(
    db: Db, group_id: str, moment: datetime, limit: int
) -> list[tuple[str, Channel, str]]:
    """(contact, channel, scope) whose confirmation request ended at or before ``moment``."""
    cs = t.consents.c
    query = (
        select(cs.contact_id, cs.channel, cs.scope_id)
        .where(cs.group_id == group_id, cs.confirm_until <= to_micros(moment))
        .order_by(cs.contact_id, cs.channel, cs.scope_id)
        .limit(limit)
    )
    return [(r.contact_id, Channel(r.channel), r.scope_id) for r in db.conn.execute(query)]


def find_contacts_by_key(db: Db, kind: AddressKind, digest: str) -> list[tuple[str, str]]:
    """Every (group, contact) holding this address, in any group."""
    ck = t.contact_keys.c
    query = (
        select(ck.group_id, ck.contact_id)
        .where(ck.kind == kind.value, ck.digest == digest)
        .order_by(ck.group_id)
    )
    return [(r.group_id, r.contact_id) for r in db.conn.execute(query)]
