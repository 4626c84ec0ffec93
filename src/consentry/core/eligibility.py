"""Effective status and eligibility: may we send this, now? (SPEC §1, §5)

For a send from scope ``s`` on a channel, walk from ``s`` up to the group:

===========================================  ==============================================
finding (first that holds wins)              decision
===========================================  ==============================================
no address for the channel                   refused: no_address
address bounced / complained                 refused: bounced / complained (never bypassed)
category transactional, channel allows it    allowed: transactional (the group's own
                                             setting, else the deployment's; decision 075)
category opt-in confirmation                 allowed while a confirmation request is open,
                                             else refused: no_confirmation_request
a hard opt-out anywhere on the path          refused: hard_opt_out
a soft opt-out anywhere on the path          refused: soft_opt_out
an opt-in anywhere on the path               allowed: opted_in
an open double opt-in request                refused: pending
otherwise                                    refused: no_consent
===========================================  ==============================================

The SQL store computes the same table set-based for audiences; a test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from consentry.core.channels import Channel, ChannelPolicy
from consentry.core.errors import Invalid
from consentry.core.status import Consent, Status, Suppression


class Category(StrEnum):
    """What kind of message is about to be sent. Add, never rename or remove."""

    MARKETING = "marketing"
    TRANSACTIONAL = "transactional"
    OPT_IN_CONFIRMATION = "opt_in_confirmation"


def parse_category(value: str) -> Category:
    """Read a message category, refusing unknown ones with ``invalid``."""
    try:
        return Category(value.strip().lower())
    except ValueError:
        allowed = ", ".join(c.value for c in Category)
        raise Invalid(f"unknown category {value!r}; use one of {allowed}") from None


class Reason(StrEnum):
    """Why a send is allowed or refused. Add, never rename or remove."""

    OPTED_IN = "opted_in"
    TRANSACTIONAL = "transactional"
    OPT_IN_CONFIRMATION = "opt_in_confirmation"
    HARD_OPT_OUT = "hard_opt_out"
    SOFT_OPT_OUT = "soft_opt_out"
    NO_CONSENT = "no_consent"
    PENDING = "pending"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    NO_ADDRESS = "no_address"
    NO_CONFIRMATION_REQUEST = "no_confirmation_request"


REFUSAL_REASONS = (
    Reason.NO_ADDRESS,
    Reason.BOUNCED,
    Reason.COMPLAINED,
    Reason.NO_CONFIRMATION_REQUEST,
    Reason.HARD_OPT_OUT,
    Reason.SOFT_OPT_OUT,
    Reason.PENDING,
    Reason.NO_CONSENT,
)


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to an eligibility check: allowed or not, why, and which scope's fact decided."""

    allowed: bool
    reason: Reason
    scope_id: str | None = None
    event_id: str | None = None
    #: for a transactional message: the policy that applied (decision 075), else None
    policy: TransactionalPolicy | None = None


class TransactionalPolicy(StrEnum):
    """Which transactional policy a decision applied. Add, never rename or remove."""

    GROUP_BYPASS = "group_bypass"  #: the group lets it past a marketing opt-out on the channel
    GROUP_NO_BYPASS = "group_no_bypass"  #: the group judges it as marketing on the channel
    DEPLOYMENT_BYPASS = "deployment_bypass"  #: the deployment's default: it may pass
    DEPLOYMENT_NO_BYPASS = "deployment_no_bypass"  #: the deployment's default: as marketing


def transactional_policy(channel: Channel, policy: ChannelPolicy) -> TransactionalPolicy:
    """The transactional policy of a channel under ``policy`` (a group's or the default)."""
    bypass = channel in policy.transactional_bypass
    if channel in policy.set_by_group:
        return TransactionalPolicy.GROUP_BYPASS if bypass else TransactionalPolicy.GROUP_NO_BYPASS
    if bypass:
        return TransactionalPolicy.DEPLOYMENT_BYPASS
    return TransactionalPolicy.DEPLOYMENT_NO_BYPASS


@dataclass(frozen=True, slots=True)
class Situation:
    """Everything eligibility looks at for one (contact, channel): read in one go by the store."""

    channel: Channel
    has_address: bool
    suppression: Suppression | None
    consents: Mapping[str, Consent]


_STATUS_ORDER = (
    (Status.HARD_OPT_OUT, Reason.HARD_OPT_OUT, False),
    (Status.SOFT_OPT_OUT, Reason.SOFT_OPT_OUT, False),
    (Status.OPTED_IN, Reason.OPTED_IN, True),
    (Status.PENDING, Reason.PENDING, False),
)


def effective_status(
    consents: Mapping[str, Consent], path: tuple[str, ...], now: datetime
) -> tuple[Status, str | None]:
    """The status that counts for a send from ``path[0]``, and the scope that set it."""
    for status, _, _ in _STATUS_ORDER:
        for scope_id in path:
            consent = consents.get(scope_id)
            if consent is not None and consent.current(now) is status:
                return status, scope_id
    return Status.NONE, None


def decide(
    situation: Situation,
    path: tuple[str, ...],
    category: Category,
    now: datetime,
    policy: ChannelPolicy | None = None,
) -> Decision:
    """Eligibility for one (contact, channel, scope, category); a transactional answer says
    which transactional policy applied (``Decision.policy``)."""
    policy = policy or ChannelPolicy()
    found = _decide(situation, path, category, now, policy)
    if category is not Category.TRANSACTIONAL:
        return found
    return replace(found, policy=transactional_policy(situation.channel, policy))


def _decide(
    situation: Situation,
    path: tuple[str, ...],
    category: Category,
    now: datetime,
    policy: ChannelPolicy,
) -> Decision:
    if not situation.has_address:
        return Decision(False, Reason.NO_ADDRESS)
    if situation.suppression is not None:
        return Decision(False, Reason(situation.suppression.value))
    if category is Category.TRANSACTIONAL and situation.channel in policy.transactional_bypass:
        return Decision(True, Reason.TRANSACTIONAL)
    if category is Category.OPT_IN_CONFIRMATION:
        return _confirmation_decision(situation.consents, path, now)
    status, scope_id = effective_status(situation.consents, path, now)
    consent = situation.consents.get(scope_id) if scope_id else None
    event_id = consent.event_id if consent else None
    for candidate, reason, allowed in _STATUS_ORDER:
        if status is candidate:
            return Decision(allowed, reason, scope_id, event_id)
    return Decision(False, Reason.NO_CONSENT)


def _confirmation_decision(
    consents: Mapping[str, Consent], path: tuple[str, ...], now: datetime
) -> Decision:
    for scope_id in path:
        consent = consents.get(scope_id)
        if consent is not None and consent.awaiting_confirmation(now):
            return Decision(True, Reason.OPT_IN_CONFIRMATION, scope_id, consent.event_id)
    return Decision(False, Reason.NO_CONFIRMATION_REQUEST)
