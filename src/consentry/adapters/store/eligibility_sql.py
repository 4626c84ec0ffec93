"""The eligibility lookup: a contact's address, suppression and consents on a scope path.

The hot path of every send (SPEC §9: at most 3 times the bare lookup), so it is one driver
statement, built once per (dialect, address column, path length): no statement construction or
result wrapping per call. ``reader.py`` runs it on a bare pooled connection; ``Tx.situation``
runs it inside a transaction.

A batch of checks reads the situations of many contacts on one (channel, path) at once:
``SITUATIONS``, the same joins for an ``IN`` list of contact ids (``ID_CHUNK`` at most, under
SQLite's parameter limit), one statement per chunk instead of one per check.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from consentry.adapters.store.dialect import Dialect
from consentry.adapters.store.driver import Db, on_path, path_params
from consentry.adapters.store.rows import consent_from_values
from consentry.core.channels import Channel
from consentry.core.eligibility import Situation
from consentry.core.status import Suppression

SITUATION = (  # ``{address}``: the channel's contacts column; ``{scopes}``: the path (on_path)
    "SELECT c.{address}, c.erased_at, s.suppression, cs.scope_id, cs.status, cs.event_id, "
    "cs.confirm_until FROM contacts c "
    "LEFT JOIN suppressions s ON s.contact_id = c.id AND s.channel = :ch "
    "LEFT JOIN consents cs ON cs.contact_id = c.id AND cs.channel = :ch "
    "AND cs.scope_id IN ({scopes}) "
    "WHERE c.id = :cid AND c.group_id = :gid"
)


SITUATIONS = (  # the same joins for a list of contacts: ``{{ids}}`` is filled per chunk
    "SELECT c.id, c.{address}, c.erased_at, s.suppression, cs.scope_id, cs.status, cs.event_id, "
    "cs.confirm_until FROM contacts c "
    "LEFT JOIN suppressions s ON s.contact_id = c.id AND s.channel = :ch "
    "LEFT JOIN consents cs ON cs.contact_id = c.id AND cs.channel = :ch "
    "AND cs.scope_id IN ({scopes}) "
    "WHERE c.group_id = :gid AND c.id IN ({{ids}})"
)
ID_CHUNK = 900  #: contacts per statement; with the path's, under SQLite's 999 parameters


@lru_cache(maxsize=256)
def situations_sql(dialect: Dialect, address_field: str, levels: int, count: int) -> str:
    """The lookup of ``count`` contacts as this dialect's driver text."""
    ids = ", ".join(f":i{n}" for n in range(count))
    return dialect.driver_sql(on_path(SITUATIONS, levels, address_field).format(ids=ids))


def situations_params(
    group_id: str, contact_ids: Sequence[str], channel: Channel, path: Sequence[str]
) -> dict[str, Any]:
    """The parameters of the lookup of these contacts."""
    ids = {f"i{n}": contact_id for n, contact_id in enumerate(contact_ids)}
    return {"gid": group_id, "ch": channel.value, **path_params(path), **ids}


def chunks(contact_ids: Sequence[str], levels: int = 0) -> list[Sequence[str]]:
    """The distinct contact ids in lists that, with ``levels`` scopes, stay within 999
    parameters (``ID_CHUNK`` at most)."""
    distinct = list(dict.fromkeys(contact_ids))
    size = max(1, min(ID_CHUNK, 990 - levels))
    return [distinct[n : n + size] for n in range(0, len(distinct), size)]


def situations_from_rows(channel: Channel, rows: Sequence[Any]) -> dict[str, Situation]:
    """Each contact's ``Situation`` from the rows of the many-contacts lookup."""
    by_contact: dict[str, list[Any]] = {}
    for row in rows:
        by_contact.setdefault(row[0], []).append(row[1:])
    return {cid: _situation(channel, found) for cid, found in by_contact.items()}


def situations(
    db: Db, group_id: str, contact_ids: Sequence[str], channel: Channel, path: Sequence[str]
) -> dict[str, Situation]:
    """The many-contacts lookup inside a transaction (unknown contacts are absent)."""
    found: dict[str, Situation] = {}
    for chunk in chunks(contact_ids, len(path)):
        sql = on_path(SITUATIONS, len(path), channel.address_field)
        sql = sql.format(ids=", ".join(f":i{n}" for n in range(len(chunk))))
        rows = db.all(sql, situations_params(group_id, chunk, channel, path))
        found.update(situations_from_rows(channel, rows))
    return found


@lru_cache(maxsize=64)
def situation_sql(dialect: Dialect, address_field: str, levels: int) -> str:
    """The lookup as this dialect's driver text, for a channel's address column and a path."""
    return dialect.driver_sql(on_path(SITUATION, levels, address_field))


def situation_params(
    group_id: str, contact_id: str, channel: Channel, path: Sequence[str]
) -> dict[str, Any]:
    """The parameters of the lookup."""
    return {"cid": contact_id, "gid": group_id, "ch": channel.value, **path_params(path)}


def situation(
    db: Db, group_id: str, contact_id: str, channel: Channel, path: Sequence[str]
) -> Situation | None:
    """The lookup inside a transaction."""
    sql = on_path(SITUATION, len(path), channel.address_field)
    rows = db.all(sql, situation_params(group_id, contact_id, channel, path))
    return situation_from_rows(channel, rows)


def situation_from_rows(channel: Channel, rows: Sequence[Any]) -> Situation | None:
    """A ``Situation`` from the rows of the lookup (``None``: no such contact)."""
    if not rows:
        return None
    return _situation(channel, rows)


def _situation(channel: Channel, rows: Sequence[Any]) -> Situation:
    address, erased_at, suppression, *_ = rows[0]
    return Situation(
        channel=channel,
        has_address=bool(address) and erased_at is None,
        suppression=Suppression(suppression) if suppression else None,
        consents={
            scope_id: consent_from_values(status, event_id, confirm_until)
            for _, _, _, scope_id, status, event_id, confirm_until in rows
            if scope_id is not None
        },
    )
