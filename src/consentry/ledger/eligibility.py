"""Answers for senders: may we send this now, and who of a segment may we send to (SPEC §2, §5).

A check is one read on the store's eligibility path; an audience is one set-based query
streamed in id order, its exclusions counted by reason. Both are values, never refusals:
``Decision(allowed=False, reason=…)`` is a normal answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from consentry.core import limits
from consentry.core.audience import AudienceQuery, AudienceRow, Segment, check_segment
from consentry.core.channels import AddressKind, Channel, parse_channel
from consentry.core.eligibility import (
    Category,
    Decision,
    Reason,
    Situation,
    decide,
    parse_category,
)
from consentry.core.errors import BatchTooLarge, ContactNotFound
from consentry.core.permissions import Capability, Principal, authorise
from consentry.core.scopes import path_to_root
from consentry.ledger.context import Context
from consentry.ledger.policies import policy_of
from consentry.ledger.ports import Reader, Tx
from consentry.ledger.steps import load_scope

ELIGIBLE = (Reason.OPTED_IN, Reason.TRANSACTIONAL, Reason.OPT_IN_CONFIRMATION)
MAX_SCOPES = 120  #: scopes one batch read covers (a group, 10 clients and their 100 users)


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """One item of a batch eligibility check."""

    contact_id: str
    channel: str
    scope_id: str
    category: str = Category.MARKETING.value


@dataclass(slots=True)
class Audience:
    """An audience being resolved: iterate ``eligible``; ``excluded`` is complete afterwards."""

    rows: Iterator[AudienceRow]
    excluded: Counter[Reason] = field(default_factory=Counter)
    unknown: int = 0
    eligible_count: int = 0

    def __iter__(self) -> Iterator[AudienceRow]:
        for row in self.all_rows():
            if row.reason in ELIGIBLE:
                yield row

    def all_rows(self) -> Iterator[AudienceRow]:
        """Every contact with its reason, eligible or not (a campaign add check)."""
        for row in self.rows:
            if row.reason in ELIGIBLE:
                self.eligible_count += 1
            else:
                self.excluded[row.reason] += 1
            yield row


def check(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: str | Channel,
    scope_id: str,
    *,
    category: str | Category = Category.MARKETING,
) -> Decision:
    """May we send this now? Allowed, or refused with a reason (one read)."""
    request = CheckRequest(contact_id, str(channel), scope_id, str(category))
    return check_many(ctx, principal, [request])[0]


def check_many(
    ctx: Context, principal: Principal, requests: Sequence[CheckRequest]
) -> list[Decision]:
    """Eligibility for many (contact, channel, scope, category), read set-based.

    The requests are grouped by channel and scope: each scope is loaded and authorised once
    and its path computed once, and each group's situations come in a few statements (one per
    ``ID_CHUNK`` contacts), not one per check. The answers are in the order asked; an unknown
    contact is ``contact_not_found`` (the first one asked about).
    """
    authorise(principal, Capability.CHECK)
    for req in requests:
        limits.text(req.contact_id, field="contact", max_length=limits.ID)
    now = ctx.clock.now()
    with ctx.store.reader() as tx:
        paths: dict[str, tuple[str, ...]] = {}
        asked: list[tuple[Channel, tuple[str, ...], Category]] = []
        for req in requests:
            if req.scope_id not in paths:
                scope = load_scope(ctx, tx, principal, req.scope_id)
                authorise(principal, Capability.CHECK, scope.id)
                paths[req.scope_id] = path_to_root(scope.id)
            channel = ctx.policy.require_enabled(parse_channel(req.channel))
            asked.append((channel, paths[req.scope_id], parse_category(req.category)))
        found = _situations(tx, principal.group_id, requests, asked)
        transactional = any(category is Category.TRANSACTIONAL for _, _, category in asked)
        policy = policy_of(ctx, tx, principal.group_id) if transactional else ctx.policy
    decisions: list[Decision] = []
    for req, (channel, path, category) in zip(requests, asked, strict=True):
        situation = found[channel, path].get(req.contact_id)
        if situation is None:
            raise ContactNotFound(f"no contact {req.contact_id!r}", contact_id=req.contact_id)
        decisions.append(decide(situation, path, category, now, policy))
    return decisions


def _situations(
    tx: Reader,
    group_id: str,
    requests: Sequence[CheckRequest],
    asked: Sequence[tuple[Channel, tuple[str, ...], Category]],
) -> dict[tuple[Channel, tuple[str, ...]], dict[str, Situation]]:
    """The situations of every (channel, path) asked about, by contact.

    One read per channel covers every path asked about on it: its consents rows at any scope
    of those paths (``decide`` looks only at the scopes of its own path). Only when the paths
    span more than ``MAX_SCOPES`` scopes is each path read on its own.
    """
    by_channel: dict[Channel, dict[tuple[str, ...], list[str]]] = {}
    for req, (channel, path, _) in zip(requests, asked, strict=True):
        by_channel.setdefault(channel, {}).setdefault(path, []).append(req.contact_id)
    found: dict[tuple[Channel, tuple[str, ...]], dict[str, Situation]] = {}
    for channel, paths in by_channel.items():
        scopes = tuple(dict.fromkeys(s for path in paths for s in path))
        if len(scopes) <= MAX_SCOPES:
            every = [cid for ids in paths.values() for cid in ids]
            read = tx.situations(group_id, every, channel, scopes)
            found.update(((channel, path), read) for path in paths)
        else:
            for path, ids in paths.items():
                found[channel, path] = tx.situations(group_id, ids, channel, path)
    return found


def resolve_audience(
    ctx: Context,
    principal: Principal,
    segment: Segment,
    channel: str | Channel,
    scope_id: str,
    *,
    category: str | Category = Category.MARKETING,
) -> Audience:
    """The segment's eligible contacts, streamed, with exclusions counted by reason."""
    authorise(principal, Capability.CHECK)
    check_segment(segment)
    limits.texts(segment.contact_ids or (), field="contact_ids", max_items=limits.MAX_UPLOAD,
                 max_length=limits.ID, error=BatchTooLarge)  # fmt: skip
    chan = ctx.policy.require_enabled(parse_channel(str(channel)))
    cat = parse_category(str(category))
    with ctx.reads.transaction(write=False) as tx:
        scope = load_scope(ctx, tx, principal, scope_id)
        authorise(principal, Capability.CHECK, scope.id)
        segment, unknown = _resolve_addresses(ctx, tx, principal.group_id, segment)
        transactional = cat is Category.TRANSACTIONAL
        policy = policy_of(ctx, tx, principal.group_id) if transactional else ctx.policy
    query = AudienceQuery(
        group_id=principal.group_id,
        channel=chan,
        path=path_to_root(scope.id),
        now=ctx.clock.now(),
        transactional_bypass=transactional and chan in policy.transactional_bypass,
        confirmation_only=cat is Category.OPT_IN_CONFIRMATION,
        segment=segment,
    )
    return Audience(ctx.reads.audience(query), unknown=unknown)


def _resolve_addresses(
    ctx: Context, tx: Tx, group_id: str, segment: Segment
) -> tuple[Segment, int]:
    """The segment with its addresses turned into contact ids, and how many were unknown."""
    if segment.emails is None and segment.mobiles is None:
        return segment, 0
    ids: set[str] = set(segment.contact_ids or [])
    unknown = 0
    pairs = [(AddressKind.EMAIL, ctx.addresses.email, segment.emails or [])]
    pairs.append((AddressKind.MOBILE, ctx.addresses.mobile, segment.mobiles or []))
    for kind, normalise, values in pairs:
        digests = {ctx.addresses.digest(kind, normalise(v)) for v in values}
        found = tx.find_contact_ids(group_id, kind, sorted(digests))
        unknown += len(digests) - len(found)
        ids.update(found.values())
    return replace(segment, contact_ids=sorted(ids), emails=None, mobiles=None), unknown
