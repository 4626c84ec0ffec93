"""Consent events: the immutable entries of the ledger (SPEC §2).

Every change is one event: contact, channel, scope, what happened, soft or hard, who acted,
through what, with what evidence, when it happened and when it was recorded. Events are never
updated or deleted. All enum values are stored strings: add, never rename or remove.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from consentry.core.channels import Channel
from consentry.core.errors import Invalid, InvalidEvidence
from consentry.core.limits import bounded_json

MAX_EVIDENCE_BYTES = 64 * 1024
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Action(StrEnum):
    """What happened. Add, never rename or remove."""

    OPTED_IN = "opted_in"
    OPTED_OUT = "opted_out"
    RESUBSCRIBED = "resubscribed"
    CONFIRMATION_REQUESTED = "confirmation_requested"
    CONFIRMED = "confirmed"
    CONFIRMATION_EXPIRED = "confirmation_expired"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    SUPPRESSION_CLEARED = "suppression_cleared"
    ERASED = "erased"
    CONFIRMATION_CANCELLED = "confirmation_cancelled"


class Strength(StrEnum):
    """Soft: staff or a system changed it. Hard: the contact acted. Add, never rename or remove."""

    SOFT = "soft"
    HARD = "hard"


class ActorKind(StrEnum):
    """Who acted. Add, never rename or remove."""

    ADMIN = "admin"
    STAFF = "staff"
    API_KEY = "api_key"
    CONTACT = "contact"
    RULE = "rule"
    SYSTEM = "system"


class Source(StrEnum):
    """Through what the change came in. Add, never rename or remove."""

    ADMIN_UI = "admin_ui"
    API = "api"
    CLI = "cli"
    IMPORT = "import"
    SIGNUP_FORM = "signup_form"
    SMS_KEYWORD = "sms_keyword"
    VOICE_KEYPAD = "voice_keypad"
    UNSUBSCRIBE_LINK = "unsubscribe_link"
    ONE_CLICK = "one_click"
    PREFERENCE_CENTRE = "preference_centre"
    CONFIRMATION_LINK = "confirmation_link"
    LIFECYCLE_RULE = "lifecycle_rule"
    BOUNCE_FEED = "bounce_feed"


#: Sources through which only the contact themselves acts: events from them are hard. Which of
#: them a sender key or the operator may relay, for which command and on which channels, is
#: ``permissions.RELAYED_SOURCES`` and ``permissions.SOURCE_CHANNELS`` (docs/decisions/054).
CONTACT_SOURCES = frozenset(
    {
        Source.SMS_KEYWORD,
        Source.VOICE_KEYPAD,
        Source.UNSUBSCRIBE_LINK,
        Source.ONE_CLICK,
        Source.PREFERENCE_CENTRE,
        Source.CONFIRMATION_LINK,
    }
)


class ResubscribeReason(StrEnum):
    """Why an admin re-subscribes a soft opt-out (seeds/002). Add, never rename or remove."""

    MISTAKEN_UNSUBSCRIBE = "mistaken_unsubscribe"
    CONTACT_ASKED = "contact_asked"


class ClearReason(StrEnum):
    """Why a deliverability suppression was lifted. Add, never rename or remove."""

    ADDRESS_CHANGED = "address_changed"
    ADMIN_DECISION = "admin_decision"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted: a kind and an identifier (key id, user name, contact id, rule name)."""

    kind: ActorKind
    id: str

    @property
    def is_contact(self) -> bool:
        """True when the contact acted themselves (the event is hard)."""
        return self.kind is ActorKind.CONTACT


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    """One immutable ledger entry, with its place in the contact's hash chain.

    ``evidence`` is canonical JSON text (personal data, erasable); ``evidence_commitment`` is
    what the chain covers, so an erasure leaves the chain verifiable.
    """

    id: str
    contact_id: str
    group_id: str
    seq: int
    channel: Channel
    scope_id: str
    action: Action
    strength: Strength
    actor: Actor
    recorded_by: str
    source: Source
    reason: str | None
    evidence: str | None
    evidence_salt: str | None
    evidence_commitment: str
    occurred_at: datetime
    recorded_at: datetime
    expires_at: datetime | None
    prev_hash: str
    hash: str

    @property
    def evidence_data(self) -> dict[str, Any] | None:
        """The evidence as a mapping (``None`` when none was given or it was erased)."""
        if self.evidence is None:
            return None
        data: dict[str, Any] = json.loads(self.evidence)
        return data


def canonical_evidence(evidence: Mapping[str, Any] | None) -> str | None:
    """Evidence as canonical JSON text, refusing what cannot be stored."""
    if evidence is None:
        return None
    if not isinstance(evidence, Mapping) or not all(isinstance(k, str) for k in evidence):
        raise InvalidEvidence("evidence must be a mapping with text keys")
    # JSON only, no NaN, bounded depth, members and size: what is chained must read back (050)
    return bounded_json(
        dict(evidence), field="evidence", error=InvalidEvidence, max_bytes=MAX_EVIDENCE_BYTES
    )


def has_evidence(evidence: Mapping[str, Any] | None) -> bool:
    """True when the evidence holds at least one non-empty value; refuses a non-mapping."""
    if evidence is None:
        return False
    if not isinstance(evidence, Mapping):
        raise InvalidEvidence("evidence must be a mapping with text keys")
    return any(v not in (None, "", [], {}) for v in evidence.values())


def to_micros(moment: datetime | None) -> int | None:
    """A moment as integer microseconds since the Unix epoch (how the store keeps time)."""
    if moment is None:
        return None
    if moment.utcoffset() is None:
        raise Invalid(f"{moment.isoformat()} has no time zone; give an aware time (e.g. UTC)")
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int | None) -> datetime | None:
    """The inverse of ``to_micros``: an aware UTC datetime."""
    if value is None:
        return None
    return EPOCH + timedelta(microseconds=value)


#: The stored columns that the hash chain covers, in chain order (the store selects these).
CHAIN_COLUMNS = (
    "id",
    "contact_id",
    "group_id",
    "seq",
    "channel",
    "scope_id",
    "action",
    "strength",
    "actor_kind",
    "actor_id",
    "recorded_by",
    "source",
    "reason",
    "occurred_at",
    "recorded_at",
    "expires_at",
    "evidence_commitment",
)


def chain_fields(event: ConsentEvent) -> tuple[str | int | None, ...]:
    """The values the hash chain covers, in ``CHAIN_COLUMNS`` order."""
    return (
        event.id,
        event.contact_id,
        event.group_id,
        event.seq,
        event.channel.value,
        event.scope_id,
        event.action.value,
        event.strength.value,
        event.actor.kind.value,
        event.actor.id,
        event.recorded_by,
        event.source.value,
        event.reason,
        to_micros(event.occurred_at),
        to_micros(event.recorded_at),
        to_micros(event.expires_at),
        event.evidence_commitment,
    )
