"""Journeys: report a triggered message, see the missed ones, ask for a re-send (decision 078).

    report_journey_message   a sender's journey message, judged as the ledger stood at
                             ``triggered_at`` (the events recorded until then); kept as sent or
                             missed (reason, deciding event); the same message id again for the
                             contact changes nothing and answers as the first time did
    missed_messages          missed messages at and below a scope (or of one contact), newest
                             first, in keyset pages
    request_resend           once per missed message, while the contact is eligible now
    scheduled journeys       admins define them (``manage_journeys``); ``run_scheduled_journeys``
                             records each due contact's message once per (journey, UTC day)

A missed message raises the webhook event ``journey.missed``, a re-send request
``journey.resend_requested``, a scheduled journey's eligible message ``journey.triggered``, each
written in the transaction that records it. An opt-in never re-triggers a missed message.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime

from consentry.core import limits
from consentry.core.channels import Channel, ChannelPolicy, parse_channel
from consentry.core.contacts import Contact, ContactFilter
from consentry.core.eligibility import Category, Decision, decide, parse_category
from consentry.core.errors import (
    Invalid,
    InvalidTime,
    JourneyMessageNotFound,
    NotEligibleForResend,
    NotMissed,
    ResendAlreadyRequested,
    ScheduledJourneyNotFound,
)
from consentry.core.ids import new_id
from consentry.core.journeys import (
    PAGE,
    JourneyMessage,
    MissedFilter,
    MissedPage,
    Outcome,
    Resend,
    RunReport,
    ScheduledJourney,
    due_on,
    journey_name,
    notice_data,
    outcome_of,
    page_size,
    run_message_id,
    situation_at,
)
from consentry.core.permissions import Capability, Principal, authorise
from consentry.core.scopes import is_within, path_to_root
from consentry.core.webhooks import EventType, Notice
from consentry.ledger.context import Context
from consentry.ledger.policies import policy_of
from consentry.ledger.ports import Tx
from consentry.ledger.steps import load_contact, load_scope

CONTACTS_PAGE = 1000  #: contacts a scheduled run reads at a time


def report_journey_message(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: str | Channel,
    scope_id: str,
    *,
    journey: str,
    message_id: str,
    triggered_at: datetime | None = None,
    category: str | Category = Category.MARKETING,
) -> JourneyMessage:
    """Judge a triggered journey message as the ledger stood at ``triggered_at`` (default now)
    and keep it: sent, or missed with the decision's reason and deciding event."""
    authorise(principal, Capability.REPORT_JOURNEY)
    name = journey_name(journey)
    sender_id = _message_id(message_id)
    chan, cat = _channel(ctx, channel), parse_category(str(category))
    now = ctx.clock.now()
    at = _triggered_at(triggered_at, now)
    with ctx.store.transaction() as tx:
        contact = load_contact(tx, principal, contact_id)
        scope = load_scope(ctx, tx, principal, scope_id)
        authorise(principal, Capability.REPORT_JOURNEY, scope.id)
        path = path_to_root(scope.id)
        events = tx.events(contact.id, chan, recorded_until=at)
        situation = situation_at(chan, contact.address(chan) is not None, events, path)
        decision = decide(situation, path, cat, at, _policy(ctx, tx, contact.group_id, cat))
        message = JourneyMessage(
            id=new_id("jm", now), group_id=contact.group_id, contact_id=contact.id,
            channel=chan, scope_id=scope.id, journey=name, category=cat,
            message_id=sender_id, triggered_at=at, outcome=outcome_of(decision),
            reason=decision.reason, decided_scope_id=decision.scope_id,
            decided_event_id=decision.event_id, reported_by=principal.id, recorded_at=now,
        )  # fmt: skip
        stored = _keep(tx, message, now)
        tx.commit()
    return stored or message


def get_journey_message(ctx: Context, principal: Principal, message_id: str) -> JourneyMessage:
    """One journey message within the principal's reach."""
    authorise(principal, Capability.VIEW)
    with ctx.store.transaction(write=False) as tx:
        return _load_message(tx, principal, message_id, Capability.VIEW)


def missed_messages(
    ctx: Context,
    principal: Principal,
    *,
    scope_id: str | None = None,
    contact_id: str | None = None,
    journey: str | None = None,
    channel: str | Channel | None = None,
    after: str | None = None,
    limit: int = PAGE,
) -> MissedPage:
    """Missed messages at and below ``scope_id`` (default: the principal's), of one contact
    or journey or channel when asked, newest first; ``after`` continues a page."""
    authorise(principal, Capability.VIEW)
    limits.optional_text(after, field="after", max_length=limits.ID)
    where = MissedFilter(
        scope_id=principal.scope_id,
        journey=None if journey is None else journey_name(journey),
        channel=None if channel is None else _channel(ctx, channel),
        after=after or None,
        limit=page_size(limit),
    )
    with ctx.store.transaction(write=False) as tx:
        if scope_id is not None:
            scope = load_scope(ctx, tx, principal, scope_id)
            authorise(principal, Capability.VIEW, scope.id)
            where = replace(where, scope_id=scope.id)
        if contact_id is not None:
            where = replace(where, contact_id=load_contact(tx, principal, contact_id).id)
        found = tx.journeys().missed(principal.group_id, where)
    shown = tuple(found[: where.limit])
    more = len(found) > where.limit
    return MissedPage(shown, shown[-1].id if more else None)


def request_resend(ctx: Context, principal: Principal, message_id: str) -> JourneyMessage:
    """Ask the sender to send a missed message again: once, while the contact is eligible now."""
    authorise(principal, Capability.RESEND_JOURNEY)
    now = ctx.clock.now()
    with ctx.store.transaction() as tx:
        message = _load_message(tx, principal, message_id, Capability.RESEND_JOURNEY)
        if message.outcome is not Outcome.MISSED:
            raise NotMissed(f"journey message {message.id!r} was sent", id=message.id)
        resend = Resend(requested_by=principal.id, requested_at=now)
        if not tx.journeys().request_resend(message, resend):  # first: two at once, one wins
            raise ResendAlreadyRequested(f"a re-send of {message.id!r} was requested before")
        decision = _decide_now(ctx, tx, message, now)
        if not decision.allowed:  # raised: the request above is rolled back
            raise NotEligibleForResend(
                f"the contact may not be sent it now: {decision.reason.value}",
                reason=decision.reason.value, event_id=decision.event_id,
            )  # fmt: skip
        updated = replace(message, resend=resend)
        _notify(tx, updated, EventType.JOURNEY_RESEND_REQUESTED, now, new_id("jr", now))
        tx.commit()
    return updated


# ── scheduled journeys ──
def create_journey(
    ctx: Context,
    principal: Principal,
    scope_id: str,
    *,
    name: str,
    channel: str | Channel,
    attribute: str,
    category: str | Category = Category.MARKETING,
) -> ScheduledJourney:
    """A birthday-type journey: every UTC day, the contacts whose ``attribute`` date is today."""
    authorise(principal, Capability.MANAGE_JOURNEYS)
    title, field = journey_name(name, field="name"), journey_name(attribute, field="attribute")
    chan, cat = _channel(ctx, channel), parse_category(str(category))
    now = ctx.clock.now()
    with ctx.store.transaction() as tx:
        scope = load_scope(ctx, tx, principal, scope_id)
        authorise(principal, Capability.MANAGE_JOURNEYS, scope.id)
        journey = ScheduledJourney(
            id=new_id("sj", now), group_id=principal.group_id, scope_id=scope.id, name=title,
            channel=chan, category=cat, attribute=field, created_by=principal.id,
            created_at=now,
        )  # fmt: skip
        tx.journeys().add_journey(journey)
        tx.commit()
    return journey


def list_journeys(ctx: Context, principal: Principal) -> list[ScheduledJourney]:
    """The scheduled journeys at and below the principal's scope."""
    authorise(principal, Capability.MANAGE_JOURNEYS)
    with ctx.store.transaction(write=False) as tx:
        found = tx.journeys().list_journeys(principal.group_id)
    return [j for j in found if is_within(j.scope_id, principal.scope_id)]


def get_journey(ctx: Context, principal: Principal, journey_id: str) -> ScheduledJourney:
    """One scheduled journey within the principal's scope."""
    with ctx.store.transaction(write=False) as tx:
        return _load_journey(tx, principal, journey_id)


def delete_journey(ctx: Context, principal: Principal, journey_id: str) -> ScheduledJourney:
    """Stop a scheduled journey; the messages it recorded stay."""
    with ctx.store.transaction() as tx:
        journey = _load_journey(tx, principal, journey_id)
        tx.journeys().delete_journey(journey.id)
        tx.commit()
    return journey


def run_scheduled_journeys(ctx: Context) -> RunReport:
    """Run each scheduled journey not yet run today (UTC), once even with several workers."""
    now = ctx.clock.now()
    day = now.astimezone(UTC).date()
    with ctx.store.transaction(write=False) as tx:
        due = tx.journeys().due_journeys(day)
    report = RunReport()
    for journey in due:
        done = _run(ctx, journey, day, now)
        report = RunReport(
            journeys=report.journeys + (done is not None),
            triggered=report.triggered + (done.triggered if done else 0),
            missed=report.missed + (done.missed if done else 0),
        )
    return report


def _run(ctx: Context, journey: ScheduledJourney, day: date, now: datetime) -> RunReport | None:
    """One journey's run of ``day`` in one transaction (None: another worker took it)."""
    triggered = missed = 0
    path = path_to_root(journey.scope_id)
    with ctx.store.transaction() as tx:
        if not tx.journeys().claim_run(journey.id, day, now):
            return None
        policy = _policy(ctx, tx, journey.group_id, journey.category)
        for contact in _contacts(tx, journey.group_id):
            if contact.erased_at is not None or not due_on(
                contact.attributes.get(journey.attribute), day
            ):
                continue
            situation = tx.situation(journey.group_id, contact.id, journey.channel, path)
            assert situation is not None  # the contact was just read in this transaction
            decision = decide(situation, path, journey.category, now, policy)
            message = _scheduled(journey, contact, decision, day, now)
            _keep(tx, message, now)  # new: the run's message id is ``<journey>:<day>``
            triggered += message.outcome is Outcome.SENT
            missed += message.outcome is Outcome.MISSED
        report = RunReport(journeys=1, triggered=triggered, missed=missed)
        tx.journeys().finish_run(journey.id, day, report, ctx.clock.now())
        tx.commit()
    return report


def _scheduled(
    journey: ScheduledJourney, contact: Contact, decision: Decision, day: date, now: datetime
) -> JourneyMessage:
    return JourneyMessage(
        id=new_id("jm", now), group_id=journey.group_id, contact_id=contact.id,
        channel=journey.channel, scope_id=journey.scope_id, journey=journey.name,
        category=journey.category, message_id=run_message_id(journey.id, day),
        triggered_at=now, outcome=outcome_of(decision), reason=decision.reason,
        decided_scope_id=decision.scope_id, decided_event_id=decision.event_id,
        reported_by=f"journey:{journey.id}", recorded_at=now, scheduled_journey_id=journey.id,
    )  # fmt: skip


def _contacts(tx: Tx, group_id: str) -> Iterator[Contact]:
    """The group's contacts, a page at a time (the run's one scan of the group)."""
    after: str | None = None
    while True:
        page = tx.contact_page(group_id, ContactFilter(after=after, limit=CONTACTS_PAGE))
        yield from page.contacts
        if page.next_after is None:
            return
        after = page.next_after


# ── steps ──
def _keep(tx: Tx, message: JourneyMessage, now: datetime) -> JourneyMessage | None:
    """Keep a new message and raise its webhook event; the stored one when kept before."""
    stored = tx.journeys().claim_message(message)
    if stored is not None:
        return stored
    if message.outcome is Outcome.MISSED:
        _notify(tx, message, EventType.JOURNEY_MISSED, now, message.id)
    elif message.scheduled_journey_id is not None:
        _notify(tx, message, EventType.JOURNEY_TRIGGERED, now, message.id)
    return None


def _notify(
    tx: Tx, message: JourneyMessage, kind: EventType, now: datetime, notice_id: str
) -> None:
    notice = Notice(
        id=notice_id, kind=kind, group_id=message.group_id, scope_id=message.scope_id, at=now,
        data=notice_data(message),
    )  # fmt: skip
    tx.webhooks().notify(notice)


def _decide_now(ctx: Context, tx: Tx, message: JourneyMessage, now: datetime) -> Decision:
    path = path_to_root(message.scope_id)
    situation = tx.situation(message.group_id, message.contact_id, message.channel, path)
    assert situation is not None  # contacts are never deleted, only erased
    policy = _policy(ctx, tx, message.group_id, message.category)
    return decide(situation, path, message.category, now, policy)


def _policy(ctx: Context, tx: Tx, group_id: str, category: Category) -> ChannelPolicy:
    return policy_of(ctx, tx, group_id) if category is Category.TRANSACTIONAL else ctx.policy


def _load_message(
    tx: Tx, principal: Principal, message_id: str, capability: Capability
) -> JourneyMessage:
    limits.text(message_id, field="journey_message_id", max_length=limits.ID)
    message = tx.journeys().get_message(message_id)
    if message is None or message.group_id != principal.group_id:
        raise JourneyMessageNotFound(f"no journey message {message_id!r}", id=message_id)
    authorise(principal, capability, message.scope_id)
    return message


def _load_journey(tx: Tx, principal: Principal, journey_id: str) -> ScheduledJourney:
    authorise(principal, Capability.MANAGE_JOURNEYS)
    limits.text(journey_id, field="journey_id", max_length=limits.ID)
    journey = tx.journeys().get_journey(journey_id)
    if journey is None or journey.group_id != principal.group_id:
        raise ScheduledJourneyNotFound(f"no scheduled journey {journey_id!r}", id=journey_id)
    authorise(principal, Capability.MANAGE_JOURNEYS, journey.scope_id)
    return journey


def _message_id(value: str) -> str:
    text = limits.text(value.strip(), field="message_id", max_length=limits.MESSAGE_ID)
    if not text:
        raise Invalid("message_id is empty", field="message_id")
    return text


def _channel(ctx: Context, channel: str | Channel) -> Channel:
    limits.text(str(channel), field="channel", max_length=limits.WORD)
    return ctx.policy.require_enabled(parse_channel(str(channel)))


def _triggered_at(value: datetime | None, now: datetime) -> datetime:
    if value is None:
        return now
    at = limits.instant(value, field="triggered_at")
    if at > now:
        raise InvalidTime("triggered_at lies in the future", field="triggered_at")
    return at
