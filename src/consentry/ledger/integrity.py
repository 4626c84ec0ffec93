"""Ledger integrity: verify every chain, and the digest of every chain head (SPEC §1).

``verify`` recomputes each contact's chain in one snapshot and names the first altered,
inserted or deleted event; in the same pass it folds the events again and names every
projection row (consents, suppressions) that differs, and every contact whose whole chain is
missing (docs/decisions/059). ``export_digest`` gives a value to keep out of band, so a rewrite
of events and heads together is caught later by ``verify(against=digest)``. The operator
covers the deployment; anyone else their own group (docs/decisions/009).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from consentry.core import limits
from consentry.core.chain import Problem, Verifier, heads_digest
from consentry.core.errors import LedgerTampered
from consentry.core.permissions import Capability, Principal, Role, authorise
from consentry.core.projection import Head, ProjectionCheck, by_contact
from consentry.ledger.context import Context
from consentry.ledger.steps import load_contact


@dataclass(frozen=True, slots=True)
class Digest:
    """A digest of every chain head: keep it out of band to prove later tampering."""

    root: str
    contacts: int
    events: int
    heads: tuple[tuple[str, int, str], ...]


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What verification found: events checked, problems (first first), and the digest.

    The chain's problems come first (they name events), then the projection's (they name a
    contact's channel and scope); ``rows`` is how many projection rows were compared.
    """

    checked: int
    problems: tuple[Problem, ...]
    root: str
    rows: int = 0
    erased: int = 0  #: contacts erased (decision 072): their events verify, evidence removed
    erased_evidence: int = 0  #: events whose evidence an erasure removed (not tampering)

    @property
    def ok(self) -> bool:
        """True when nothing was altered, inserted or deleted: events, heads or projection."""
        return not self.problems

    @property
    def first(self) -> Problem | None:
        """The first problem found, if any."""
        return self.problems[0] if self.problems else None

    def raise_if_tampered(self) -> None:
        """Raise ``LedgerTampered`` naming the first problem."""
        if self.first is not None:
            p = self.first
            where = f"number {p.seq}" if p.channel is None else row_of(p)
            raise LedgerTampered(
                f"{p.kind} event {p.event_id or '?'} (contact {p.contact_id}, {where}): {p.detail}",
                event_id=p.event_id,
                contact_id=p.contact_id,
                seq=p.seq,
                kind=p.kind,
                channel=p.channel,
                scope_id=p.scope_id,
                problems=len(self.problems),
            )


def row_of(problem: Problem) -> str:
    """The projection row a problem names: ``sms at acme/news``, or ``sms suppression``."""
    if problem.scope_id is None:
        return f"{problem.channel} suppression"
    return f"{problem.channel} at {problem.scope_id}"


def export_digest(ctx: Context, principal: Principal) -> Digest:
    """The digest of every chain head now (store it elsewhere; verify against it later).

    The operator's digest covers the deployment; an admin's covers their group only.
    """
    authorise(principal, Capability.VERIFY)
    return group_digest(ctx, _group_of(principal))


def group_digest(ctx: Context, group_id: str | None) -> Digest:
    """The digest of one group's chain heads (``None``: every group's), in one snapshot.

    No authorisation: for use cases that have authorised their caller (the proof of consent
    shows the digest of the contact's group to anyone who may view the contact, decision 069).
    """
    with ctx.store.chain(group_id) as chain:
        heads = tuple(chain.heads())
    return Digest(heads_digest(heads), len(heads), sum(seq for _, seq, _ in heads), heads)


def verify(ctx: Context, principal: Principal, *, against: Digest | None = None) -> VerifyReport:
    """Recompute every chain and the projection; name the first altered, inserted or deleted
    event, and every projection row that differs from the fold of the events.

    One snapshot, one pass: the streams (events, heads, contacts, consents, suppressions), each
    in contact order, are merged contact by contact; no query per contact.
    """
    authorise(principal, Capability.VERIFY)
    return _verify(ctx, principal, None, against)


def verify_contact(ctx: Context, principal: Principal, contact_id: str) -> VerifyReport:
    """The same checks over one contact's chain and projection: the profile's verdict.

    Anyone who may view the contact may ask (the answer names no other contact's events).
    """
    authorise(principal, Capability.VIEW)
    limits.text(contact_id, field="contact", max_length=limits.ID)
    with ctx.store.transaction(write=False) as tx:
        load_contact(tx, principal, contact_id)
    return _verify(ctx, principal, contact_id, None)


def _verify(
    ctx: Context, principal: Principal, contact_id: str | None, against: Digest | None
) -> VerifyReport:
    verifier, projection = Verifier(), ProjectionCheck()
    stored: list[Head] = []
    with ctx.store.chain(_group_of(principal), contact_id) as chain:
        merged = by_contact(
            chain.rows(),
            _kept(chain.heads(), stored),
            chain.contacts(),
            chain.consent_rows(),
            chain.suppression_rows(),
        )
        for contact in merged:
            verifier.feed(contact.events)
            projection.check(contact)
        verifier.compare_heads(stored)
        if against is not None:
            verifier.compare_digest(against.heads, chain.event_hash)
    found = [*verifier.problems, *projection.problems]
    problems = tuple(p for p in found if _visible(principal, p))
    return VerifyReport(
        verifier.checked,
        problems,
        heads_digest(stored),
        projection.checked,
        erased=verifier.erased,
        erased_evidence=verifier.erased_evidence,
    )


def _kept(heads: Iterable[Head], into: list[Head]) -> Iterator[Head]:
    """The heads as the store streams them, each also kept (in the store's order: the root)."""
    for head in heads:
        into.append(head)
        yield head


def _visible(principal: Principal, problem: Problem) -> bool:
    if principal.role is Role.SYSTEM or problem.group_id is None:
        return True
    return problem.group_id == principal.group_id


def _group_of(principal: Principal) -> str | None:
    """Whose chains a principal verifies: the operator all of them, anyone else their group's."""
    return None if principal.role is Role.SYSTEM else principal.group_id
