"""Send reports: judge each reported send against the ledger as it stood when it was sent, and
record a violation when it was not eligible (SPEC §5; decision 079).

``report_sends`` takes a batch (at most ``MAX_BATCH``) in one write transaction:

    each item checked: message id, scope (loaded and authorised once), channel enabled,
      category, ``sent_at`` no later than now + ``CLOCK_SKEW``, one way to name the contact
    contacts: ids and address digests resolved set-based (the keyed hash, like find_contact)
    repeats: the group's sends already recorded under these message ids, in one read
    the ledger: the events of these contacts on these channels recorded by the latest
      ``sent_at``, in one read per chunk; ``core.sends.judge`` folds them at each ``sent_at``
    each new send recorded; a violation with its reason and deciding event, and its webhook
      notice (``violation.recorded``), in the same transaction

An item that cannot be judged is answered ``refused`` with its error's code and nothing of it
is written; the batch's writes land together or not at all. ``violations`` and
``compliance_report`` are for staff and viewers (``read_compliance``), within their scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from consentry.core import limits
from consentry.core.channels import AddressKind, Channel, ChannelPolicy, parse_channel
from consentry.core.eligibility import Category, Decision, parse_category
from consentry.core.errors import (
    BatchTooLarge,
    ConsentryError,
    ContactNotFound,
    Invalid,
    InvalidTime,
    NotFound,
    Refused,
    SendConflict,
)
from consentry.core.events import ConsentEvent
from consentry.core.ids import new_id
from consentry.core.permissions import Capability, Principal, authorise
from consentry.core.scopes import path_to_root
from consentry.core.sends import (
    CLOCK_SKEW,
    MAX_BATCH,
    DecidingEvent,
    Send,
    SendOutcome,
    SendReport,
    SendStatus,
    Violation,
    judge,
    notice,
)
from consentry.ledger.context import Context
from consentry.ledger.policies import policy_of
from consentry.ledger.ports import Tx
from consentry.ledger.steps import load_scope

#: the refusals an item is answered with (anything else, e.g. the store failing, fails all)
ITEM_REFUSALS = (Invalid, NotFound, Refused)


@dataclass(frozen=True, slots=True)
class _Item:
    """One checked item: where it was sent from, on what, and how the contact is named."""

    report: SendReport
    channel: Channel
    path: tuple[str, ...]
    category: Category
    key: tuple[AddressKind, str] | None  #: an address's digest, when named by address


def report_sends(
    ctx: Context, principal: Principal, reports: Sequence[SendReport]
) -> list[SendOutcome]:
    """Judge and record each reported send (``eligible`` or ``violation``), or refuse it with
    a code; one answer per item, in the order reported."""
    authorise(principal, Capability.REPORT_SENDS)
    limits.items(reports, field="sends", max_items=MAX_BATCH, error=BatchTooLarge)
    now = ctx.clock.now()
    answers: list[SendOutcome | _Item] = []
    with ctx.store.transaction() as tx:
        for report in reports:
            answers.append(_checked(ctx, tx, principal, report, now))
        items = [a for a in answers if isinstance(a, _Item)]
        contacts = _contacts(tx, principal.group_id, items)
        outcomes = _judged(ctx, tx, principal, items, contacts, now)
        tx.commit()
    return [a if isinstance(a, SendOutcome) else outcomes[id(a)] for a in answers]


def _checked(
    ctx: Context, tx: Tx, principal: Principal, report: SendReport, now: datetime
) -> SendOutcome | _Item:
    """The item checked, or its refusal."""
    try:
        limits.text(report.message_id, field="message_id", max_length=limits.MESSAGE_ID)
        if not report.message_id:
            raise Invalid("a send names its message_id", field="message_id")
        return _item(ctx, tx, principal, report, now)
    except ITEM_REFUSALS as refusal:
        return _refused(report.message_id, refusal)


def _item(ctx: Context, tx: Tx, principal: Principal, report: SendReport, now: datetime) -> _Item:
    scope = load_scope(ctx, tx, principal, report.scope_id)
    authorise(principal, Capability.REPORT_SENDS, scope.id)
    limits.text(report.channel, field="channel", max_length=limits.WORD)
    channel = ctx.policy.require_enabled(parse_channel(report.channel))
    category = parse_category(
        limits.text(report.category, field="category", max_length=limits.WORD)
    )
    sent_at = limits.instant(report.sent_at, field="sent_at")
    if sent_at > now + CLOCK_SKEW:
        raise InvalidTime(f"sent_at {sent_at.isoformat()} is in the future", field="sent_at")
    return _Item(report, channel, path_to_root(scope.id), category, _key(ctx, report))


def _key(ctx: Context, report: SendReport) -> tuple[AddressKind, str] | None:
    """The address digest naming the contact (None: named by id); exactly one way to name it."""
    named = [v for v in (report.contact_id, report.email, report.mobile) if v is not None]
    if len(named) != 1:
        raise Invalid("name the contact one way: contact_id, email or mobile", field="contact")
    if report.contact_id is not None:
        limits.text(report.contact_id, field="contact_id", max_length=limits.ID)
        return None
    if report.email is not None:
        email = limits.text(report.email, field="email", max_length=limits.EMAIL)
        return AddressKind.EMAIL, ctx.addresses.digest(
            AddressKind.EMAIL, ctx.addresses.email(email)
        )
    mobile = limits.text(str(report.mobile), field="mobile", max_length=limits.MOBILE)
    return AddressKind.MOBILE, ctx.addresses.digest(
        AddressKind.MOBILE, ctx.addresses.mobile(mobile)
    )


def _contacts(tx: Tx, group_id: str, items: Sequence[_Item]) -> dict[int, str]:
    """The contact id of each item whose contact the group has, by ``id(item)`` (set-based)."""
    by_kind: dict[AddressKind, set[str]] = {}
    for item in items:
        if item.key is not None:
            by_kind.setdefault(item.key[0], set()).add(item.key[1])
    found = {
        (kind, digest): cid
        for kind, digests in by_kind.items()
        for digest, cid in tx.find_contact_ids(group_id, kind, sorted(digests)).items()
    }
    ids = {str(i.report.contact_id) for i in items if i.key is None}
    known = tx.sends().known_contacts(group_id, sorted(ids))
    named: dict[int, str] = {}
    for item in items:
        cid = found.get(item.key) if item.key is not None else item.report.contact_id
        if cid is not None and (item.key is not None or cid in known):
            named[id(item)] = cid
    return named


def _judged(
    ctx: Context,
    tx: Tx,
    principal: Principal,
    items: Sequence[_Item],
    contacts: dict[int, str],
    now: datetime,
) -> dict[int, SendOutcome]:
    """Each item's answer: a repeat's first answer, a new send judged and recorded."""
    sends = tx.sends()
    stored = sends.sends_by_message(
        principal.group_id, sorted({i.report.message_id for i in items})
    )
    new = [i for i in items if id(i) in contacts and i.report.message_id not in stored]
    events = _events(tx, new, contacts)
    transactional = any(i.category is Category.TRANSACTIONAL for i in new)
    policy = policy_of(ctx, tx, principal.group_id) if transactional else ctx.policy
    outcomes: dict[int, SendOutcome] = {}
    for item in items:
        cid = contacts.get(id(item))
        if cid is None:
            missing = ContactNotFound(
                "no such contact in the group", contact_id=item.report.contact_id
            )
            outcomes[id(item)] = _refused(item.report.message_id, missing)
            continue
        send = stored.get(item.report.message_id)
        if send is None:
            send = _record(tx, principal, item, cid, events, policy, now)
            stored[send.message_id] = send
        outcomes[id(item)] = _answer(send, item, cid)
    return outcomes


def _events(
    tx: Tx, items: Sequence[_Item], contacts: dict[int, str]
) -> dict[tuple[str, Channel], list[ConsentEvent]]:
    """The events of the items' contacts on their channels recorded by the latest send."""
    if not items:
        return {}
    until = max(i.report.sent_at for i in items)
    ids = sorted({contacts[id(i)] for i in items})
    channels = sorted({i.channel for i in items})
    return tx.sends().events_until(ids, channels, until)


def _record(
    tx: Tx,
    principal: Principal,
    item: _Item,
    contact_id: str,
    events: dict[tuple[str, Channel], list[ConsentEvent]],
    policy: ChannelPolicy,
    now: datetime,
) -> Send:
    """Judge a new send at its ``sent_at``, record it, and its violation when it was one."""
    mine = events.get((contact_id, item.channel), [])
    decision = judge(mine, item.channel, item.path, item.category, item.report.sent_at, policy)
    send = Send(
        id=new_id("sd", now), group_id=principal.group_id, message_id=item.report.message_id,
        contact_id=contact_id, channel=item.channel, scope_id=item.path[0],
        category=item.category, sent_at=item.report.sent_at, reported_at=now,
        reported_by=principal.id, reason=decision.reason, event_id=decision.event_id,
        violation_id=None if decision.allowed else new_id("vi", now),
    )  # fmt: skip
    # another report of it may have committed meanwhile: then that one stands, and nothing more
    stands = tx.sends().add_send(send)
    if stands.id == send.id and send.violation_id is not None:
        violation = _violation(send, decision, mine)
        tx.sends().add_violation(violation)
        tx.webhooks().notify(notice(violation))
    return stands


def _violation(send: Send, decision: Decision, events: list[ConsentEvent]) -> Violation:
    deciding = next((e for e in events if e.id == decision.event_id), None)
    event = None if deciding is None else DecidingEvent(
        deciding.id, deciding.action, deciding.strength, deciding.scope_id, deciding.recorded_at
    )  # fmt: skip
    return Violation(
        id=str(send.violation_id), group_id=send.group_id, contact_id=send.contact_id,
        message_id=send.message_id, channel=send.channel, scope_id=send.scope_id,
        category=send.category, sent_at=send.sent_at, reason=send.reason, event=event,
        recorded_at=send.reported_at,
    )  # fmt: skip


def _answer(send: Send, item: _Item, contact_id: str) -> SendOutcome:
    """The send's answer, unless the report names another send under its message id."""
    if send.same_send(contact_id, item.channel, item.path[0], item.category, item.report.sent_at):
        return SendOutcome.of(send)
    conflict = SendConflict(
        f"message id {send.message_id!r} was reported as another send", message_id=send.message_id
    )
    return _refused(send.message_id, conflict)


def _refused(message_id: str, refusal: ConsentryError) -> SendOutcome:
    return SendOutcome(
        message_id=message_id if isinstance(message_id, str) else "", status=SendStatus.REFUSED,
        code=refusal.code, message=refusal.message,
    )  # fmt: skip
