"""Ledger integrity: verify every chain, and the digest of every chain head (SPEC §1).

``verify`` recomputes each contact's chain in one snapshot and names the first altered,
inserted or deleted event; ``export_digest`` gives a value to keep out of band, so a rewrite
of events and heads together is caught later by ``verify(against=digest)``. The operator
covers the deployment; anyone else their own group (docs/decisions/009).
"""

from __future__ import annotations

from dataclasses import dataclass

from consentry.core.chain import Problem, Verifier, heads_digest
from consentry.core.errors import LedgerTampered
from consentry.core.permissions import Capability, Principal, Role, authorise
from consentry.ledger.context import Context


@dataclass(frozen=True, slots=True)
class Digest:
    """A digest of every chain head: keep it out of band to prove later tampering."""

    root: str
    contacts: int
    events: int
    heads: tuple[tuple[str, int, str], ...]


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What verification found: events checked, problems (first first), and the digest."""

    checked: int
    problems: tuple[Problem, ...]
    root: str

    @property
    def ok(self) -> bool:
        """True when nothing was altered, inserted or deleted."""
        return not self.problems

    @property
    def first(self) -> Problem | None:
        """The first problem found, if any."""
        return self.problems[0] if self.problems else None

    def raise_if_tampered(self) -> None:
        """Raise ``LedgerTampered`` naming the first problem."""
        if self.first is not None:
            p = self.first
            raise LedgerTampered(
                f"{p.kind} event {p.event_id or '?'} (contact {p.contact_id}, number {p.seq}): "
                f"{p.detail}",
                event_id=p.event_id,
                contact_id=p.contact_id,
                seq=p.seq,
                kind=p.kind,
                problems=len(self.problems),
            )


def export_digest(ctx: Context, principal: Principal) -> Digest:
    """The digest of every chain head now (store it elsewhere; verify against it later).

    The operator's digest covers the deployment; an admin's covers their group only.
    """
    authorise(principal, Capability.VERIFY)
    with ctx.store.chain(_group_of(principal)) as chain:
        heads = tuple(chain.heads())
    return Digest(heads_digest(heads), len(heads), sum(seq for _, seq, _ in heads), heads)


def verify(ctx: Context, principal: Principal, *, against: Digest | None = None) -> VerifyReport:
    """Recompute every chain; name the first altered, inserted or deleted event."""
    authorise(principal, Capability.VERIFY)
    verifier = Verifier()
    with ctx.store.chain(_group_of(principal)) as chain:
        verifier.feed(chain.rows())
        stored = list(chain.heads())
        verifier.compare_heads(stored)
        if against is not None:
            verifier.compare_digest(against.heads, chain.event_hash)
    problems = [p for p in verifier.problems if _visible(principal, p)]
    return VerifyReport(verifier.checked, tuple(problems), heads_digest(stored))


def _visible(principal: Principal, problem: Problem) -> bool:
    if principal.role is Role.SYSTEM or problem.group_id is None:
        return True
    return problem.group_id == principal.group_id


def _group_of(principal: Principal) -> str | None:
    """Whose chains a principal verifies: the operator all of them, anyone else their group's."""
    return None if principal.role is Role.SYSTEM else principal.group_id
