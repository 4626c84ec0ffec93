"""Audiences: who a broadcast is for, and the set-based question asked of the store (SPEC §5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from consentry.core import limits
from consentry.core.channels import Channel
from consentry.core.eligibility import Reason
from consentry.core.errors import Invalid


@dataclass(frozen=True, slots=True)
class Segment:
    """Who a broadcast is for, before consent: all contacts, ids, addresses, a list, attributes.

    Contact ids, emails and mobiles together name the members (any of them); a list name and
    attribute pairs narrow that set, or the whole group when no member is named (AND: every
    pair must match, at most ``limits.MAX_SEGMENT_ATTRIBUTES`` of them). An empty segment means
    every contact of the group. Unknown addresses are counted, not an error.

    ``attribute`` is the one pair of segments from before several could be given; it counts as
    the first of ``pairs``.
    """

    contact_ids: Sequence[str] | None = None
    emails: Sequence[str] | None = None
    mobiles: Sequence[str] | None = None
    list_name: str | None = None
    attribute: tuple[str, str] | None = None
    attributes: Sequence[tuple[str, str]] = ()

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """Every (name, value) the contacts' attributes must hold, each once, in order."""
        given = ([self.attribute] if self.attribute is not None else []) + list(self.attributes)
        return tuple(dict.fromkeys(given))


def check_segment(segment: Segment) -> None:
    """Refuse a segment's list name and attribute pairs the store cannot look up (050): text of
    their columns' length, at most ``limits.MAX_SEGMENT_ATTRIBUTES`` pairs (``too_many_items``)."""
    limits.optional_text(segment.list_name, field="list", max_length=limits.NAME)
    if isinstance(segment.attributes, (str, bytes)):
        raise Invalid("attributes must be a collection of (name, value) pairs", field="attributes")
    given = ([segment.attribute] if segment.attribute is not None else []) + list(
        segment.attributes
    )
    limits.items(given, field="attributes", max_items=limits.MAX_SEGMENT_ATTRIBUTES)
    for pair in given:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise Invalid("an attribute is a (name, value) pair", field="attributes")
        limits.text(pair[0], field="attribute", max_length=limits.NAME)
        limits.text(pair[1], field="attribute", max_length=limits.ATTRIBUTE_VALUE)


@dataclass(frozen=True, slots=True)
class AudienceQuery:
    """A set-based eligibility question for the store."""

    group_id: str
    channel: Channel
    path: tuple[str, ...]
    now: datetime
    transactional_bypass: bool
    confirmation_only: bool
    segment: Segment = field(default_factory=Segment)


class AudienceRow(NamedTuple):
    """One contact of a segment with the eligibility reason the store computed.

    A named tuple, not a dataclass: the store makes one per contact of an audience of millions
    straight from the driver's row, and a tuple is the cheapest object to make.
    """

    contact_id: str
    reason: Reason
    address: str | None
