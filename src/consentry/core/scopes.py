"""Scopes: who a message comes from, as a tree group → client → user (seeds/004).

A scope id is its path: ``acme`` (a group), ``acme/newsletters`` (a client of acme),
``acme/newsletters/ada`` (a user of that client). The path to the group is therefore
known from the id alone, which keeps eligibility a single indexed lookup with no join.
Segments are lower-case slugs; a scope's display name is separate and may change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from consentry.core.errors import InvalidScope

SEGMENT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class ScopeKind(StrEnum):
    """The three levels of the scope tree. Add, never rename or remove."""

    GROUP = "group"
    CLIENT = "client"
    USER = "user"


KIND_BY_DEPTH = (ScopeKind.GROUP, ScopeKind.CLIENT, ScopeKind.USER)


@dataclass(frozen=True, slots=True)
class Scope:
    """A node of the scope tree."""

    id: str
    name: str

    @property
    def kind(self) -> ScopeKind:
        """Group, client or user, from the depth of the id."""
        return scope_kind(self.id)

    @property
    def group_id(self) -> str:
        """The group this scope belongs to."""
        return group_of(self.id)

    @property
    def parent_id(self) -> str | None:
        """The scope above this one, or ``None`` for a group."""
        return parent_of(self.id)


def parse_scope_id(value: str) -> str:
    """Validate a scope id (``group[/client[/user]]``) and return it normalised."""
    text = value.strip().strip("/").lower()
    parts = text.split("/")
    if not 1 <= len(parts) <= len(KIND_BY_DEPTH) or not all(SEGMENT.match(p) for p in parts):
        raise InvalidScope(
            f"scope id {value!r} must be group, group/client or group/client/user, "
            "each a lower-case slug of letters, digits, '-' or '_'"
        )
    return text


def scope_kind(scope_id: str) -> ScopeKind:
    """The kind of a scope, from its depth."""
    return KIND_BY_DEPTH[scope_id.count("/")]


def group_of(scope_id: str) -> str:
    """The group at the root of a scope's path."""
    return scope_id.split("/", 1)[0]


def parent_of(scope_id: str) -> str | None:
    """The parent scope id, or ``None`` for a group."""
    head, sep, _ = scope_id.rpartition("/")
    return head if sep else None


def path_to_root(scope_id: str) -> tuple[str, ...]:
    """The scope and every scope above it, nearest first: user, client, group."""
    parts = scope_id.split("/")
    return tuple("/".join(parts[:n]) for n in range(len(parts), 0, -1))


def is_within(scope_id: str, ancestor_id: str) -> bool:
    """True when ``scope_id`` is ``ancestor_id`` or below it."""
    return scope_id == ancestor_id or scope_id.startswith(ancestor_id + "/")
