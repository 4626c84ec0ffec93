"""The use cases, one method per verb, behind the ``Ledger`` facade (STYLE §2).

A ``Ledger`` is built by ``bootstrap.build`` (or ``consentry.open_ledger``) from ports: the
store (also the unit of work), a clock and the address adapter. Every command takes the
calling ``Principal`` first; refusals are ``ConsentryError``s with stable codes, answers are
values.
"""

from __future__ import annotations

from consentry.ledger.consent import ConsentCommands
from consentry.ledger.contacts import ContactCommands
from consentry.ledger.idempotency import IdempotencyKeys
from consentry.ledger.inbound import InboundCommands
from consentry.ledger.integrity import Digest, Integrity, VerifyReport
from consentry.ledger.keys import KeyCommands
from consentry.ledger.preferences import PreferenceCommands
from consentry.ledger.reads import Audience, CheckRequest, Reads, StatusAt

__all__ = ["Audience", "CheckRequest", "Digest", "Ledger", "StatusAt", "VerifyReport"]


class Ledger(
    PreferenceCommands,
    ContactCommands,
    ConsentCommands,
    Reads,
    Integrity,
    KeyCommands,
    IdempotencyKeys,
    InboundCommands,
):
    """Consentry as a library: every use case as a method."""
