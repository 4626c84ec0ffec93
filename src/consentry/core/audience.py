"""Audiences: who a broadcast is for, and the set-based question asked of the store (SPEC §5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from consentry.core.channels import Channel
from consentry.core.eligibility import Reason


@dataclass(frozen=True, slots=True)
class Segment:
    """Who a broadcast is for, before consent: all contacts, ids, addresses, a list, an attribute.

    Contact ids, emails and mobiles together name the members (any of them); a list name and
    an attribute narrow that set, or the whole group when no member is named (AND). An empty
    segment means every contact of the group. Unknown addresses are counted, not an error.
    """

    contact_ids: Sequence[str] | None = None
    emails: Sequence[str] | None = None
    mobiles: Sequence[str] | None = None
    list_name: str | None = None
    attribute: tuple[str, str] | None = None


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


@dataclass(frozen=True, slots=True)
class AudienceRow:
    """One contact of a segment with the eligibility reason the store computed."""

    contact_id: str
    reason: Reason
    address: str | None
