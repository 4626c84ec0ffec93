"""Consent status of a (contact, channel, scope) and how events change it (SPEC §1).

======================  =========================================  ==========================
status                  how it starts                              who can end it
======================  =========================================  ==========================
none                    —                                          anyone with a valid opt-in
pending                 double opt-in requested                    the contact's confirmation
                                                                   (or expiry → none)
opted_in                opt-in with evidence, confirmation, START  anyone who can opt out
soft_opt_out            an admin, the API, an import               an admin with a reason and
                                                                   evidence, or the contact
hard_opt_out            the contact acted (STOP, keypad, link…)    only the contact
======================  =========================================  ==========================

``apply`` is the fold: total, pure, never raises. The rules that refuse commands live in
``transitions``; ``apply`` is written so that even an event the rules would refuse cannot turn
a hard opt-out into an opt-in unless the contact acted.

Every opt-out closes an open confirmation request at its scope, even a soft one that leaves a
hard opt-out deciding (docs/decisions/055); ``confirmation_cancelled`` closes those it
overrides below.

Deliverability suppressions (bounced, complained) are kept apart: they are about an address,
not about consent, and opting back in does not clear them (seeds/003). A complaint is also the
contact's own hard opt-out, recorded as a consent event of its own (docs/decisions/053).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from consentry.core.events import Action, ClearReason, ConsentEvent, Strength

if TYPE_CHECKING:  # trends.py reads Status: no import at run time, no cycle
    from consentry.core.trends import TrendDelta


class Status(StrEnum):
    """Consent status. Add, never rename or remove."""

    NONE = "none"
    PENDING = "pending"
    OPTED_IN = "opted_in"
    SOFT_OPT_OUT = "soft_opt_out"
    HARD_OPT_OUT = "hard_opt_out"

    @property
    def is_opt_out(self) -> bool:
        """Soft or hard opt-out."""
        return self in (Status.SOFT_OPT_OUT, Status.HARD_OPT_OUT)


class Suppression(StrEnum):
    """Deliverability suppression on a contact's address for a channel. Add, never rename."""

    BOUNCED = "bounced"
    COMPLAINED = "complained"


@dataclass(frozen=True, slots=True)
class Consent:
    """The projection of one (contact, channel, scope): current status and the event that set it.

    ``confirm_until`` is set while a confirmation request is open (double opt-in, or a
    contact's opt-back-in after an opt-out) and cleared when it is confirmed or superseded.
    """

    status: Status = Status.NONE
    event_id: str | None = None
    confirm_until: datetime | None = None

    def current(self, now: datetime) -> Status:
        """The status as it stands at ``now``: an expired pending request counts as none."""
        if self.status is Status.PENDING and not self.awaiting_confirmation(now):
            return Status.NONE
        return self.status

    def awaiting_confirmation(self, now: datetime) -> bool:
        """True while a confirmation request is open."""
        return self.confirm_until is not None and now < self.confirm_until


NO_CONSENT = Consent()


def apply(consent: Consent, event: ConsentEvent) -> Consent:
    """Fold one event into a consent projection. Total and pure."""
    handler = _HANDLERS.get(event.action)
    if handler is None:
        return consent
    return handler(consent, event)


def _opted_in(consent: Consent, event: ConsentEvent) -> Consent:
    if consent.status is Status.HARD_OPT_OUT and not event.actor.is_contact:
        return consent
    return Consent(Status.OPTED_IN, event.id)


def _opted_out(consent: Consent, event: ConsentEvent) -> Consent:
    # Any opt-out closes the open request it overrides (docs/decisions/055), also a soft one
    # that leaves the contact's own hard opt-out deciding: an old link must not confirm later.
    if consent.status is Status.HARD_OPT_OUT and event.strength is Strength.SOFT:
        return Consent(consent.status, consent.event_id)
    if event.strength is Strength.HARD:
        return Consent(Status.HARD_OPT_OUT, event.id)
    return Consent(Status.SOFT_OPT_OUT, event.id)


def _confirmation_requested(consent: Consent, event: ConsentEvent) -> Consent:
    if consent.status in (Status.NONE, Status.PENDING):
        return Consent(Status.PENDING, event.id, event.expires_at)
    if consent.status.is_opt_out:
        return Consent(consent.status, consent.event_id, event.expires_at)
    return consent


def _confirmed(consent: Consent, event: ConsentEvent) -> Consent:
    if not event.actor.is_contact:
        return consent
    return Consent(Status.OPTED_IN, event.id)


def _request_closed(consent: Consent, event: ConsentEvent) -> Consent:
    """Expiry, or cancellation by an opt-out above: pending falls back to none."""
    if consent.status is Status.PENDING:
        return Consent(Status.NONE, event.id)
    return Consent(consent.status, consent.event_id)


_HANDLERS = {
    Action.OPTED_IN: _opted_in,
    Action.RESUBSCRIBED: _opted_in,
    Action.OPTED_OUT: _opted_out,
    Action.CONFIRMATION_REQUESTED: _confirmation_requested,
    Action.CONFIRMED: _confirmed,
    Action.CONFIRMATION_EXPIRED: _request_closed,
    Action.CONFIRMATION_CANCELLED: _request_closed,
}


def fold(events: list[ConsentEvent], start: Consent = NO_CONSENT) -> Consent:
    """The consent projection of a (contact, channel, scope) from its events in ledger order."""
    consent = start
    for event in events:
        consent = apply(consent, event)
    return consent


def apply_suppression(current: Suppression | None, event: ConsentEvent) -> Suppression | None:
    """Fold one event into a channel's deliverability suppression."""
    if event.action is Action.BOUNCED:
        return Suppression.BOUNCED
    if event.action is Action.COMPLAINED:
        return current if current is Suppression.BOUNCED else Suppression.COMPLAINED
    if event.action is Action.SUPPRESSION_CLEARED:
        return None
    return current


def apply_suppressions(
    current: frozenset[Suppression], event: ConsentEvent
) -> frozenset[Suppression]:
    """Fold one event into the suppressions outstanding on a channel (docs/decisions/057).

    A bounce and a complaint each stay until lifted. The projection shows one of them
    (``shown``: a bounce before a complaint); an admin's decision lifts the one shown, a
    changed address lifts them all. So lifting a bounce leaves a complaint beneath it.
    """
    if event.action is Action.BOUNCED:
        return current | {Suppression.BOUNCED}
    if event.action is Action.COMPLAINED:
        return current | {Suppression.COMPLAINED}
    if event.action is Action.SUPPRESSION_CLEARED:
        top = shown(current)
        if event.reason == ClearReason.ADMIN_DECISION and top is not None:
            return current - {top}
        return frozenset()
    return current


def shown(suppressions: frozenset[Suppression]) -> Suppression | None:
    """The suppression a channel shows: a bounce outranks a complaint."""
    for kind in (Suppression.BOUNCED, Suppression.COMPLAINED):
        if kind in suppressions:
            return kind
    return None


def outstanding(events: list[ConsentEvent]) -> frozenset[Suppression]:
    """The suppressions still outstanding after one channel's events, in ledger order."""
    found: frozenset[Suppression] = frozenset()
    for event in events:
        found = apply_suppressions(found, event)
    return found


#: Actions that touch the suppression projection rather than the consent projection.
SUPPRESSION_ACTIONS = frozenset({Action.BOUNCED, Action.COMPLAINED, Action.SUPPRESSION_CLEARED})


@dataclass(frozen=True, slots=True)
class ConsentUpdate:
    """How an event moves the consent projection: the (contact, channel, scope)'s new consent,
    and what it adds to the trend counts of its day (None: nothing; docs/decisions/066)."""

    consent: Consent
    counts: TrendDelta | None = None


@dataclass(frozen=True, slots=True)
class SuppressionUpdate:
    """How a bounce, complaint or clearing moves the suppression projection (None: lifted)."""

    suppression: Suppression | None


#: What one appended event changes besides the ledger: one projection or the other.
ProjectionUpdate = ConsentUpdate | SuppressionUpdate
