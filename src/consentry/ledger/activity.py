"""Activity → Opt-outs: every opt-out of the caller's scope and the scopes below it (SPEC §6;
seeds/004; docs/decisions/062).

A principal sees the opt-outs recorded at its own scope and below it, never above or beside
it: a client admin at ``acme/newsletters`` sees that client's and its users' opt-outs, and
asking for ``acme`` or ``acme/events`` is ``out_of_scope``. Soft and hard alike, newest first,
a page at a time (the cursor is the last event id of the previous page).
"""

from __future__ import annotations

from datetime import datetime

from consentry.core import limits
from consentry.core.activity import MAX_PAGE, OptOut, OptOutFilter
from consentry.core.channels import Channel, parse_channel
from consentry.core.errors import Invalid
from consentry.core.permissions import Capability, Principal, authorise
from consentry.core.scopes import parse_scope_id
from consentry.ledger.context import Context
from consentry.ledger.steps import load_scope


def opt_outs(
    ctx: Context,
    principal: Principal,
    *,
    scope_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    channel: str | Channel | None = None,
    after: str | None = None,
    limit: int = 100,
) -> list[OptOut]:
    """The opt-outs at ``scope_id`` (default: the principal's own) and below, recorded in
    ``[since, until)``, newest first; ``after`` is the last event id of the previous page and
    ``limit`` is 1 to 1000."""
    where = _checked(principal, scope_id, since, until, channel, after, limit)
    authorise(principal, Capability.VIEW, where.scope_id)
    with ctx.store.transaction(write=False) as tx:
        load_scope(ctx, tx, principal, where.scope_id)
        return tx.opt_out_events(principal.group_id, where)


def _checked(
    principal: Principal,
    scope_id: str | None,
    since: datetime | None,
    until: datetime | None,
    channel: str | Channel | None,
    after: str | None,
    limit: int,
) -> OptOutFilter:
    """The inputs checked once (decision 050), as the store's filter."""
    sid = principal.scope_id
    if scope_id is not None:
        sid = parse_scope_id(limits.text(scope_id, field="scope", max_length=limits.SCOPE_ID))
    if since is not None:
        limits.instant(since, field="since")
    if until is not None:
        limits.instant(until, field="until")
    if since is not None and until is not None and since >= until:
        raise Invalid("since must be before until", field="since")
    chan = None
    if channel is not None:
        chan = parse_channel(limits.text(str(channel), field="channel", max_length=limits.WORD))
    limits.optional_text(after, field="after", max_length=limits.ID)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"limit must be a whole number from 1 to {MAX_PAGE}", field="limit")
    return OptOutFilter(sid, since, until, chan, after or None, limit)
