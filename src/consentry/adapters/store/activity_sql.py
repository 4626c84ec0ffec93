"""The statement behind Activity → Opt-outs: one group's opt-out events at a scope and below it,
newest first, a page at a time (SQLAlchemy Core; docs/decisions/062).

"At or below ``s``" is ``scope_id = s OR scope_id LIKE 's/%'`` with the LIKE wildcards of
``s`` escaped (a slug may hold ``_``). The group and the window of recorded time are served by
the index ``ix_events_group_id_recorded_at``, which also gives the order; the page's cursor is
its last event, so the next page starts strictly after its ``(recorded_at, id)``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, or_, select

from consentry.adapters.store import schema as t
from consentry.adapters.store.driver import Db
from consentry.core.activity import OptOut, OptOutFilter
from consentry.core.channels import Channel
from consentry.core.events import Action, ActorKind, Source, Strength, from_micros, to_micros

_E = t.events.c
COLUMNS = (
    _E.id, _E.contact_id, _E.recorded_at, _E.occurred_at, _E.channel, _E.scope_id,
    _E.strength, _E.source, _E.actor_kind, _E.recorded_by,
)  # fmt: skip


def opt_out_events(db: Db, group_id: str, where: OptOutFilter) -> list[OptOut]:
    """The group's opt-outs that ``where`` picks, newest first (ties: the larger id first)."""
    query = select(*COLUMNS).where(
        _E.group_id == group_id,
        _E.action == Action.OPTED_OUT.value,
        or_(
            _E.scope_id == where.scope_id,
            _E.scope_id.startswith(where.scope_id + "/", autoescape=True),
        ),
    )
    if where.since is not None:
        query = query.where(_E.recorded_at >= to_micros(where.since))
    if where.until is not None:
        query = query.where(_E.recorded_at < to_micros(where.until))
    if where.channel is not None:
        query = query.where(_E.channel == where.channel.value)
    if where.after is not None:
        query = _after(query, group_id, where.after)
    query = query.order_by(_E.recorded_at.desc(), _E.id.desc()).limit(where.limit)
    return [_opt_out(row) for row in db.conn.execute(query)]


def _after(query: Select[Any], group_id: str, event_id: str) -> Select[Any]:
    """Only the rows after the cursor's event in the page order (none for an unknown id)."""
    mark = select(_E.recorded_at).where(_E.group_id == group_id, _E.id == event_id).limit(1)
    at = mark.scalar_subquery()
    return query.where(or_(_E.recorded_at < at, and_(_E.recorded_at == at, _E.id < event_id)))


def _opt_out(row: Any) -> OptOut:
    return OptOut(
        event_id=row.id,
        contact_id=row.contact_id,
        recorded_at=from_micros(row.recorded_at),  # type: ignore[arg-type]
        occurred_at=from_micros(row.occurred_at),  # type: ignore[arg-type]
        channel=Channel(row.channel),
        scope_id=row.scope_id,
        strength=Strength(row.strength),
        source=Source(row.source),
        actor_kind=ActorKind(row.actor_kind),
        recorded_by=row.recorded_by,
    )
