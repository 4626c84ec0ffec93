"""Opt-out activity: every opt-out recorded at a scope and below it (SPEC §6; seeds/004).

"If you are an admin user, you can view all levels of opt outs from Group or Client level
dependent on your rights": an ``OptOut`` is one opt-out event as that report lists it, with
its level (group, client or user, from the depth of its scope) and its strength (hard: the
contact's own; soft: by staff). ``OptOutFilter`` is the question asked of the store: one
group's opt-outs at a scope or below it, in a window of recorded time, newest first, a page
at a time after a cursor (docs/decisions/062).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from consentry.core.channels import Channel
from consentry.core.events import ActorKind, Source, Strength
from consentry.core.scopes import ScopeKind, scope_kind

MAX_PAGE = 1000  #: the most opt-outs one read returns


@dataclass(frozen=True, slots=True)
class OptOut:
    """One opt-out event as the activity report shows it (no personal data, no evidence)."""

    event_id: str
    contact_id: str
    recorded_at: datetime
    occurred_at: datetime
    channel: Channel
    scope_id: str
    strength: Strength
    source: Source
    actor_kind: ActorKind
    recorded_by: str

    @property
    def level(self) -> ScopeKind:
        """Group, client or user: the level of the account hierarchy the contact left."""
        return scope_kind(self.scope_id)

    @property
    def hard(self) -> bool:
        """True when the contact opted out themselves (staff cannot reverse it)."""
        return self.strength is Strength.HARD


@dataclass(frozen=True, slots=True)
class OptOutFilter:
    """Which opt-outs of a group to read: at ``scope_id`` or below, recorded in
    ``[since, until)``, on one channel or all, newest first after the event ``after``."""

    scope_id: str
    since: datetime | None = None
    until: datetime | None = None
    channel: Channel | None = None
    after: str | None = None
    limit: int = 100
