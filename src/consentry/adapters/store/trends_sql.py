"""The statement behind Trends: one group's day counts at a scope and below it, summed per channel
and day (SQLAlchemy Core; docs/decisions/066).

It reads ``trend_days`` only, never the events or the projection, so its cost follows the number
of (scope, channel, day) rows, not of contacts. "At or below ``s``" is ``scope_id = s OR
scope_id LIKE 's/%'`` with the LIKE wildcards of ``s`` escaped, as for the opt-out activity. The
days before ``since`` come summed as one row dated ``since - 1``: a reader needs them only for
the totals.
"""

from __future__ import annotations

from sqlalchemy import case, func, or_, select

from consentry.adapters.store import schema as t
from consentry.adapters.store.driver import Db
from consentry.core.channels import Channel
from consentry.core.trends import TrendRow

_T = t.trend_days.c


def trend_days(db: Db, group_id: str, scope_id: str, since: int) -> list[TrendRow]:
    """The counts at ``scope_id`` and below per channel and day from ``since`` (days since 1970),
    and per channel one row of every day before it, dated ``since - 1``; by channel and day."""
    day = case((_T.day < since, since - 1), else_=_T.day).label("day")
    rows = (
        select(_T.channel, day, _T.subscribed_delta, _T.unsubscribed_delta, _T.opt_outs)
        .where(
            _T.group_id == group_id,
            or_(_T.scope_id == scope_id, _T.scope_id.startswith(scope_id + "/", autoescape=True)),
        )
        .subquery()
    )
    query = (
        select(
            rows.c.channel,
            rows.c.day,
            func.sum(rows.c.subscribed_delta),
            func.sum(rows.c.unsubscribed_delta),
            func.sum(rows.c.opt_outs),
        )
        .group_by(rows.c.channel, rows.c.day)
        .order_by(rows.c.channel, rows.c.day)
    )
    return [
        TrendRow(Channel(channel), int(d), int(sub), int(unsub), int(opt_outs))
        for channel, d, sub, unsub, opt_outs in db.conn.execute(query)
    ]
