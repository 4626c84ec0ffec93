"""The outbox: Consentry's own messages waiting for the sending service (SPEC §4).

Keyword replies, help texts and confirmation messages are queued in the ``outbox`` table
(adapters/outbox.py); the sending service reads them here and acknowledges each one it sent.
"""

from __future__ import annotations

from consentry.core import limits
from consentry.core.messaging import OutboxItem
from consentry.core.permissions import Capability, Principal, authorise
from consentry.ledger.context import Context


def list_outbox(
    ctx: Context,
    principal: Principal,
    *,
    pending_only: bool = True,
    limit: int = 100,
    after: str | None = None,
) -> list[OutboxItem]:
    """Messages waiting in the group's outbox, oldest first (the sending service reads these).

    ``after`` is the id of the last item of the previous page. The outbox is the group's,
    not a client's, so it needs a key bound to the group.
    """
    authorise(principal, Capability.REPORT_DELIVERY, principal.group_id)
    limits.optional_text(after, field="after", max_length=limits.ID)
    with ctx.store.transaction(write=False) as tx:
        return tx.list_outbox(principal.group_id, pending_only, max(1, min(limit, 1000)), after)


def mark_sent(ctx: Context, principal: Principal, outbox_id: str) -> bool:
    """Record that the sending service sent one message; False if unknown or already sent."""
    authorise(principal, Capability.REPORT_DELIVERY, principal.group_id)
    limits.text(outbox_id, field="outbox_id", max_length=limits.ID)
    with ctx.store.transaction() as tx:
        done = tx.mark_sent(principal.group_id, outbox_id, ctx.clock.now())
        tx.commit()
    return done
