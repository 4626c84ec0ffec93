"""Contacts: a person known to one group, and the addresses we may reach them at.

A contact belongs to exactly one group; a deployment can host many groups, which never see
each other's contacts. Addresses are normalised before they get here (email lower-cased,
mobile in E.164) by the address adapter; this module only holds the values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from consentry.core.channels import Channel


@dataclass(frozen=True, slots=True)
class Contact:
    """A person, known to one group."""

    id: str
    group_id: str
    email: str | None = None
    mobile: str | None = None
    external_id: str | None = None
    name: str | None = None
    locale: str | None = None
    postal_address: str | None = None
    push_token: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    lists: frozenset[str] = frozenset()
    created_at: datetime | None = None
    erased_at: datetime | None = None

    def address(self, channel: Channel) -> str | None:
        """The address this contact has for a channel, if any."""
        if self.erased_at is not None:
            return None
        value: str | None = getattr(self, channel.address_field)
        return value or None

    def with_changes(self, **changes: Any) -> Contact:
        """A copy with some fields replaced."""
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class ContactDetails:
    """What a caller gives to create or update a contact, before normalisation."""

    email: str | None = None
    mobile: str | None = None
    external_id: str | None = None
    name: str | None = None
    locale: str | None = None
    postal_address: str | None = None
    push_token: str | None = None
    attributes: Mapping[str, Any] | None = None
    lists: Sequence[str] | None = None


@dataclass(frozen=True, slots=True)
class ContactFilter:
    """Filters for listing contacts (all optional, combined with AND)."""

    email: str | None = None
    mobile: str | None = None
    external_id: str | None = None
    list_name: str | None = None
    opted_out_channel: Channel | None = None
    after: str | None = None
    limit: int = 100
