"""The projection checked against the events: what ``verify`` recomputes besides the hashes (059).

Eligibility reads only the projection (``consents``, ``suppressions``), so one edited row can turn
a contact's own STOP into "allowed" while every hash still holds. Verification therefore folds
each contact's events again (``status.apply``; ``status.apply_suppressions`` and ``shown``, as
the write path does) and names every stored row that differs, with its contact, channel and
scope:

======================  ===========================================================
finding                 reported as
======================  ===========================================================
a field changed         ``projection_altered``: status (its strength too), event_id,
                        confirm_until or group_id; suppression or event_id
a row removed           ``projection_deleted``: the events say a row should be there
a row slipped in        ``projection_inserted``: no event of the contact's chain set it
an unreadable event     ``projection_unverifiable``: a value no rule knows (the chain
                        check names the edit itself)
no chain at all         ``deleted``: a contact with neither events nor a chain head
======================  ===========================================================

Verification stays one pass: ``by_contact`` merges the snapshot's streams (events, heads,
contacts, consents, suppressions), each ordered by contact id, into one ``ContactChain`` per
contact. Contact ids are generated (``ids.new_id``: a prefix and hex digits), which every
collation sorts as Python does; an id outside that alphabet, which only tampering writes, can
split one contact's records in two and so add findings, never hide one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from operator import attrgetter
from typing import Any, NamedTuple, cast

from consentry.core.chain import ChainRow, Problem
from consentry.core.channels import Channel
from consentry.core.events import (
    CHAIN_COLUMNS,
    EPOCH,
    Action,
    Actor,
    ActorKind,
    Strength,
    to_micros,
)
from consentry.core.status import (
    NO_CONSENT,
    SUPPRESSION_ACTIONS,
    Consent,
    Suppression,
    apply,
    apply_suppressions,
    shown,
)

#: (contact_id, seq, hash) of a stored chain head; (contact_id, group_id) of a stored contact.
Head = tuple[str, int, str]
ContactKey = tuple[str, str]


class ConsentRow(NamedTuple):
    """A stored ``consents`` row as verification reads it (values as stored, unparsed).

    A named tuple, not a frozen dataclass: one is built per streamed row, at a fraction of the
    cost.
    """

    contact_id: str
    channel: str
    scope_id: str
    group_id: str
    status: str
    event_id: str | None
    confirm_until: int | None  # microseconds since the epoch


class SuppressionRow(NamedTuple):
    """A stored ``suppressions`` row as verification reads it."""

    contact_id: str
    channel: str
    suppression: str
    event_id: str


@dataclass(slots=True)
class ContactChain:
    """Everything one snapshot holds of one contact, from every verification stream."""

    contact_id: str
    group_id: str | None = None  # of its contacts row; None when there is none
    head: Head | None = None
    events: list[ChainRow] = field(default_factory=list)
    consents: list[ConsentRow] = field(default_factory=list)
    suppressions: list[SuppressionRow] = field(default_factory=list)


def by_contact(
    events: Iterable[ChainRow],
    heads: Iterable[Head],
    contacts: Iterable[ContactKey],
    consents: Iterable[ConsentRow],
    suppressions: Iterable[SuppressionRow],
) -> Iterator[ContactChain]:
    """Merge streams ordered by contact id into one ``ContactChain`` per contact, in order.

    Run once per contact of the ledger, so written out for five streams (a general k-way merge
    costs several times as much): each step takes the smallest contact id any stream is at.
    """
    by_id = attrgetter("contact_id")
    event_groups, consent_groups = _groups(events, by_id), _groups(consents, by_id)
    suppression_groups = _groups(suppressions, by_id)
    head_rows, contact_rows = iter(heads), iter(contacts)
    e, h, c = next(event_groups, _ENDED), next(head_rows, _ENDED), next(contact_rows, _ENDED)
    k, s = next(consent_groups, _ENDED), next(suppression_groups, _ENDED)
    while (contact_id := min(e[0], h[0], c[0], k[0], s[0])) is not _END:
        chain = ContactChain(contact_id)
        if e[0] == contact_id:
            chain.events, e = e[1], next(event_groups, _ENDED)
        while h[0] == contact_id:  # one head per contact; the last, were there more
            chain.head, h = h, next(head_rows, _ENDED)
        while c[0] == contact_id:
            chain.group_id, c = c[1], next(contact_rows, _ENDED)
        if k[0] == contact_id:
            chain.consents, k = k[1], next(consent_groups, _ENDED)
        if s[0] == contact_id:
            chain.suppressions, s = s[1], next(suppression_groups, _ENDED)
        yield chain


class _Last:
    """Sorts after every contact id: where a stream that has ended stands."""

    __slots__ = ()

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return True


_END: Any = _Last()
_ENDED: Any = (_END, [])


def _groups(rows: Iterable[Any], key: Any) -> Iterator[tuple[str, list[Any]]]:
    return ((contact_id, list(group)) for contact_id, group in groupby(rows, key))


_UNSET: tuple[Consent, int] = (NO_CONSENT, 0)
_UNSUPPRESSED: tuple[frozenset[Suppression], None] = (frozenset(), None)


@dataclass(slots=True)
class ProjectionCheck:
    """Folds each contact's events and compares the stored projection rows with the result."""

    checked: int = 0  # projection rows compared
    problems: list[Problem] = field(default_factory=list)
    actors: dict[tuple[object, object], Actor] = field(default_factory=dict)

    def check(self, chain: ContactChain) -> None:
        """Every difference between the contact's stored rows and the fold of its events."""
        group = _group_of(chain)
        if chain.group_id is not None and chain.head is None and not chain.events:
            detail = "the contact's whole chain is missing: no events and no chain head"
            self.problems.append(Problem("deleted", chain.contact_id, group, 1, None, detail))
        # keyed by the stored text of the channel: plain text is looked up faster than an enum
        consents: dict[tuple[str, str], tuple[Consent, int]] = {}
        suppressed: dict[str, tuple[frozenset[Suppression], Folded]] = {}
        actors = self.actors
        for row in chain.events:
            event = event_of(row, actors)
            if event is None:
                detail = "the event holds a value no rule knows"
                channel, scope_id = _text(row, "channel"), _text(row, "scope_id")
                self._report(
                    "projection_unverifiable",
                    chain,
                    group,
                    row.seq,
                    row.event_id,
                    detail,
                    channel,
                    scope_id,
                )
                continue
            fields = row.fields
            on: Any = fields[_CHANNEL]  # the text event_of found a channel's
            if fields[_ACTION] in _SUPPRESSING:
                kinds = suppressed.get(on, _UNSUPPRESSED)[0]
                suppressed[on] = (_apply_suppressions(kinds, event), event)
            else:
                key = (on, event.scope_id)
                consents[key] = (_apply(consents.get(key, _UNSET)[0], event), event.seq)
        self.checked += len(chain.consents) + len(chain.suppressions)
        self._consents(chain, group, consents)
        if suppressed or chain.suppressions:  # most contacts have neither
            self._suppressions(chain, group, suppressed)

    def _consents(
        self, chain: ContactChain, group: str | None, folded: dict[tuple[str, str], Any]
    ) -> None:
        """Each folded (channel, scope) against its row, in the order the events set them."""
        stored = {(r.channel, r.scope_id): r for r in chain.consents}
        for (channel, scope_id), (consent, seq) in folded.items():
            row = stored.pop((channel, scope_id), None)
            if row is None:
                where = (str(channel), scope_id)
                detail = f"the consents row is missing; the events say {consent.status.value}"
                self._report(
                    "projection_deleted", chain, group, seq, consent.event_id, detail, *where
                )
            elif (
                row.status != consent.status
                or row.event_id != consent.event_id
                or row.group_id != group
                or row.confirm_until
                != (None if consent.confirm_until is None else to_micros(consent.confirm_until))
            ):
                detail = _differences(
                    ("status", row.status, consent.status.value),
                    ("event_id", row.event_id, consent.event_id),
                    ("confirm_until", _when(row.confirm_until), _when(consent.confirm_until)),
                    ("group_id", row.group_id, group),
                )
                where = (str(channel), scope_id)
                self._report(
                    "projection_altered", chain, group, seq, consent.event_id, detail, *where
                )
        for row in stored.values():
            detail = f"a consents row ({row.status}) that no event of the chain set"
            self._report(
                "projection_inserted",
                chain,
                group,
                0,
                row.event_id,
                detail,
                row.channel,
                row.scope_id,
            )

    def _suppressions(self, chain: ContactChain, group: str | None, folded: dict[str, Any]) -> None:
        """Each channel's folded suppression (``shown``: what the write path keeps) and its row."""
        stored = {r.channel: r for r in chain.suppressions}
        for channel, (kinds, last) in folded.items():
            kind, row = shown(kinds), stored.pop(channel, None)
            if kind is None:
                if row is not None:
                    stored[channel] = row  # none is owed: reported as slipped in, below
            elif row is None:
                detail = f"the suppression is missing; the events say {kind.value}"
                self._report(
                    "projection_deleted", chain, group, last.seq, last.id, detail, str(channel)
                )
            elif row.suppression != kind or row.event_id != last.id:
                detail = _differences(
                    ("suppression", row.suppression, kind.value),
                    ("event_id", row.event_id, last.id),
                )
                self._report(
                    "projection_altered", chain, group, last.seq, last.id, detail, str(channel)
                )
        for row in stored.values():
            detail = f"a suppression ({row.suppression}) that no event of the chain left"
            self._report("projection_inserted", chain, group, 0, row.event_id, detail, row.channel)

    def _report(
        self,
        kind: str,
        chain: ContactChain,
        group: str | None,
        seq: int,
        event_id: str | None,
        detail: str,
        channel: str | None,
        scope_id: str | None = None,
    ) -> None:
        self.problems.append(
            Problem(kind, chain.contact_id, group, seq, event_id, detail, channel, scope_id)
        )


def _group_of(chain: ContactChain) -> str | None:
    """The contact's group: its contacts row's, else its events', else its consents rows'."""
    if chain.group_id is not None:
        return chain.group_id
    if chain.events:
        return chain.events[0].group_id
    return chain.consents[0].group_id if chain.consents else None


def _when(value: object) -> object:
    """A stored time (microseconds) or a folded one as ISO 8601 text; anything else as is."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, int):
        try:
            return (EPOCH + timedelta(microseconds=value)).isoformat()
        except OverflowError:
            return value
    return value


def _differences(*fields: tuple[str, object, object]) -> str:
    """``status is 'opted_in', the events say 'hard_opt_out'; …`` per field that differs."""
    return "; ".join(
        f"{name} is {stored!r}, the events say {wanted!r}"
        for name, stored, wanted in fields
        if stored != wanted
    )


#: the folds, of what ``event_of`` gives (the fields a fold reads of an event)
_apply = cast(Callable[[Consent, "Folded"], Consent], apply)
_apply_suppressions = cast(
    Callable[[frozenset[Suppression], "Folded"], frozenset[Suppression]], apply_suppressions
)
_SUPPRESSING = frozenset(str(action) for action in SUPPRESSION_ACTIONS)
_CHANNELS: dict[object, Channel] = {c.value: c for c in Channel}
_ACTIONS: dict[object, Action] = {a.value: a for a in Action}
_STRENGTHS: dict[object, Strength] = {s.value: s for s in Strength}
_ACTORS: dict[object, ActorKind] = {k.value: k for k in ActorKind}
#: ``ChainRow.fields`` unpacks in this order (``events.CHAIN_COLUMNS``)
_FIELDS = (
    "id", "contact_id", "group_id", "seq", "channel", "scope_id", "action", "strength",
    "actor_kind", "actor_id", "recorded_by", "source", "reason", "occurred_at", "recorded_at",
    "expires_at", "evidence_commitment",
)  # fmt: skip
assert CHAIN_COLUMNS == _FIELDS, "events.CHAIN_COLUMNS changed: update projection._FIELDS"
_CHANNEL, _ACTION = _FIELDS.index("channel"), _FIELDS.index("action")


class Folded:
    """What the folds read of one stored event (``status.apply``, ``apply_suppressions``).

    Verification folds every event of the ledger, and building a ``ConsentEvent`` (a frozen
    dataclass of twenty fields) costs several times what checking its hash does; this holds only
    the fields a fold reads, and goes to the folds as the event. ``tests/unit/test_chain.py``
    folds every action both ways and holds the results equal, so a rule that starts reading
    another field fails there first.
    """

    __slots__ = (
        "action",
        "actor",
        "channel",
        "expires_at",
        "id",
        "reason",
        "scope_id",
        "seq",
        "strength",
    )  # fmt: skip

    def __init__(
        self,
        id: str,
        seq: int,
        channel: Channel,
        scope_id: str,
        action: Action,
        strength: Strength,
        actor: Actor,
        reason: str | None,
        expires_at: datetime | None,
    ) -> None:
        self.id, self.seq, self.channel, self.scope_id = id, seq, channel, scope_id
        self.action, self.strength, self.actor = action, strength, actor
        self.reason, self.expires_at = reason, expires_at


def event_of(row: ChainRow, actors: dict[tuple[object, object], Actor]) -> Folded | None:
    """What the folds need of a stored event; None when it holds a value no rule knows.

    ``actors`` keeps the actors seen so far (staff, keys and rules act again and again).
    """
    (_, _, _, _, channel, scope_id, action, strength, kind, actor_id, _, _, reason, _, _,
     expires, _) = row.fields  # fmt: skip
    try:
        actor = actors.get((kind, actor_id))
        if actor is None:
            actor = Actor(_ACTORS[kind], str(actor_id))
            if actor.kind is not ActorKind.CONTACT:  # a contact acts in their own chain only
                actors[(kind, actor_id)] = actor
        if not isinstance(scope_id, str) or not (reason is None or isinstance(reason, str)):
            raise TypeError("not a stored text")
        until = None if expires is None else _moment(expires)
        return Folded(
            row.event_id, row.seq, _CHANNELS[channel], scope_id, _ACTIONS[action],
            _STRENGTHS[strength], actor, reason, until,
        )  # fmt: skip
    except (KeyError, TypeError, OverflowError):
        return None


def _text(row: ChainRow, name: str) -> str | None:
    value = row.fields[_FIELDS.index(name)]
    return value if isinstance(value, str) else None


def _moment(value: object) -> datetime:
    if not isinstance(value, int):
        raise TypeError("not a stored time")
    return EPOCH + timedelta(microseconds=value)
