"""Deliverability reports and ledger integrity: bounces, complaints, verify, digest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from consentry.core.chain import Problem, Verifier, heads_digest
from consentry.core.channels import Channel, parse_channel
from consentry.core.errors import EvidenceRequired, LedgerTampered
from consentry.core.events import Action, ClearReason, ConsentEvent, Source, has_evidence
from consentry.core.permissions import Capability, Principal, Role, authorise
from consentry.core.status import NO_CONSENT
from consentry.ledger.base import Change, LedgerBase


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


class Integrity(LedgerBase):
    """Bounces, complaints, suppression clearing; verification and digests."""

    def record_bounce(
        self,
        principal: Principal,
        contact_id: str,
        channel: str | Channel,
        evidence: Mapping[str, Any] | None = None,
    ) -> ConsentEvent:
        """A hard bounce or invalid number: the address is suppressed on that channel."""
        return self._suppress(principal, contact_id, channel, Action.BOUNCED, evidence, None)

    def record_complaint(
        self,
        principal: Principal,
        contact_id: str,
        channel: str | Channel,
        evidence: Mapping[str, Any] | None = None,
    ) -> ConsentEvent:
        """A spam complaint: the address is suppressed on that channel."""
        return self._suppress(principal, contact_id, channel, Action.COMPLAINED, evidence, None)

    def clear_suppression(
        self,
        principal: Principal,
        contact_id: str,
        channel: str | Channel,
        evidence: Mapping[str, Any] | None,
    ) -> ConsentEvent:
        """An admin's recorded decision to lift a bounce or complaint (with evidence)."""
        if not has_evidence(evidence):
            raise EvidenceRequired("lifting a suppression needs the admin's recorded reason")
        return self._suppress(
            principal,
            contact_id,
            channel,
            Action.SUPPRESSION_CLEARED,
            evidence,
            ClearReason.ADMIN_DECISION.value,
        )

    def _suppress(
        self,
        principal: Principal,
        contact_id: str,
        channel: str | Channel,
        action: Action,
        evidence: Mapping[str, Any] | None,
        reason: str | None,
    ) -> ConsentEvent:
        chan = self.policy.require_enabled(parse_channel(str(channel)))
        needed = (
            Capability.CLEAR_SUPPRESSION
            if action is Action.SUPPRESSION_CLEARED
            else Capability.REPORT_DELIVERY
        )
        # a suppression is group-wide: lifting one needs reach over the group, reporting one not
        at_group = principal.group_id if needed is Capability.CLEAR_SUPPRESSION else None
        authorise(principal, needed, at_group)
        source = Source.BOUNCE_FEED if action is not Action.SUPPRESSION_CLEARED else Source.API
        with self.store.transaction() as tx:
            contact = self._contact(tx, principal, contact_id)
            head = tx.lock_chain(contact.id)
            change = Change(
                contact,
                chan,
                contact.group_id,
                action,
                principal.actor,
                principal.id,
                source,
                reason=reason,
                evidence=evidence,
            )
            event = self._record(tx, head, change, NO_CONSENT)
            tx.commit()
        return event

    def export_digest(self, principal: Principal) -> Digest:
        """The digest of every chain head now (store it elsewhere; verify against it later).

        The operator's digest covers the deployment; an admin's covers their group only.
        """
        authorise(principal, Capability.VERIFY)
        with self.store.chain(_group_of(principal)) as chain:
            heads = tuple(chain.heads())
        return Digest(heads_digest(heads), len(heads), sum(seq for _, seq, _ in heads), heads)

    def verify(self, principal: Principal, against: Digest | None = None) -> VerifyReport:
        """Recompute every chain; name the first altered, inserted or deleted event."""
        authorise(principal, Capability.VERIFY)
        verifier = Verifier()
        with self.store.chain(_group_of(principal)) as chain:
            verifier.feed(chain.rows())
            stored = list(chain.heads())
            verifier.compare_heads(stored)
            if against is not None:
                verifier.compare_digest(against.heads, chain.event_hash)
        problems = [p for p in verifier.problems if self._visible(principal, p)]
        return VerifyReport(verifier.checked, tuple(problems), heads_digest(stored))

    @staticmethod
    def _visible(principal: Principal, problem: Problem) -> bool:
        if principal.role is Role.SYSTEM or problem.group_id is None:
            return True
        return problem.group_id == principal.group_id


def _group_of(principal: Principal) -> str | None:
    """Whose chains a principal verifies: the operator all of them, anyone else their group's."""
    return None if principal.role is Role.SYSTEM else principal.group_id
