"""What the contact does through a signed link: one-click unsubscribe, the preference page,
opting back in, confirming (SPEC §4; seeds 003, 004; RFC 2369, RFC 8058).

=====================================  ==============================================
the contact                            recorded
=====================================  ==============================================
one-click POST (RFC 8058)              hard opt-out of the link's channels at its scope
unsubscribe on the page, at a level    hard opt-out at the chosen scope (user, client, group)
opt back in, after none / soft         opted in at once (evidence: IP + user agent)
opt back in, after a hard opt-out      confirmation requested → opt-in confirmation message
                                       with a signed link → confirmed by POST on its page
=====================================  ==============================================

Reading a link (``open_page``) never writes: mail scanners prefetch every link.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from consentry.core.channels import Channel
from consentry.core.contacts import Contact
from consentry.core.eligibility import effective_status
from consentry.core.errors import Invalid, LinkInvalid
from consentry.core.events import ConsentEvent, Source
from consentry.core.links import LinkClaims, LinkPurpose
from consentry.core.permissions import Capability, Principal, Role, authorise
from consentry.core.scopes import ScopeKind, group_of, is_within, path_to_root
from consentry.core.status import Status
from consentry.ledger.confirmations import send_confirmation
from consentry.ledger.consent import confirm, opt_in, opt_out, request_confirmation
from consentry.ledger.context import Context
from consentry.ledger.ports import Signer, Tx
from consentry.ledger.steps import load_contact, load_scope

UNSUBSCRIBE_LINK_TTL = timedelta(days=365)
ONE_CLICK_VALUE = "List-Unsubscribe=One-Click"

Evidence = Mapping[str, Any] | None


class Result(StrEnum):
    """What a contact's action on a hosted page did."""

    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    CONFIRMATION_SENT = "confirmation_sent"
    CONFIRMED = "confirmed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class Level:
    """A level the contact may choose: a scope of their group, with its name."""

    scope_id: str
    kind: ScopeKind
    name: str


@dataclass(frozen=True, slots=True)
class ChannelState:
    """One channel on the page: the status at each level and the one that counts."""

    channel: Channel
    statuses: Mapping[str, Status]
    effective: Status
    awaiting_confirmation: bool


@dataclass(frozen=True, slots=True)
class PreferencePage:
    """Everything a hosted page shows for one signed link (read only)."""

    claims: LinkClaims
    locale: str | None
    levels: tuple[Level, ...]
    channels: tuple[ChannelState, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a POST on a hosted page did, and the page as it stands afterwards."""

    result: Result
    level: Level
    channels: tuple[Channel, ...]
    page: PreferencePage


def unsubscribe_headers(
    ctx: Context, principal: Principal, contact_id: str, scope_id: str, *, mailto: str | None = None
) -> dict[str, str]:
    """``List-Unsubscribe`` (+ optional mailto) and ``List-Unsubscribe-Post`` values."""
    authorise(principal, Capability.CHECK)
    with ctx.store.transaction(write=False) as tx:
        contact = load_contact(tx, principal, contact_id)
        scope = load_scope(ctx, tx, principal, scope_id)
        authorise(principal, Capability.CHECK, scope.id)
    claims = LinkClaims(
        LinkPurpose.UNSUBSCRIBE,
        contact.id,
        scope.id,
        (Channel.EMAIL,),
        ctx.clock.now() + UNSUBSCRIBE_LINK_TTL,
    )
    value = f"<{_link_signer(ctx).url(claims)}>"
    if mailto:
        value += f", <mailto:{mailto}?subject=unsubscribe>"
    return {"List-Unsubscribe": value, "List-Unsubscribe-Post": ONE_CLICK_VALUE}


def open_page(
    ctx: Context,
    token: str,
    *,
    purposes: Iterable[LinkPurpose] = (LinkPurpose.UNSUBSCRIBE, LinkPurpose.PREFERENCES),
) -> PreferencePage:
    """The page behind a signed link. Never writes anything."""
    claims = _link_claims(ctx, token, purposes)
    with ctx.store.transaction(write=False) as tx:
        contact = _link_contact(tx, claims)
        return _link_page(ctx, tx, claims, contact)


def one_click_unsubscribe(ctx: Context, token: str, *, evidence: Evidence) -> list[ConsentEvent]:
    """RFC 8058: hard opt-out of the link's channels at its scope, at once (idempotent)."""
    claims = _link_claims(ctx, token, (LinkPurpose.UNSUBSCRIBE,), contact=True)
    return _link_opt_out(ctx, claims, claims.scope_id, claims.channels, Source.ONE_CLICK, evidence)


def unsubscribe(
    ctx: Context, token: str, scope_id: str, *, channels: Sequence[str], evidence: Evidence
) -> Outcome:
    """Unsubscribe at the level the contact chose on the page."""
    claims = _link_claims(ctx, token, (LinkPurpose.UNSUBSCRIBE, LinkPurpose.PREFERENCES))
    page = open_page(ctx, token)
    level, chosen = _choice(page, scope_id, channels)
    source = (
        Source.UNSUBSCRIBE_LINK
        if claims.purpose is LinkPurpose.UNSUBSCRIBE
        else Source.PREFERENCE_CENTRE
    )
    events = _link_opt_out(ctx, claims, level.scope_id, chosen, source, evidence)
    result = Result.OPTED_OUT if events else Result.UNCHANGED
    return Outcome(result, level, chosen, open_page(ctx, token))


def opt_back_in(
    ctx: Context, token: str, scope_id: str, *, channels: Sequence[str], evidence: Evidence
) -> Outcome:
    """Opt in at a level: at once, or after a hard opt-out through a confirmation message."""
    claims = _link_claims(ctx, token, (LinkPurpose.UNSUBSCRIBE, LinkPurpose.PREFERENCES))
    level, chosen = _choice(open_page(ctx, token), scope_id, channels)
    principal = _as_contact(claims)
    results = [
        _link_opt_in(ctx, principal, claims.contact_id, channel, level.scope_id, evidence)
        for channel in chosen
    ]
    result = next(
        (r for r in (Result.CONFIRMATION_SENT, Result.OPTED_IN) if r in results),
        Result.UNCHANGED,
    )
    return Outcome(result, level, chosen, open_page(ctx, token))


def open_confirmation(ctx: Context, token: str) -> PreferencePage:
    """The confirmation page behind a confirmation link. Never writes anything."""
    return open_page(ctx, token, purposes=(LinkPurpose.CONFIRM,))


def confirm_link(ctx: Context, token: str, *, evidence: Evidence) -> Outcome:
    """The contact confirms by POST on the confirmation page: opted in (seeds/003)."""
    claims = _link_claims(ctx, token, (LinkPurpose.CONFIRM,))
    page = open_confirmation(ctx, token)
    principal = _as_contact(claims)
    result = Result.UNCHANGED
    for state in page.channels:
        if state.statuses.get(claims.scope_id) is Status.OPTED_IN:
            continue
        confirm(
            ctx,
            principal,
            claims.contact_id,
            state.channel,
            claims.scope_id,
            evidence=evidence,
            source=Source.CONFIRMATION_LINK,
        )
        result = Result.CONFIRMED
    level = next(lv for lv in page.levels if lv.scope_id == claims.scope_id)
    return Outcome(result, level, claims.channels, open_confirmation(ctx, token))


def _link_signer(ctx: Context) -> Signer:
    if ctx.signer is None:
        raise Invalid("this ledger has no link signer (build it with bootstrap.build)")
    return ctx.signer


def _link_claims(
    ctx: Context, token: str, purposes: Iterable[LinkPurpose], *, contact: bool = False
) -> LinkClaims:
    """The claims of a genuine link for this page; with ``contact``, also checked against the
    store as ``open_page`` checks them (``_link_contact``), for a POST that reads no page first."""
    claims = _link_signer(
        ctx,
    ).verify(token, ctx.clock.now())
    if claims.purpose not in tuple(purposes):
        raise LinkInvalid("this link is not meant for this page")
    if contact:
        with ctx.store.transaction(write=False) as tx:
            _link_contact(tx, claims)
    return claims


def _link_contact(tx: Tx, claims: LinkClaims) -> Contact:
    """The link's contact, in the group of the link's scope. A contact and scope of different
    groups is a forged or broken link: ``link_invalid`` on every page, GET or POST (issue 8)."""
    contact = tx.get_contact(group_of(claims.scope_id), claims.contact_id)
    if contact is None:
        raise LinkInvalid("the link's contact no longer exists in the link's group")
    return contact


def _link_page(ctx: Context, tx: Tx, claims: LinkClaims, contact: Contact) -> PreferencePage:
    now = ctx.clock.now()
    levels = _link_levels(tx, claims, contact.id)
    ids = [lv.scope_id for lv in levels]
    path = path_to_root(claims.scope_id)
    states = []
    for channel in claims.channels:
        consents = tx.consents(contact.id, channel, ids)
        effective, _ = effective_status(consents, path, now)
        states.append(
            ChannelState(
                channel,
                {sid: c.current(now) for sid, c in consents.items()},
                effective,
                any(c.awaiting_confirmation(now) for c in consents.values()),
            )
        )
    return PreferencePage(claims, contact.locale, levels, tuple(states))


def _link_levels(tx: Tx, claims: LinkClaims, contact_id: str) -> tuple[Level, ...]:
    """The link's scope and those above it, plus any scope below it the contact has facts at."""
    wanted = list(path_to_root(claims.scope_id))
    for _, scope_id, _ in tx.consent_rows(contact_id):
        if scope_id not in wanted and is_within(scope_id, claims.scope_id):
            wanted.insert(0, scope_id)
    levels = []
    for scope_id in sorted(wanted, key=lambda s: (-s.count("/"), s)):
        scope = tx.get_scope(scope_id)
        if scope is not None:
            levels.append(Level(scope.id, scope.kind, scope.name))
    return tuple(levels)


def _link_opt_out(
    ctx: Context,
    claims: LinkClaims,
    scope_id: str,
    channels: Sequence[Channel],
    source: Source,
    evidence: Evidence,
) -> list[ConsentEvent]:
    principal = _as_contact(claims)
    events = []
    for channel in channels:
        if _link_status(ctx, claims.contact_id, channel, scope_id) is Status.HARD_OPT_OUT:
            continue  # already out: a repeated one-click POST records nothing new
        event = opt_out(
            ctx, principal, claims.contact_id, channel, scope_id, source=source, evidence=evidence
        )
        events.append(event)
    return events


def _link_opt_in(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: Channel,
    scope_id: str,
    evidence: Evidence,
) -> Result:
    status = _link_status(ctx, contact_id, channel, scope_id)
    if status is Status.OPTED_IN:
        return Result.UNCHANGED
    if status is Status.HARD_OPT_OUT:
        request_confirmation(
            ctx, principal, contact_id, channel, scope_id,
            evidence=evidence, source=Source.PREFERENCE_CENTRE,
        )  # fmt: skip
        send_confirmation(ctx, contact_id, group_of(scope_id), channel, scope_id)
        return Result.CONFIRMATION_SENT
    opt_in(
        ctx, principal, contact_id, channel, scope_id,
        evidence=evidence, source=Source.PREFERENCE_CENTRE,
    )  # fmt: skip
    return Result.OPTED_IN


def _link_status(ctx: Context, contact_id: str, channel: Channel, scope_id: str) -> Status:
    with ctx.store.transaction(write=False) as tx:
        consent = tx.consents(contact_id, channel, [scope_id]).get(scope_id)
    return consent.current(ctx.clock.now()) if consent else Status.NONE


def _as_contact(claims: LinkClaims) -> Principal:
    """The contact, acting for themselves through the link (and only for themselves)."""
    group = group_of(claims.scope_id)
    return Principal(Role.CONTACT, group, claims.contact_id, contact_id=claims.contact_id)


def _choice(
    page: PreferencePage, scope_id: str, channels: Sequence[str]
) -> tuple[Level, tuple[Channel, ...]]:
    """The level and channels chosen on the page, refused unless the page offered them."""
    level = next((lv for lv in page.levels if lv.scope_id == scope_id), None)
    if level is None:
        raise Invalid("choose one of the levels offered", field="level")
    offered = {state.channel.value: state.channel for state in page.channels}
    chosen = tuple(offered[c] for c in dict.fromkeys(channels) if c in offered)
    if not chosen or len(chosen) != len(set(channels)):
        raise Invalid("choose at least one of the channels offered", field="channels")
    return level, chosen
