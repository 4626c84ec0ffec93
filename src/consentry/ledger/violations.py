"""Violations and the compliance report: what was sent that should not have been, and how
long each opt-out took to be honoured (SPEC §5; decision 079).

Both are reads for staff and viewers (``read_compliance``) within their scope: the sends and
violations from their scope and below it; the opt-outs at their scope, below it and on the path
above it (those decide their sends), each measured by the violations from their reach.
"""

from __future__ import annotations

from datetime import datetime

from consentry.core import limits
from consentry.core.channels import Channel, parse_channel
from consentry.core.compliance import DEFAULT_PERIOD, ComplianceReport, report
from consentry.core.errors import Invalid
from consentry.core.permissions import Capability, Principal, authorise
from consentry.core.sends import MAX_PAGE, Violation, ViolationFilter
from consentry.ledger.context import Context
from consentry.ledger.steps import load_scope


def violations(
    ctx: Context,
    principal: Principal,
    *,
    scope_id: str | None = None,
    channel: str | Channel | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after: str | None = None,
    limit: int = 100,
) -> list[Violation]:
    """Violations of sends from ``scope_id`` (the principal's own unless given) or below,
    sent in ``[since, until)``, newest first, a page after the violation ``after``."""
    authorise(principal, Capability.READ_COMPLIANCE)
    limits.optional_text(after, field="after", max_length=limits.ID)
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"limit is between 1 and {MAX_PAGE}", field="limit")
    begin, end = _window(since, until)
    chan = None if channel is None else ctx.policy.require_enabled(parse_channel(str(channel)))
    with ctx.store.transaction(write=False) as tx:
        scope = load_scope(ctx, tx, principal, scope_id or principal.scope_id)
        authorise(principal, Capability.READ_COMPLIANCE, scope.id)
        where = ViolationFilter(scope.id, chan, begin, end, after, limit)
        return tx.sends().violations(principal.group_id, where)


def compliance_report(
    ctx: Context,
    principal: Principal,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    scope_id: str | None = None,
) -> ComplianceReport:
    """Per sender scope and channel, sends and violations in ``[since, until)`` (default: the
    30 days to now); the opt-outs recorded then and how long each took to be honoured."""
    authorise(principal, Capability.READ_COMPLIANCE)
    end = until or ctx.clock.now()
    begin = since or end - DEFAULT_PERIOD
    _window(begin, end)
    with ctx.store.transaction(write=False) as tx:
        scope = load_scope(ctx, tx, principal, scope_id or principal.scope_id)
        authorise(principal, Capability.READ_COMPLIANCE, scope.id)
        sends = tx.sends()
        counts = sends.send_counts(principal.group_id, scope.id, begin, end)
        opt_outs = sends.opt_out_counts(principal.group_id, scope.id, begin, end)
        violated = sends.violated_opt_outs(principal.group_id, scope.id, begin, end)
    return report(begin, end, counts, opt_outs, violated)


def _window(
    since: datetime | None, until: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """A period's bounds, each in range, ``since`` before ``until``."""
    if since is not None:
        limits.instant(since, field="since")
    if until is not None:
        limits.instant(until, field="until")
    if since is not None and until is not None and since >= until:
        raise Invalid("since lies before until", field="since")
    return since, until
