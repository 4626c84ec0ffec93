"""Tiny builders for tests: principals, scope trees, contacts (RFC 2606 names, reserved numbers)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from consentry.contacts import Contact, ContactDetails
from consentry.ledger import Ledger
from consentry.permissions import Principal, Role

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

#: acme: newsletters (users ada, alan) and events (user bob); globex: another group entirely.
SCOPES = (
    "acme",
    "acme/newsletters",
    "acme/newsletters/ada",
    "acme/newsletters/alan",
    "acme/events",
    "acme/events/bob",
    "globex",
    "globex/sales",
)

WRITTEN = {"written_permission": "Email of 2026-01-02: 'Yes, please text me offers.'"}


def system(group: str = "acme") -> Principal:
    """The deployment operator, for one group."""
    return Principal(Role.SYSTEM, group, "operator")


def admin(scope: str = "acme") -> Principal:
    """An admin bound to a scope."""
    return Principal(Role.ADMIN, scope, f"admin@{scope}")


def staff(scope: str = "acme") -> Principal:
    """A staff member bound to a scope."""
    return Principal(Role.STAFF, scope, f"staff@{scope}")


def viewer(scope: str = "acme") -> Principal:
    """A read-only user."""
    return Principal(Role.VIEWER, scope, f"viewer@{scope}")


def sender(scope: str = "acme") -> Principal:
    """A sending service's API key."""
    return Principal(Role.SENDER, scope, f"key-{scope}", via_key=True)


def as_contact(contact: Contact) -> Principal:
    """The contact themselves, as after following a signed link."""
    return Principal(Role.CONTACT, contact.group_id, contact.id, contact_id=contact.id)


def make_scopes(ledger: Ledger) -> None:
    """Create the acme and globex trees."""
    for scope_id in SCOPES:
        ledger.add_scope(system(scope_id.split("/")[0]), scope_id)


def make_contact(
    ledger: Ledger,
    email: str | None = "ada@example.com",
    mobile: str | None = "+447700900123",
    group: str = "acme",
    **more: Any,
) -> Contact:
    """Add a contact to a group."""
    details = ContactDetails(email=email, mobile=mobile, **more)
    return ledger.add_contact(staff(group), details)
