"""Consentry: the system of record for consent to contact people.

>>> from consentry import open_ledger, Principal, Role
>>> ledger = open_ledger("sqlite:///consentry.db")
"""

from __future__ import annotations

from consentry.bootstrap import open_ledger
from consentry.channels import Channel, ChannelPolicy
from consentry.clock import FixedClock, SystemClock
from consentry.contacts import Contact, ContactDetails
from consentry.eligibility import Category, Decision, Reason
from consentry.errors import ConsentryError
from consentry.events import Action, ActorKind, ConsentEvent, ResubscribeReason, Source, Strength
from consentry.ledger import Audience, CheckRequest, Digest, Ledger, StatusAt, VerifyReport
from consentry.permissions import Principal, Role
from consentry.ports import ContactFilter, Segment
from consentry.scopes import Scope, ScopeKind
from consentry.status import Status, Suppression

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
