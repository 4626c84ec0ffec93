"""Ledger integrity: verify every chain, and the digest of every chain head (SPEC §1).

``verify`` recomputes each contact's chain in one snapshot and names the first altered,
inserted or deleted event; in the same pass it folds the events again and names every
projection row (consents, suppressions) that differs, and every contact whose whole chain is
missing (docs/decisions/059). ``export_digest`` gives a value to keep out of band, so a rewrite
of events and heads together is caught later by ``verify(against=digest)``. The operator
covers the deployment; anyone else their own group (docs/decisions/009).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from consentry.core import limits
from consentry.core.chain import Between, Problem, Verifier, heads_digest
from consentry.core.errors import LedgerTampered
from consentry.core.permissions import Capability, Principal, Role, authorise
from consentry.core.projection import Head, ProjectionCheck, by_contact
from consentry.ledger.context import Context
from consentry.ledger.ports import ChainReader, Store
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
    with ctx.store.chain(_group_of(principal), contact_id) as chain:
        part = verify_part(chain)
        digest = _digest_problems(chain, against)
    return _report(principal, [part], digest)


@dataclass(frozen=True, slots=True)
class VerifyPart:
    """What verifying the contacts of one id range found, each kind of finding kept apart so
    that parts in id order merge into exactly the serial report (``verify_parallel``)."""

    checked: int
    events: tuple[Problem, ...]  # found in the events themselves, in contact order
    heads: tuple[Problem, ...]  # a stored head against its chain's end
    headless: tuple[Problem, ...]  # chains that no stored head names
    projection: tuple[Problem, ...]
    stored: tuple[Head, ...]  # the stored heads, in contact order (the root)
    rows: int
    erased: int
    erased_evidence: int


def verify_part(chain: ChainReader) -> VerifyPart:
    """Verify everything ``chain`` streams: one pass over its contacts, no query per contact."""
    verifier, projection = Verifier(), ProjectionCheck()
    stored: list[Head] = []
    merged = by_contact(
        chain.rows(),
        _kept(chain.heads(), stored),
        chain.contacts(),
        chain.consent_rows(),
        chain.suppression_rows(),
    )
    feed, check = verifier.feed, projection.check  # once per contact of the ledger
    for contact in merged:
        feed(contact.events)
        check(contact)
    verifier.close()
    events = len(verifier.problems)
    unseen = verifier.compare_stored(stored)
    heads = len(verifier.problems)
    verifier.report_unseen(unseen)
    found = verifier.problems
    return VerifyPart(
        verifier.checked,
        tuple(found[:events]),
        tuple(found[events:heads]),
        tuple(found[heads:]),
        tuple(projection.problems),
        tuple(stored),
        projection.checked,
        verifier.erased,
        verifier.erased_evidence,
    )


PART_CONTACTS = 20_000  # fewer contacts per range than this: worker start-up outweighs the gain
#: Runs ``verify_range`` over each contact-id range of a group (None: all), e.g. in worker
#: processes of their own; gives the parts back in the order of the ranges.
PartRunner = Callable[[str | None, Sequence[Between]], Iterable[VerifyPart]]


def verify_parallel(
    ctx: Context,
    principal: Principal,
    run_parts: PartRunner,
    *,
    jobs: int,
    against: Digest | None = None,
    smallest: int = PART_CONTACTS,
) -> VerifyReport:
    """``verify`` over ``jobs`` contact-id ranges, each verified by ``run_parts`` (the CLI: one
    worker process per range, each with its own connection); the same report as ``verify``.

    Each range is read in one snapshot of its own: a contact's events, head and projection
    rows are written in one transaction, so they are always seen together, and a write landing
    meanwhile is never mistaken for tampering (decision 084). Ranges split at contact ids,
    each of at least ``smallest`` contacts; a ledger too small for two is verified here.
    """
    authorise(principal, Capability.VERIFY)
    group_id = _group_of(principal)
    with ctx.store.chain(group_id) as chain:
        bounds = chain.bounds(jobs, smallest)
        if not bounds:  # one range: verified here, in this snapshot, as ``verify`` does
            return _report(principal, [verify_part(chain)], _digest_problems(chain, against))
    ranges = list(zip([None, *bounds], [*bounds, None], strict=True))
    parts = list(run_parts(group_id, ranges))
    with ctx.store.chain(group_id) as chain:
        digest = _digest_problems(chain, against)
    return _report(principal, parts, digest)


def verify_range(store: Store, group_id: str | None, between: Between) -> VerifyPart:
    """One range of a ``verify_parallel`` that has authorised its caller (no check here)."""
    with store.chain(group_id) as chain:
        return verify_part(chain.within(between))


def _digest_problems(chain: ChainReader, against: Digest | None) -> list[Problem]:
    if against is None:
        return []
    verifier = Verifier()
    verifier.compare_digest(against.heads, chain.event_hash)
    return verifier.problems


def _report(
    principal: Principal, parts: Sequence[VerifyPart], digest: Sequence[Problem]
) -> VerifyReport:
    """The parts (in contact order) as one report: chain findings first, then the digest's,
    then the projection's (``first`` names an edited event before the rows it no longer
    explains)."""
    found = [
        *(p for part in parts for p in part.events),
        *(p for part in parts for p in part.heads),
        *(p for part in parts for p in part.headless),
        *digest,
        *(p for part in parts for p in part.projection),
    ]
    stored = [head for part in parts for head in part.stored]
    return VerifyReport(
        sum(part.checked for part in parts),
        tuple(p for p in found if _visible(principal, p)),
        heads_digest(stored),
        sum(part.rows for part in parts),
        erased=sum(part.erased for part in parts),
        erased_evidence=sum(part.erased_evidence for part in parts),
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
