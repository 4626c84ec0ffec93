"""Kept evidence files: the uploaded copy of a contact's written permission (decision 067).

An opt-in or re-subscribe given an ``Attachment`` keeps it (``consent.py``, in the event's own
transaction). Here, anyone who may view the contact reads it back: by the contact and the
SHA-256 its event's evidence names, hashed again before it is handed over, so altered bytes are
refused (``evidence_file_altered``), never served.
"""

from __future__ import annotations

from consentry.core.errors import EvidenceFileNotFound
from consentry.core.evidence import EvidenceFile, check_sha256
from consentry.core.permissions import Capability, Principal, authorise
from consentry.ledger.context import Context
from consentry.ledger.steps import load_contact


def evidence_file(ctx: Context, principal: Principal, contact_id: str, sha256: str) -> EvidenceFile:
    """The contact's kept file with this SHA-256, its bytes checked against it."""
    authorise(principal, Capability.VIEW)
    digest = check_sha256(sha256)
    with ctx.store.transaction(write=False) as tx:
        contact = load_contact(tx, principal, contact_id)
        found = tx.evidence_file(contact.id, digest)
    if found is None:
        raise EvidenceFileNotFound(
            f"no kept file {digest} for contact {contact.id!r}", contact_id=contact.id
        )
    return found.verified()


def kept_evidence_files(ctx: Context, principal: Principal, contact_id: str) -> list[str]:
    """The SHA-256 of every file kept for the contact (its history links to these)."""
    authorise(principal, Capability.VIEW)
    with ctx.store.transaction(write=False) as tx:
        contact = load_contact(tx, principal, contact_id)
        return tx.kept_evidence_files(contact.id)
