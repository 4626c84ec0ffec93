"""Deliverability feeds: a provider's verified report, claimed once and recorded (decision 074).

One transaction per report: claim (feed, group, event id, keyed hash of the address) → find the
group's contact by the address → record the bounce, the complaint (with its hard opt-out) or
the contact's SMS opt-out through the use cases themselves, joined to this transaction
(``joined.joined_context``: their units of work are savepoints of it) → store the outcome →
commit. A provider's retry finds the claim and gets the first outcome back, recording nothing.

The use cases keep their rules: ``record_bounce`` / ``record_complaint`` (deliverability.py)
and ``opt_out`` relaying the contact's own STOP (source ``sms_keyword``, decision 054). A report
they refuse (an erased contact, a channel switched off) is recorded as ``refused`` with the
refusal's code and acknowledged, so the provider does not retry it forever.
"""

from __future__ import annotations

from dataclasses import replace

from consentry.core.channels import Channel
from consentry.core.errors import Conflict, InvalidEmail, InvalidMobile, NotFound, Refused
from consentry.core.events import ConsentEvent, Source
from consentry.core.feeds import Feed, FeedKind, FeedOutcome, FeedRecord, FeedReport, FeedResult
from consentry.core.permissions import Capability, Principal, Role, authorise
from consentry.ledger import consent, deliverability
from consentry.ledger.context import Context
from consentry.ledger.joined import Later, joined_context
from consentry.ledger.numbers import strip_prefix
from consentry.ledger.ports import Tx

_OUTCOME = {
    FeedKind.BOUNCE: FeedOutcome.BOUNCED,
    FeedKind.COMPLAINT: FeedOutcome.COMPLAINED,
    FeedKind.SMS_STOP: FeedOutcome.OPTED_OUT,
}


def feed_principal(group_id: str, feed: Feed) -> Principal:
    """Who a verified feed acts as: a sender of the group the feed is bound to.

    Only for entrypoints that have already checked the provider's signature.
    """
    return Principal(Role.SENDER, group_id, f"feed:{feed.value}", via_key=True)


def receive_feed_event(ctx: Context, principal: Principal, report: FeedReport) -> FeedResult:
    """Record one provider report once (a retry of the same event id records nothing)."""
    authorise(principal, Capability.REPORT_DELIVERY, report.group_id)
    later = Later()
    with ctx.store.transaction() as tx:
        address, key = _address(ctx, report)
        now = ctx.clock.now()
        record = FeedRecord(
            feed=report.feed, group_id=report.group_id, event_id=report.event_id.strip(),
            address=key, kind=report.kind, outcome=FeedOutcome.RECEIVED,
            occurred_at=report.occurred_at or now, recorded_at=now, detail=report.detail,
        )  # fmt: skip
        stored = tx.claim_feed_event(record)
        if stored is not None:
            return FeedResult(
                stored.outcome, stored.contact_id, stored.event_ids, stored.detail, replayed=True
            )
        result = _act(ctx, tx, principal, report, address, key, later)
        tx.finish_feed_event(
            replace(
                record,
                outcome=result.outcome,
                contact_id=result.contact_id,
                event_ids=result.event_ids,
                detail=result.detail or report.detail,
            )
        )
        tx.commit()
    later.send()  # nothing is queued by these use cases today; kept for what they may send
    return result


def _address(ctx: Context, report: FeedReport) -> tuple[str | None, str]:
    """The address normalised and its keyed hash; (None, "") when it cannot be read."""
    kind = report.address_kind
    try:
        if report.channel is Channel.EMAIL:
            address = ctx.addresses.email(report.address)
        else:
            address = ctx.addresses.mobile(strip_prefix(report.address))
    except (InvalidEmail, InvalidMobile):
        return None, ""
    return address, ctx.addresses.digest(kind, address)


def _act(
    ctx: Context,
    tx: Tx,
    principal: Principal,
    report: FeedReport,
    address: str | None,
    key: str,
    later: Later,
) -> FeedResult:
    if report.kind is FeedKind.IGNORED:
        return FeedResult(FeedOutcome.IGNORED)
    contact_id = tx.find_contact_id(report.group_id, report.address_kind, key) if address else None
    if contact_id is None:
        return FeedResult(FeedOutcome.UNKNOWN)
    joined = joined_context(ctx, tx, later)
    try:
        event = _record(joined, principal, report, contact_id)
    except (NotFound, Conflict, Refused) as exc:  # acknowledged: a retry would change nothing
        return FeedResult(FeedOutcome.REFUSED, contact_id, detail=exc.code)
    return FeedResult(_OUTCOME[report.kind], contact_id, (event.id,))


def _record(
    ctx: Context, principal: Principal, report: FeedReport, contact_id: str
) -> ConsentEvent:
    evidence = {"feed": report.feed.value, "event_id": report.event_id, **report.evidence}
    if report.kind is FeedKind.BOUNCE:
        return deliverability.record_bounce(
            ctx, principal, contact_id, report.channel, evidence=evidence
        )
    if report.kind is FeedKind.COMPLAINT:
        return deliverability.record_complaint(
            ctx, principal, contact_id, report.channel, evidence=evidence
        )
    # Twilio 21610: the contact replied STOP to the carrier; their own act, relayed (054)
    return consent.opt_out(
        ctx, principal, contact_id, report.channel, report.group_id,
        source=Source.SMS_KEYWORD, evidence=evidence, occurred_at=report.occurred_at,
    )  # fmt: skip
