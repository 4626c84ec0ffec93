"""Ledger verification and digests (admins): prove the ledger was not altered (SPEC §2)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from consentry.api.deps import LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS

router = APIRouter(prefix="/v1/ledger", tags=["ledger"], responses=COMMON_ERRORS)


class ProblemOut(BaseModel):
    """One finding: which event (or place) was altered, inserted or deleted.

    A finding about the projection (``projection_altered``, ``projection_deleted``,
    ``projection_inserted``, ``projection_unverifiable``) also names its row: the channel, and
    the scope of a consents row (``null`` for a suppression, which is per channel).
    """

    kind: str
    contact_id: str
    seq: int
    event_id: str | None
    detail: str
    channel: str | None = None
    scope_id: str | None = None


class VerifyOut(BaseModel):
    """What verification found."""

    ok: bool
    checked: int
    root: str
    problems: list[ProblemOut]
    rows: int = 0  # projection rows compared with the fold of the events
    erased: int = 0  # contacts erased (decision 072): their chains verify
    erased_evidence: int = 0  # events whose evidence their contact's erasure removed


class DigestOut(BaseModel):
    """The digest of every chain head now: keep ``root`` elsewhere to prove later tampering."""

    root: str
    contacts: int
    events: int


@router.get("/verify", response_model=VerifyOut)
def verify(ledger: LedgerDep, principal: PrincipalDep) -> VerifyOut:
    """Recompute every chain and the projection; name every altered, inserted or deleted
    event and every projection row that differs from the events."""
    report = ledger.verify(principal)
    problems = [
        ProblemOut(
            kind=p.kind,
            contact_id=p.contact_id,
            seq=p.seq,
            event_id=p.event_id,
            detail=p.detail,
            channel=p.channel,
            scope_id=p.scope_id,
        )
        for p in report.problems
    ]
    return VerifyOut(
        ok=report.ok,
        checked=report.checked,
        root=report.root,
        problems=problems,
        rows=report.rows,
        erased=report.erased,
        erased_evidence=report.erased_evidence,
    )


@router.get("/digest", response_model=DigestOut)
def digest(ledger: LedgerDep, principal: PrincipalDep) -> DigestOut:
    """The digest of every chain head."""
    found = ledger.export_digest(principal)
    return DigestOut(root=found.root, contacts=found.contacts, events=found.events)
