"""Answers: eligibility, audiences, history and status at a past moment (SPEC §2, §5)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from consentry.core.audience import AudienceQuery, AudienceRow, Segment
from consentry.core.channels import AddressKind, Channel, parse_channel
from consentry.core.eligibility import (
    Category,
    Decision,
    Reason,
    decide,
    effective_status,
    parse_category,
)
from consentry.core.errors import ContactNotFound, OutOfScope
from consentry.core.events import ConsentEvent
from consentry.core.permissions import Capability, Principal, authorise, can_read_scope
from consentry.core.scopes import path_to_root
from consentry.core.status import NO_CONSENT, Consent, Status, fold
from consentry.ledger.base import LedgerBase
from consentry.ledger.ports import Tx


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """One item of a batch eligibility check."""

    contact_id: str
    channel: str
    scope_id: str
    category: str = Category.MARKETING.value


@dataclass(frozen=True, slots=True)
class StatusAt:
    """The status of a (contact, channel, scope) at a moment, and the events that set it."""

    status: Status
    event: ConsentEvent | None
    effective: Status
    effective_scope_id: str | None
    effective_event: ConsentEvent | None


@dataclass(slots=True)
class Audience:
    """An audience being resolved: iterate ``eligible``; ``excluded`` is complete afterwards."""

    rows: Iterator[AudienceRow]
    excluded: Counter[Reason] = field(default_factory=Counter)
    unknown: int = 0
    eligible_count: int = 0

    def __iter__(self) -> Iterator[AudienceRow]:
        for row in self.rows:
            if row.reason in (Reason.OPTED_IN, Reason.TRANSACTIONAL, Reason.OPT_IN_CONFIRMATION):
                self.eligible_count += 1
                yield row
            else:
                self.excluded[row.reason] += 1

    def all_rows(self) -> Iterator[AudienceRow]:
        """Every contact with its reason, eligible or not (a campaign add check)."""
        for row in self.rows:
            if row.reason in (Reason.OPTED_IN, Reason.TRANSACTIONAL, Reason.OPT_IN_CONFIRMATION):
                self.eligible_count += 1
            else:
                self.excluded[row.reason] += 1
            yield row


class Reads(LedgerBase):
    """Eligibility, audiences, history, status at T."""

    def check(
        self,
        principal: Principal,
        contact_id: str,
        channel: str | Channel,
        scope_id: str,
        category: str | Category = Category.MARKETING,
    ) -> Decision:
        """May we send this now? Allowed, or refused with a reason (one read)."""
        return self.check_many(
            principal, [CheckRequest(contact_id, str(channel), scope_id, str(category))]
        )[0]

    def check_many(self, principal: Principal, requests: Sequence[CheckRequest]) -> list[Decision]:
        """Eligibility for many (contact, channel, scope, category) in one read transaction."""
        authorise(principal, Capability.CHECK)
        now = self.clock.now()
        decisions: list[Decision] = []
        with self.store.reader() as tx:
            scopes: dict[str, str] = {}
            for req in requests:
                channel = self.policy.require_enabled(parse_channel(req.channel))
                category = parse_category(req.category)
                if req.scope_id not in scopes:
                    scope = self._scope(tx, principal, req.scope_id)
                    authorise(principal, Capability.CHECK, scope.id)
                    scopes[req.scope_id] = scope.id
                path = path_to_root(scopes[req.scope_id])
                found = tx.situation(principal.group_id, req.contact_id, channel, path)
                if found is None:
                    raise ContactNotFound(
                        f"no contact {req.contact_id!r}", contact_id=req.contact_id
                    )
                decisions.append(decide(found, path, category, now, self.policy))
        return decisions

    def resolve_audience(
        self,
        principal: Principal,
        segment: Segment,
        channel: str | Channel,
        scope_id: str,
        category: str | Category = Category.MARKETING,
    ) -> Audience:
        """The segment's eligible contacts, streamed, with exclusions counted by reason."""
        authorise(principal, Capability.CHECK)
        chan = self.policy.require_enabled(parse_channel(str(channel)))
        cat = parse_category(str(category))
        with self.store.transaction(write=False) as tx:
            scope = self._scope(tx, principal, scope_id)
            authorise(principal, Capability.CHECK, scope.id)
            segment, unknown = self._resolve_addresses(tx, principal.group_id, segment)
        query = AudienceQuery(
            group_id=principal.group_id,
            channel=chan,
            path=path_to_root(scope.id),
            now=self.clock.now(),
            transactional_bypass=cat is Category.TRANSACTIONAL
            and chan in self.policy.transactional_bypass,
            confirmation_only=cat is Category.OPT_IN_CONFIRMATION,
            segment=segment,
        )
        return Audience(self.store.audience(query), unknown=unknown)

    def _resolve_addresses(self, tx: Tx, group_id: str, segment: Segment) -> tuple[Segment, int]:
        if segment.emails is None and segment.mobiles is None:
            return segment, 0
        ids: set[str] = set(segment.contact_ids or [])
        unknown = 0
        pairs = [(AddressKind.EMAIL, self.addresses.email, segment.emails or [])]
        pairs.append((AddressKind.MOBILE, self.addresses.mobile, segment.mobiles or []))
        for kind, normalise, values in pairs:
            digests = {self.addresses.digest(kind, normalise(v)) for v in values}
            found = tx.find_contact_ids(group_id, kind, sorted(digests))
            unknown += len(digests) - len(found)
            ids.update(found.values())
        return Segment(sorted(ids), None, None, segment.list_name, segment.attribute), unknown

    def history(
        self, principal: Principal, contact_id: str, channel: str | Channel | None = None
    ) -> list[ConsentEvent]:
        """Every event of a contact the principal may see, oldest first, with evidence."""
        authorise(principal, Capability.VIEW)
        chan = parse_channel(str(channel)) if channel else None
        with self.store.transaction(write=False) as tx:
            self._contact(tx, principal, contact_id)
            events = tx.events(contact_id, chan)
        return [e for e in events if can_read_scope(principal, e.scope_id)]

    def status_at(
        self,
        principal: Principal,
        contact_id: str,
        channel: str | Channel,
        scope_id: str,
        at: datetime,
    ) -> StatusAt:
        """The status as Consentry knew and enforced it at ``at``, and the event that set it."""
        authorise(principal, Capability.VIEW)
        chan = parse_channel(str(channel))
        with self.store.transaction(write=False) as tx:
            self._contact(tx, principal, contact_id)
            scope = self._scope(tx, principal, scope_id)
            if not can_read_scope(principal, scope.id):
                raise OutOfScope(f"scope {scope.id!r} is outside {principal.scope_id!r}")
            path = path_to_root(scope.id)
            events = tx.events(contact_id, chan, list(path), recorded_until=at)
        by_id = {e.id: e for e in events}
        consents: dict[str, Consent] = {
            sid: fold([e for e in events if e.scope_id == sid]) for sid in path
        }
        own = consents.get(scope.id, NO_CONSENT)
        effective, decided_by = effective_status(consents, path, at)
        decided = consents[decided_by].event_id if decided_by else None
        return StatusAt(
            status=own.current(at),
            event=by_id.get(own.event_id or ""),
            effective=effective,
            effective_scope_id=decided_by,
            effective_event=by_id.get(decided or ""),
        )
