"""The rules that refuse consent commands (SPEC §1, §3; seeds 000-004).

Each function looks at the current consent and the command and either returns quietly or
raises the refusal with its stable code. Who may issue the command at all is
``permissions``; whether the change is allowed from the current status is here.

=============================  ============================  ================================
command                        from                          refused with
=============================  ============================  ================================
opt in (staff, admin, API)     none, pending, opted in       evidence_required without a
                                                             record of written permission
                                                             (``evidence``, 056); opted_out
                                                             from an opt-out here or above
                                                             (use re-subscribe there);
                                                             hard_opt_out_locked from hard
opt in (the contact)           anything but hard opt-out,    evidence_required; opted_out
                               or hard via START keyword     from hard except by keyword
re-subscribe (admin)           soft opt-out                  hard_opt_out_locked from hard;
                                                             reason_required; evidence_required
request confirmation           none, pending                 opted_out from an opt-out here
(signup, double opt-in)                                      or above, unless the contact
                                                             opts back in; invalid_transition
                                                             on a scope already opted in
confirm (the contact)          an open confirmation request  invalid_transition otherwise
opt out                        anything                      never refused for lack of evidence
=============================  ============================  ================================

"Here or above": a staff opt-in or a signup is judged by ``governing`` (an opt-out on the path
above the scope counts); the contact's own acts by the scope's own consent (decision 058).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from consentry.core.errors import (
    EvidenceRequired,
    HardOptOutLocked,
    InvalidTransition,
    OptedOut,
    ReasonRequired,
)
from consentry.core.events import Actor, ResubscribeReason, Source
from consentry.core.status import NO_CONSENT, Consent, Status

#: Sources by which a contact's own opt-in may lift their hard opt-out at once: a START
#: reply comes from the contact's own phone; a confirmation link proves control of the address.
DIRECT_OPT_BACK_IN_SOURCES = frozenset({Source.SMS_KEYWORD, Source.CONFIRMATION_LINK})


def governing(consents: Mapping[str, Consent], path: tuple[str, ...]) -> Consent:
    """The consent a staff opt-in or signup at ``path[0]`` is judged by.

    Its own, unless an opt-out on the path above outranks it: a hard opt-out anywhere, else a
    soft one. An opt-out at the group covers every client and user below it (seeds/004), so
    signing up there again is refused as for an opt-out at the scope itself (seeds/003).
    Opt-outs below ``path[0]`` never count (docs/decisions/058).
    """
    for status in (Status.HARD_OPT_OUT, Status.SOFT_OPT_OUT):
        for scope_id in path:
            consent = consents.get(scope_id)
            if consent is not None and consent.status is status:
                return consent
    return consents.get(path[0], NO_CONSENT)


def check_opt_in(consent: Consent, actor: Actor, source: Source, has_evidence: bool) -> None:
    """Refuse an opt-in that lacks evidence or would override an opt-out."""
    if not has_evidence:
        raise EvidenceRequired(
            "an opt-in needs evidence of permission (e.g. the contact's written permission)"
        )
    status = consent.status
    if actor.is_contact:
        if status is Status.HARD_OPT_OUT and source not in DIRECT_OPT_BACK_IN_SOURCES:
            raise OptedOut(
                "the contact opted out; opting back in needs their confirmation",
                status=status.value,
            )
        return
    if status is Status.HARD_OPT_OUT:
        raise HardOptOutLocked(
            "the contact opted out themselves; only the contact can opt back in",
            status=status.value,
        )
    if status is Status.SOFT_OPT_OUT:
        raise OptedOut(
            "the contact is opted out; an admin can re-subscribe them with a reason",
            status=status.value,
        )


def check_resubscribe(consent: Consent, reason: str | None, has_evidence: bool) -> None:
    """Refuse a re-subscribe of anything but a soft opt-out, or one without reason or evidence."""
    if consent.status is Status.HARD_OPT_OUT:
        raise HardOptOutLocked(
            "the contact opted out themselves; staff can never reverse it", status="hard_opt_out"
        )
    if consent.status is not Status.SOFT_OPT_OUT:
        raise InvalidTransition(
            f"only a soft opt-out can be re-subscribed; the status is {consent.status.value}",
            status=consent.status.value,
        )
    allowed = [r.value for r in ResubscribeReason]
    if reason not in allowed:
        raise ReasonRequired(
            f"re-subscribing needs a reason: one of {', '.join(allowed)}", allowed=allowed
        )
    if not has_evidence:
        raise EvidenceRequired("re-subscribing needs evidence (e.g. the contact's request)")


def check_request_confirmation(consent: Consent, actor: Actor, now: datetime) -> None:
    """Refuse a signup of an opted-out contact unless the contact is opting back in."""
    status = consent.current(now)
    if status.is_opt_out and not actor.is_contact:
        raise OptedOut(
            "the contact is opted out; they must opt back in themselves",
            status=status.value,
        )
    if status is Status.OPTED_IN:
        raise InvalidTransition("the contact is already opted in", status=status.value)


def check_confirm(consent: Consent, now: datetime) -> None:
    """Refuse a confirmation with no open request."""
    if not consent.awaiting_confirmation(now):
        raise InvalidTransition(
            "there is no open confirmation request (it expired or was never made)",
            status=consent.current(now).value,
        )
