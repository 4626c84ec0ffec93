"""The eligibility lookup: a contact's address, suppression and consents on a scope path.

The hot path of every send (SPEC §9: at most 3 times the bare lookup), so it is one driver
statement, built once per (dialect, address column, path length): no statement construction or
result wrapping per call. ``reader.py`` runs it on a bare pooled connection; ``Tx.situation``
runs it inside a transaction.
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
