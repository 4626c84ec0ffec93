"""Lifecycle rules: "when a contact … → set status S on channel C at scope X" (decision 077).

An admin defines a rule for a scope of the group; it fires on a contact added or updated
through the contacts commands, in the same transaction as the change:

    trigger                         fires when
    list_joined <list>              the list is among the contact's lists after, not before
    created                         the contact is added
    attribute_changed <name> [=V]   the attribute's value differs from before (and equals V)

What a firing does, by the rule's status and the consent it finds (``plan``):

    opted_out  soft opt-out on the channel at the scope; nothing when already opted out there
    opted_in   "revalidate": re-subscribe a soft opt-out at the scope, opt in where there is
               none (or pending); nothing when already opted in. The rule carries the admin's
               record of written permission (decision 056), required when it is made.
               A hard opt-out (the contact's own STOP), at the scope or above, is never
               lifted: the firing is skipped, ``hard_opt_out_locked``; a soft opt-out above
               the scope is skipped, ``opted_out_above`` (lift it there).

Editing a rule makes a new version; each event names the rule's id and version. Enum values
are stored strings: add, never rename or remove.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from consentry.core.channels import Channel
from consentry.core.contacts import Contact
from consentry.core.errors import Invalid
from consentry.core.events import Action
from consentry.core.status import Consent, Status


class TriggerKind(StrEnum):
    """What makes a rule fire. Add, never rename or remove."""

    LIST_JOINED = "list_joined"
    CREATED = "created"
    ATTRIBUTE_CHANGED = "attribute_changed"


class RuleStatus(StrEnum):
    """The status a rule sets. Add, never rename or remove."""

    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"


class SkipReason(StrEnum):
    """Why a firing changed nothing and was recorded as skipped. Add, never rename or remove."""

    HARD_OPT_OUT_LOCKED = "hard_opt_out_locked"
    OPTED_OUT_ABOVE = "opted_out_above"


@dataclass(frozen=True, slots=True)
class Trigger:
    """When a rule fires: a kind, the list or attribute it names, an attribute's value."""

    kind: TriggerKind
    name: str | None = None
    value: str | None = None

    def __post_init__(self) -> None:
        """Refuse a trigger that names too much or too little."""
        if self.kind is TriggerKind.CREATED and (self.name or self.value):
            raise Invalid("a 'created' trigger names no list or attribute", field="trigger")
        if self.kind is not TriggerKind.CREATED and not self.name:
            raise Invalid(f"a {self.kind.value!r} trigger names its list or attribute")
        if self.kind is TriggerKind.LIST_JOINED and self.value is not None:
            raise Invalid("a 'list_joined' trigger has no value", field="value")

    @property
    def label(self) -> str:
        """How an event's evidence names it: ``list_joined:vip``, ``created``, …"""
        return self.kind.value if self.name is None else f"{self.kind.value}:{self.name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One version of a lifecycle rule; ``permission`` is the admin's record (opted_in only)."""

    id: str
    version: int
    group_id: str
    scope_id: str
    trigger: Trigger
    channel: Channel
    status: RuleStatus
    permission: Mapping[str, Any] | None
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Skip:
    """A firing that changed nothing, and why."""

    id: str
    group_id: str
    rule_id: str
    rule_version: int
    contact_id: str
    trigger: str
    reason: SkipReason
    at: datetime


@dataclass(frozen=True, slots=True)
class RuleDetail:
    """A rule's current version and its most recent skipped firings, newest first."""

    rule: Rule
    skips: tuple[Skip, ...]


def fires(trigger: Trigger, before: Contact | None, after: Contact) -> bool:
    """True when the change from ``before`` (None: just added) to ``after`` fires it."""
    if trigger.kind is TriggerKind.CREATED:
        return before is None
    if trigger.kind is TriggerKind.LIST_JOINED:
        had = before is not None and trigger.name in before.lists
        return trigger.name in after.lists and not had
    old = _MISSING if before is None else before.attributes.get(str(trigger.name), _MISSING)
    new = after.attributes.get(str(trigger.name), _MISSING)
    if new is _MISSING or old == new:
        return False
    return trigger.value is None or value_text(new) == trigger.value


_MISSING = object()


def value_text(value: Any) -> str:
    """An attribute value as a trigger compares it: text as is, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def plan(status: RuleStatus, own: Consent, governing: Consent) -> Action | SkipReason | None:
    """What a firing records at its scope: an action, a skip, or nothing (None).

    ``own`` is the consent at the rule's scope, ``governing`` the one that decides there (a
    hard opt-out anywhere on the path, else a soft one, else its own; ``transitions.governing``).
    """
    if status is RuleStatus.OPTED_OUT:
        return None if own.status.is_opt_out else Action.OPTED_OUT
    if governing.status is Status.HARD_OPT_OUT:
        return SkipReason.HARD_OPT_OUT_LOCKED
    if own.status is Status.SOFT_OPT_OUT:
        return Action.RESUBSCRIBED
    if governing.status is Status.SOFT_OPT_OUT:
        return SkipReason.OPTED_OUT_ABOVE
    return None if own.status is Status.OPTED_IN else Action.OPTED_IN
