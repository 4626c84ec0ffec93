"""Consentry: the system of record for consent to contact people.

>>> from consentry import open_ledger, Principal, Role
>>> ledger = open_ledger("sqlite:///consentry.db")
"""

from __future__ import annotations

from consentry.adapters.clock import FixedClock, SystemClock
from consentry.bootstrap import open_ledger
from consentry.core.audience import Segment
from consentry.core.channels import Channel, ChannelPolicy
from consentry.core.contacts import Contact, ContactDetails, ContactFilter
from consentry.core.eligibility import Category, Decision, Reason
from consentry.core.errors import ConsentryError
from consentry.core.events import (
    Action,
    ActorKind,
    ConsentEvent,
    ResubscribeReason,
    Source,
    Strength,
)
from consentry.core.permissions import Principal, Role
from consentry.core.scopes import Scope, ScopeKind
from consentry.core.status import Status, Suppression
from consentry.ledger import Audience, CheckRequest, Digest, Ledger, StatusAt, VerifyReport

__all__ = [
    "Action",
    "ActorKind",
    "Audience",
    "Category",
    "Channel",
    "ChannelPolicy",
    "CheckRequest",
    "ConsentEvent",
    "ConsentryError",
    "Contact",
    "ContactDetails",
    "ContactFilter",
    "Decision",
    "Digest",
    "FixedClock",
    "Ledger",
    "Principal",
    "Reason",
    "ResubscribeReason",
    "Role",
    "Scope",
    "ScopeKind",
    "Segment",
    "Source",
    "Status",
    "StatusAt",
    "Strength",
    "Suppression",
    "SystemClock",
    "VerifyReport",
    "open_ledger",
]
