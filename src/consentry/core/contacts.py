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
from consentry.core.eligibility import Reason


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

    def erased(self, at: datetime) -> Contact:
        """The contact with every personal detail gone (GDPR Art. 17; decision 072).

        What stays is what is not personal data: the id, the group and when it was added; the
        keyed hashes of its addresses are kept by the store, not here.
        """
        return Contact(self.id, self.group_id, created_at=self.created_at, erased_at=at)


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


#: The answers a status filter may ask for: those of a marketing send (SPEC §5).
STATUS_REASONS = frozenset(
    {
        Reason.OPTED_IN,
        Reason.PENDING,
        Reason.NO_CONSENT,
        Reason.SOFT_OPT_OUT,
        Reason.HARD_OPT_OUT,
        Reason.BOUNCED,
        Reason.COMPLAINED,
        Reason.NO_ADDRESS,
    }
)


@dataclass(frozen=True, slots=True)
class StatusFilter:
    """Contacts whose opt-in status on ``channel`` is one of ``reasons``.

    The status is what a marketing send on the channel from ``scope_id`` would get, the icon of
    the Opt-In Status column (decisions 065, 067): an opt-out anywhere on the path up to the
    group wins, then an opt-in, then an open confirmation request. ``scope_id`` is the caller's
    own scope unless given; ``now`` (when a confirmation request counts as expired) is the
    ledger's clock, filled in by the use case.
    """

    channel: Channel
    reasons: frozenset[Reason]
    scope_id: str | None = None
    now: datetime | None = None


@dataclass(frozen=True, slots=True)
class ContactFilter:
    """Filters for listing contacts (all optional, combined with AND)."""

    email: str | None = None
    mobile: str | None = None
    external_id: str | None = None
    list_name: str | None = None
    opted_out_channel: Channel | None = None  #: opted out on the channel at any scope
    after: str | None = None
    limit: int = 100
    status: StatusFilter | None = None
    #: The one contact the email or mobile names, found by the use case through its address
    #: key (the keyed hash, an index) so a typed address never scans the group's contacts.
    contact_id: str | None = None


@dataclass(frozen=True, slots=True)
class ContactPage:
    """A page of contacts in id order, and the ``after`` of the next page (None: no more).

    A page filtered by status may hold fewer than its limit and still have a next page: the
    store stops reading after a bounded number of contacts, so a rare status never costs a scan
    of the whole group in one request (decision 067).
    """

    contacts: list[Contact]
    next_after: str | None
