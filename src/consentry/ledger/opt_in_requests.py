"""Send an opt-in request (seeds/004: "sending them a manual notification to opt in").

Staff or an admin asks the contact to opt in: a confirmation request is recorded and the
opt-in confirmation message, with its signed link, goes to the contact; nothing changes until
they confirm. When that may happen (docs/decisions/064):

- never after the contact's own (hard) opt-out on the channel at or above the scope: only
  the contact can opt back in, through a link or START, and after a STOP the one confirmation
  text the FCC allows has been sent already (``hard_opt_out_locked``);
- never to a contact already opted in there, nor after any opt-out there: after an admin's
  (soft) one an admin re-subscribes with a reason instead (``invalid_transition``,
  ``opted_out``: the ledger's own rules for a confirmation request);
- at most once per contact, channel and scope in ``REQUEST_INTERVAL`` (30 days), whoever
  asked (``opt_in_request_too_soon``), so a request cannot become a stream of messages.
"""

from __future__ import annotations

from datetime import timedelta

from consentry.core.channels import Channel, parse_channel
from consentry.core.eligibility import Reason
from consentry.core.errors import HardOptOutLocked, OptInRequestTooSoon
from consentry.core.events import Action, ConsentEvent, Source
from consentry.core.permissions import Capability, Principal, authorise
from consentry.ledger.confirmations import request_double_opt_in
from consentry.ledger.context import Context
from consentry.ledger.eligibility import check
from consentry.ledger.steps import Evidence, load_contact

REQUEST_INTERVAL = timedelta(days=30)


def send_opt_in_request(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: str | Channel,
    scope_id: str,
    *,
    evidence: Evidence = None,
    source: Source = Source.ADMIN_UI,
) -> ConsentEvent:
    """Record a confirmation request and send the opt-in confirmation message, if allowed."""
    authorise(principal, Capability.REQUEST_CONFIRMATION, scope_id)
    chan = ctx.policy.require_enabled(parse_channel(str(channel)))
    decision = check(ctx, principal, contact_id, chan, scope_id)
    if decision.reason is Reason.HARD_OPT_OUT:
        raise HardOptOutLocked(
            "the contact opted out themselves: only they can opt back in (a link or START)",
            event_id=decision.event_id,
        )
    _not_too_soon(ctx, principal, contact_id, chan, scope_id)
    return request_double_opt_in(
        ctx, principal, contact_id, chan, scope_id, evidence=evidence, source=source
    )


def _not_too_soon(
    ctx: Context, principal: Principal, contact_id: str, channel: Channel, scope_id: str
) -> None:
    since = ctx.clock.now() - REQUEST_INTERVAL
    with ctx.store.transaction(write=False) as tx:
        load_contact(tx, principal, contact_id)
        events = tx.events(contact_id, channel)
    for event in reversed(events):
        if event.recorded_at <= since:
            break
        if event.action is Action.CONFIRMATION_REQUESTED and event.scope_id == scope_id:
            raise OptInRequestTooSoon(
                "an opt-in request went to this contact on this channel less than "
                f"{REQUEST_INTERVAL.days} days ago",
                event_id=event.id,
                next_at=(event.recorded_at + REQUEST_INTERVAL).isoformat(),
            )
