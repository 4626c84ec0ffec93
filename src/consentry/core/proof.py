"""Proof of consent for one contact, and the answer at a past moment (SPEC §7; GDPR Art. 7(1),
Art. 15; docs/decisions/069).

A ``Proof`` holds every event of the contact the caller may see, with its evidence, who
recorded it and how, and the *chain proof*: the contact's chain recomputed (the verdict of
``ledger.integrity.verify_contact``), its stored head, and the digest of the group's chain
heads it is part of, all read while the contact's head stood still. An ``EligibilityProof``
is the answer to "was this contact allowed to receive this message at that moment, and why":
the decision, the status that held, the deciding event and the events before it, with the
same chain proof. Both are values; ``adapters.proof_document`` renders them (JSON, HTML, PDF).

The words here are the document's: plain English for a lawyer, one phrase per enum value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from consentry.core.chain import VERSION, ChainHead, Problem
from consentry.core.channels import Channel, ChannelPolicy
from consentry.core.contacts import Contact
from consentry.core.eligibility import Category, Decision, Reason, Situation, decide
from consentry.core.events import Action, ActorKind, ConsentEvent, Source, Strength, chain_fields
from consentry.core.i18n import words
from consentry.core.permissions import Principal
from consentry.core.status import Consent, Status, Suppression, fold, outstanding, shown

FORMAT = "consentry-proof/v1"  #: the JSON document's format; a new shape gets a new name

ACTION_WORDS = {
    Action.OPTED_IN: "Opted in to {channel}",
    Action.OPTED_OUT: "Opted out of {channel}",
    Action.RESUBSCRIBED: "Re-subscribed to {channel}",
    Action.CONFIRMATION_REQUESTED: "Asked to confirm {channel} (double opt-in)",
    Action.CONFIRMED: "Confirmed the subscription to {channel}",
    Action.CONFIRMATION_EXPIRED: "The request to confirm {channel} expired",
    Action.BOUNCED: "The {channel} address bounced",
    Action.COMPLAINED: "Complained about {channel} messages (marked as spam)",
    Action.SUPPRESSION_CLEARED: "The {channel} suppression was lifted",
    Action.ERASED: "Personal data erased ({channel})",
    Action.CONFIRMATION_CANCELLED: "The request to confirm {channel} was cancelled",
}
ACTOR_WORDS = {
    ActorKind.ADMIN: "Admin {id}",
    ActorKind.STAFF: "Staff member {id}",
    ActorKind.API_KEY: "API key {id}",
    ActorKind.CONTACT: "The contact",
    ActorKind.RULE: "Lifecycle rule {id}",
    ActorKind.SYSTEM: "The system ({id})",
}
SOURCE_WORDS = {
    Source.ADMIN_UI: "the staff web app",
    Source.API: "the API",
    Source.CLI: "the command line",
    Source.IMPORT: "an import",
    Source.SIGNUP_FORM: "a signup form",
    Source.SMS_KEYWORD: "a text message keyword",
    Source.VOICE_KEYPAD: "the call keypad",
    Source.UNSUBSCRIBE_LINK: "an unsubscribe link",
    Source.ONE_CLICK: "one-click unsubscribe",
    Source.PREFERENCE_CENTRE: "the preference centre",
    Source.CONFIRMATION_LINK: "a confirmation link",
    Source.LIFECYCLE_RULE: "a lifecycle rule",
    Source.BOUNCE_FEED: "the bounce and complaint feed",
}
STRENGTH_WORDS = {
    Strength.HARD: "hard: the contact's own act",
    Strength.SOFT: "soft: recorded by staff or a system",
}
STATUS_WORDS = {
    Status.NONE: "no consent recorded",
    Status.PENDING: "waiting for the contact to confirm",
    Status.OPTED_IN: "opted in",
    Status.SOFT_OPT_OUT: "opted out by staff (soft)",
    Status.HARD_OPT_OUT: "opted out by the contact (hard)",
}
SUPPRESSION_WORDS = {
    Suppression.BOUNCED: "the address bounced",
    Suppression.COMPLAINED: "the contact complained",
}
CATEGORY_WORDS = {
    Category.MARKETING: "marketing",
    Category.TRANSACTIONAL: "transactional",
    Category.OPT_IN_CONFIRMATION: "opt-in confirmation",
}
REASON_WORDS = {
    Reason.OPTED_IN: "the contact had opted in",
    Reason.TRANSACTIONAL: "it was a transactional message, which the channel's rules let through",
    Reason.OPT_IN_CONFIRMATION: "it was the opt-in confirmation the contact had asked for",
    Reason.HARD_OPT_OUT: "the contact had opted out themselves (a hard opt-out)",
    Reason.SOFT_OPT_OUT: "the contact had been opted out by staff (a soft opt-out)",
    Reason.NO_CONSENT: "no opt-in had been recorded",
    Reason.PENDING: "the contact had not yet confirmed the double opt-in",
    Reason.BOUNCED: "the address had bounced",
    Reason.COMPLAINED: "the contact had complained about messages",
    Reason.NO_ADDRESS: "there was no address for the channel",
    Reason.NO_CONFIRMATION_REQUEST: "no opt-in confirmation had been requested",
}

#: How to recompute the chain by hand (core/chain.py), in one paragraph.
RECIPE = (
    "Each event's hash is the SHA-256 (in hexadecimal) of one line of JSON: the array "
    f'["{VERSION}", previous hash, event id, contact id, group, event number, channel, scope, '
    "action, strength, actor kind, actor id, recorded by, source, reason, occurred at, "
    "recorded at, expires at, evidence commitment], written without spaces and with every "
    "character outside ASCII escaped as \\uXXXX; the three times are whole microseconds since "
    "1970-01-01 00:00 UTC, and an absent value is null. The document gives this line for each "
    "event (its hashed text). The evidence commitment is the SHA-256 of the evidence salt, one "
    "NUL character and the evidence text (empty when there is no evidence), so the evidence "
    "itself can be erased while the chain still verifies. The first event's previous hash is "
    f'the SHA-256 of "{VERSION}/genesis/" followed by the contact id; every later event\'s '
    "previous hash is the hash of the event before it, and the last hash is the head. The "
    f'group digest is the SHA-256 of "{VERSION}" followed, for every contact of the group in '
    'order of contact id, by a line feed and "contact-id event-number head". A digest '
    "exported earlier (consentry digest) lists each contact's head at that time: this "
    "contact's event of that number must still have that hash."
)


class EvidenceState(StrEnum):
    """What is left of an event's evidence. Add, never rename or remove."""

    NONE = "none"  #: none was given
    KEPT = "kept"  #: the text is kept and matches its commitment (when the chain is intact)
    ERASED = "erased"  #: the text was erased; its commitment stays in the chain


@dataclass(frozen=True, slots=True)
class StatusRow:
    """The status of one (channel, scope) now, and the event that set it."""

    channel: Channel
    scope_id: str
    status: Status
    event_id: str | None


@dataclass(frozen=True, slots=True)
class ChainProof:
    """The contact's chain recomputed, its stored head, and the group digest it is part of.

    ``head`` is the stored chain head (the chain's start, event 0, when none is stored: the
    verdict then names the missing head of a chain that has events).
    """

    contact_id: str
    checked: int
    problems: tuple[Problem, ...]
    head: ChainHead
    group_id: str
    root: str
    contacts: int
    events: int

    @property
    def intact(self) -> bool:
        """True when nothing was altered, inserted or deleted in the contact's record."""
        return not self.problems

    @property
    def line(self) -> str:
        """The contact's line in the group digest: ``contact-id event-number head``."""
        return f"{self.contact_id} {self.head.seq} {self.head.hash}"


@dataclass(frozen=True, slots=True)
class Proof:
    """Proof of consent for one contact: every visible event, the status, the chain proof."""

    contact: Contact
    events: tuple[ConsentEvent, ...]
    withheld: int  #: events of the chain at scopes outside the caller's reach, not listed
    statuses: tuple[StatusRow, ...]
    suppressions: tuple[tuple[Channel, Suppression], ...]
    chain: ChainProof
    generated_at: datetime
    generated_by: Principal

    def sentence(self) -> str:
        """The verdict in one sentence."""
        return verdict(self.chain, self.withheld, self.generated_at)


@dataclass(frozen=True, slots=True)
class EligibilityProof:
    """Was the contact allowed to receive this message at ``at``, and why (decision 069)."""

    proof: Proof
    channel: Channel
    scope_id: str
    category: Category
    at: datetime
    decision: Decision
    status: Status  #: at the scope itself
    effective: Status  #: what counted on the path to the group
    effective_scope_id: str | None
    events: tuple[ConsentEvent, ...]  #: the events the answer considered, in ledger order

    @property
    def deciding(self) -> ConsentEvent | None:
        """The event that decided the answer, if one did."""
        return next((e for e in self.events if e.id == self.decision.event_id), None)

    def sentence(self) -> str:
        """The answer in one sentence."""
        word = "allowed" if self.decision.allowed else "not allowed"
        deciding = self.deciding
        why = REASON_WORDS[self.decision.reason]
        if deciding is not None:
            why += f", recorded at {deciding.scope_id} by event {deciding.seq} ({deciding.id})"
        return (
            f"On {moment(self.at)}, a {CATEGORY_WORDS[self.category]} message on "
            f"{channel_name(self.channel)} from {self.scope_id} was {word}: {why}."
        )


def decision_at(
    events: list[ConsentEvent],
    channel: Channel,
    path: tuple[str, ...],
    category: Category,
    at: datetime,
    policy: ChannelPolicy,
) -> Decision:
    """The eligibility rule (``eligibility.decide``) over the events of one channel recorded
    by ``at`` on the scope path, as the ledger knew them then (decision 003).

    The ledger keeps consent and deliverability, not the history of addresses: the answer
    takes the contact to have had an address for the channel.
    """
    consents: dict[str, Consent] = {
        sid: fold([e for e in events if e.scope_id == sid]) for sid in path
    }
    situation = Situation(channel, True, shown(outstanding(events)), consents)
    return decide(situation, path, category, at, policy)


def moment(at: datetime) -> str:
    """A moment as the document writes it: ``2026-12-02 10:00 UTC``."""
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def channel_name(channel: Channel) -> str:
    """A channel as the hosted pages name it (``phone calls`` for voice)."""
    return words("en")[f"channel_{channel.value}"]


def describe(event: ConsentEvent) -> str:
    """What happened, in plain words: ``Opted out of SMS at acme``."""
    what = ACTION_WORDS[event.action].format(channel=channel_name(event.channel))
    return f"{what} at {event.scope_id}"


def who(event: ConsentEvent) -> str:
    """Who acted, and who recorded it when someone else did (a relay, a person's key)."""
    actor = ACTOR_WORDS[event.actor.kind].format(id=event.actor.id)
    if event.recorded_by not in (event.actor.id, event.contact_id):
        actor += f", recorded by {event.recorded_by}"
    return actor


def how(event: ConsentEvent) -> str:
    """Through what the change came in: ``through a text message keyword``."""
    return f"through {SOURCE_WORDS[event.source]}"


def evidence_state(event: ConsentEvent) -> EvidenceState:
    """Whether the event carries evidence, and whether it is still kept."""
    if event.evidence is not None:
        return EvidenceState.KEPT
    return EvidenceState.ERASED if event.evidence_commitment else EvidenceState.NONE


def hashed_text(event: ConsentEvent) -> str:
    """The exact line of JSON the event's hash is the SHA-256 of (``chain.link``)."""
    return json.dumps([VERSION, event.prev_hash, *chain_fields(event)], separators=(",", ":"))


def verdict(chain: ChainProof, withheld: int, at: datetime) -> str:
    """The chain verdict in one sentence, naming the first problem when there is one."""
    if not chain.intact:
        first = chain.problems[0]
        more = len(chain.problems) - 1
        where = f"event {first.event_id} (number {first.seq})"
        if first.event_id is None:
            where = f"event number {first.seq}"
        if first.channel is not None:
            where = f"the {first.channel} status at {first.scope_id}"
            if first.scope_id is None:
                where = f"the {first.channel} suppression"
        also = f" {more} more problem{'s' if more != 1 else ''} found." if more else ""
        kind = first.kind.replace("_", " ")
        return (
            "The record of this contact's consent does NOT verify: "
            f"{kind}: {where}: {first.detail}.{also}"
        )
    head = chain.head
    hidden = f" ({withheld} of them at scopes outside your reach, not listed here)"
    events = f"its {chain.checked} event{'s' if chain.checked != 1 else ''}"
    return (
        f"The record of this contact's consent is intact: {events}"
        f"{hidden if withheld else ''} recompute to head {head.hash} (event {head.seq}), "
        f"which is part of the group digest {chain.root} of {chain.group_id} "
        f"at {moment(at)}."
    )
