"""Trends: subscribed and unsubscribed totals per channel at the caller's scope and below, the
change against last month, a daily series and the spikes in unsubscribes (SPEC §6; seeds/002;
docs/decisions/066).

"You'll see how your subscribed and unsubscribed contacts have changed compared to last month …
so you can spot any sudden drops in subscribers and take action early." The counts are the
``trend_days`` rows each consent event adds to in its own transaction (``steps.record``), so
this read sums a few rows per scope, channel and day, whatever the number of contacts. Who may
read what is the activity's rule: ``view`` at the scope, which covers the scopes below it.
"""

from __future__ import annotations

from consentry.core import limits
from consentry.core.channels import Channel
from consentry.core.errors import Invalid
from consentry.core.permissions import Capability, Principal, authorise
from consentry.core.scopes import parse_scope_id
from consentry.core.trends import MAX_DAYS, Trends, day_number, first_day_read, trends_of
from consentry.ledger.context import Context
from consentry.ledger.steps import load_scope


def trends(
    ctx: Context, principal: Principal, *, scope_id: str | None = None, days: int = 90
) -> Trends:
    """The trends at ``scope_id`` (default: the principal's own) and below, per channel of the
    deployment, with a series of the last ``days`` days (1 to 730) up to today (UTC)."""
    sid = principal.scope_id
    if scope_id is not None:
        sid = parse_scope_id(limits.text(scope_id, field="scope", max_length=limits.SCOPE_ID))
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise Invalid(f"days must be a whole number from 1 to {MAX_DAYS}", field="days")
    authorise(principal, Capability.VIEW, sid)
    today = day_number(ctx.clock.now())
    with ctx.reads.transaction(write=False) as tx:
        load_scope(ctx, tx, principal, sid)
        rows = tx.trend_days(principal.group_id, sid, first_day_read(today, days))
    channels = [c for c in Channel if c in ctx.policy.enabled]
    return trends_of(rows, scope_id=sid, channels=channels, today=today, days=days)
