"""One batch of an import: read its rows' contacts in a few statements, plan every row by the
rules single commands obey, chain its events as single commands would, write it in bulk.

A row is matched to a contact by external id, then email, then mobile (a row that names two
different contacts is refused, ``import_conflict``); a matched contact that was erased stays
suppressed (``contact_erased``). Each wanted consent is judged exactly as ``opt_in`` /
``opt_out`` judge it: an opt-in needs a complete record of written permission and never
overrides an opt-out (a hard one least of all); what already stands is left alone, so the same
file run again changes nothing. A row is all or nothing: its staged changes join the batch
only when every part of it was accepted (docs/decisions/070).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from consentry.core import trends
from consentry.core.bulk import BatchWrite, ContactWrite
from consentry.core.chain import ChainHead, genesis
from consentry.core.channels import AddressKind, Channel
from consentry.core.contacts import Contact
from consentry.core.errors import ConsentryError, ContactErased, ImportConflict
from consentry.core.events import Action, ConsentEvent, Source, canonical_evidence
from consentry.core.evidence import check_written_permission
from consentry.core.ids import new_id
from consentry.core.imports import ImportRow, Outcome, RowOutcome, Wanted
from consentry.core.permissions import Principal
from consentry.core.scopes import Scope, is_within, path_to_root
from consentry.core.status import NO_CONSENT, Consent, Status, apply
from consentry.core.transitions import check_opt_in, governing
from consentry.ledger.contacts import apply_details, keys_of
from consentry.ledger.context import Context
from consentry.ledger.ports import BulkTx
from consentry.ledger.steps import Change, chained

Consents = dict[tuple[Channel, str], Consent]
Step = tuple[ConsentEvent, Consent, Consent]  #: an event, its row's consent before and after


@dataclass(frozen=True, slots=True)
class Prepared:
    """A row with its addresses normalised and keyed, before any database read."""

    row: ImportRow
    contact: Contact  # the details applied to an empty contact of the group
    keys: Mapping[AddressKind, str]


@dataclass(frozen=True, slots=True)
class FileEvidence:
    """The evidence an import's events keep, made canonical once for the whole file.

    A row with no ``evidence:`` cells of its own records the file's evidence and its marks
    (the import's id, the row's line): the canonical text is the same for every such row but
    the line, so it is made once with a stand-in for the line, which each row replaces (the
    stand-in is random per import: nothing in the evidence can equal it). Whether that
    evidence is a complete record of written permission depends only on the moment of the
    opt-in, so each moment is judged once (``permitted``).
    """

    opt_in: str  #: the file's evidence and the marks, as canonical JSON with the stand-in
    opt_out: str  #: the marks alone, likewise
    stand_in: str
    permitted: set[datetime] = field(default_factory=set)

    @classmethod
    def of(cls, evidence: Mapping[str, Any], import_id: str) -> FileEvidence:
        """The templates of one import's evidence (refusing evidence no event can keep)."""
        stand_in = f"line-{secrets.token_hex(16)}"
        marks = {"import_id": import_id, "import_row": stand_in}
        opt_in, opt_out = canonical_evidence({**evidence, **marks}), canonical_evidence(marks)
        assert opt_in is not None and opt_out is not None
        return cls(opt_in, opt_out, f'"{stand_in}"')

    def text(self, template: str, line: int) -> str:
        """The canonical evidence of the row at ``line`` (``canonical_evidence``'s answer)."""
        return template.replace(self.stand_in, f'"{line}"', 1)


@dataclass(frozen=True, slots=True)
class Job:
    """What every row of one import shares."""

    principal: Principal
    scope: Scope
    evidence: Mapping[str, Any]  # the whole file's evidence document (may be empty)
    import_id: str
    file: FileEvidence


def prepare(ctx: Context, row: ImportRow, group_id: str) -> Prepared:
    """Validate and normalise a row's details (``Invalid`` and its code when they are bad)."""
    now = ctx.clock.now()  # the id a new contact gets; unused when the row finds one
    contact = apply_details(ctx, Contact(new_id("ct", now), group_id, created_at=now), row.details)
    for wanted in row.wanted:
        ctx.policy.require_enabled(wanted.channel)
    return Prepared(row, contact, keys_of(ctx, contact))


@dataclass(slots=True)
class Batch:
    """The batch's contacts as read, and everything it has staged so far."""

    ctx: Context
    job: Job
    now: datetime
    by_key: dict[str, str]
    by_external_id: dict[str, list[str]]
    contacts: dict[str, Contact]
    heads: dict[str, ChainHead]
    consents: dict[str, Consents]
    write: BatchWrite = field(init=False)
    new: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.write = BatchWrite(recorded_at=self.now)

    # ── one row ──
    def plan(self, prepared: Prepared) -> RowOutcome:
        """Stage one row, or refuse it whole; never raises a ``ConsentryError``."""
        line = prepared.row.line
        try:
            contact, created, changed = self._contact(prepared)
            steps, head, consents = self._consents(contact, prepared.row)
        except ConsentryError as exc:
            return RowOutcome(line, Outcome.REFUSED, code=exc.code, message=exc.message)
        self._stage(contact, prepared.keys, created, changed, steps, head, consents)
        outcome = (
            Outcome.CREATED
            if created
            else Outcome.UPDATED
            if changed or steps
            else Outcome.UNCHANGED
        )
        done = tuple(f"{e.action.value}:{e.channel.value}" for e, _, _ in steps)
        return RowOutcome(line, outcome, contact.id, done)

    def _contact(self, prepared: Prepared) -> tuple[Contact, bool, bool]:
        """The row's contact (found or new), whether it is new, whether its details change."""
        found = self._match(prepared)
        fresh = prepared.contact
        if found is None:
            return fresh, True, False
        existing = self.contacts[found]
        if existing.erased_at is not None:
            raise ContactErased(
                "this address belonged to an erased contact and stays suppressed",
                contact_id=found,
            )
        merged = _merged(existing, fresh)
        return merged, False, merged != existing

    def _match(self, prepared: Prepared) -> str | None:
        external = prepared.contact.external_id
        candidates = set(self.by_external_id.get(external, ())) if external else set()
        candidates |= {self.by_key[d] for d in prepared.keys.values() if d in self.by_key}
        if len(candidates) > 1:
            raise ImportConflict(
                "the row's external id, email and mobile belong to different contacts",
                contacts=sorted(candidates),
            )
        return candidates.pop() if candidates else None

    def _consents(self, contact: Contact, row: ImportRow) -> tuple[list[Step], ChainHead, Consents]:
        """The events the row's wanted consents record (each with the row it moved, before and
        after), the chain's new head, and the contact's consents rows afterwards."""
        head = self.heads.get(contact.id) or ChainHead(0, genesis(contact.id))
        rows = dict(self.consents.get(contact.id, {}))
        steps: list[Step] = []
        for wanted in row.wanted:
            for change in self._changes(contact, row, wanted, rows):
                event = chained(self.now, head, change)
                head = ChainHead(event.seq, event.hash)
                was = rows.get((change.channel, change.scope_id), NO_CONSENT)
                rows[change.channel, change.scope_id] = after = apply(was, event)
                steps.append((event, was, after))
        return steps, head, rows

    def _changes(
        self, contact: Contact, row: ImportRow, wanted: Wanted, rows: Consents
    ) -> list[Change]:
        """What one wanted consent records (nothing when it already stands)."""
        scope = self.job.scope
        current = rows.get((wanted.channel, scope.id), NO_CONSENT)
        marks = {"import_id": self.job.import_id, "import_row": str(row.line)}
        file, own = self.job.file, bool(row.evidence)  # own: the row has evidence cells
        if wanted.action is Action.OPTED_IN:
            if current.status is Status.OPTED_IN:
                return []
            evidence = {**self.job.evidence, **row.evidence, **marks}
            moment = wanted.occurred_at or self.now
            if own or moment not in file.permitted:
                check_written_permission(evidence, moment)
                if not own:
                    file.permitted.add(moment)
            path = path_to_root(scope.id)
            on_path = {s: rows[wanted.channel, s] for s in path if (wanted.channel, s) in rows}
            check_opt_in(governing(on_path, path), self.job.principal.actor, Source.IMPORT, True)
            text = None if own else file.text(file.opt_in, row.line)
            return [self._change(contact, wanted, scope.id, Action.OPTED_IN, evidence, text)]
        if current.status.is_opt_out:
            return []
        text = file.text(file.opt_out, row.line)
        opt_out = self._change(contact, wanted, scope.id, Action.OPTED_OUT, marks, text)
        return [opt_out, *self._cancelled(opt_out, rows)]

    def _change(
        self,
        contact: Contact,
        wanted: Wanted,
        scope_id: str,
        action: Action,
        evidence: Mapping[str, Any],
        text: str | None = None,
    ) -> Change:
        principal = self.job.principal
        return Change(
            contact=contact, channel=wanted.channel, scope_id=scope_id, action=action,
            actor=principal.actor, recorded_by=principal.id, source=Source.IMPORT,
            evidence=evidence, occurred_at=wanted.occurred_at, evidence_text=text,
        )  # fmt: skip

    def _cancelled(self, opt_out: Change, rows: Consents) -> list[Change]:
        """Open confirmation requests below an opt-out's scope are closed (decision 055)."""
        wanted = Wanted(opt_out.channel, Action.CONFIRMATION_CANCELLED)
        evidence = {"cancelled_by_import": dict(opt_out.evidence or {})}
        return [
            self._change(opt_out.contact, wanted, scope_id, wanted.action, evidence)
            for (channel, scope_id), consent in sorted(rows.items(), key=lambda r: r[0][1])
            if channel is opt_out.channel
            and scope_id != opt_out.scope_id
            and is_within(scope_id, opt_out.scope_id)
            and consent.awaiting_confirmation(self.now)
        ]

    # ── staging ──
    def _stage(
        self,
        contact: Contact,
        keys: Mapping[AddressKind, str],
        created: bool,
        changed: bool,
        steps: Sequence[Step],
        head: ChainHead,
        rows: Consents,
    ) -> None:
        """Join an accepted row's changes to the batch (and to what later rows see)."""
        write = self.write
        if created:
            self.new.add(contact.id)
        if created or changed:
            write.contacts.append(ContactWrite(contact, keys, contact.id in self.new))
        self.contacts[contact.id] = contact
        if contact.external_id:
            self.by_external_id[contact.external_id] = [contact.id]
        self.by_key.update(dict.fromkeys(keys.values(), contact.id))
        for event, was, after in steps:
            counts = trends.delta(was.status, after.status, event.action)
            if counts:
                day = trends.day_number(event.occurred_at)
                write.add_trend((event.group_id, event.scope_id, event.channel, day), counts)
            write.consents[event.contact_id, event.channel, event.scope_id] = (
                event.group_id, after,
            )  # fmt: skip
            write.events.append(event)
        if steps or created:
            write.heads[contact.id] = (head, contact.id in self.new)
        self.heads[contact.id] = head
        self.consents[contact.id] = rows


def _merged(existing: Contact, fresh: Contact) -> Contact:
    """The existing contact with the row's details: addresses only where it had none."""
    changes: dict[str, Any] = {}
    for name in ("email", "mobile"):
        theirs, ours = getattr(existing, name), getattr(fresh, name)
        if ours and theirs and ours != theirs:
            raise ImportConflict(
                f"the row's {name} differs from the contact's; change an address through the "
                "API or the app, where its suppressions are handled",
                field=name,
            )
        if ours and not theirs:
            changes[name] = ours
    for name in ("external_id", "name", "locale", "postal_address"):
        value = getattr(fresh, name)
        if value is not None and value != getattr(existing, name):
            changes[name] = value
    if fresh.attributes:
        changes["attributes"] = {**existing.attributes, **fresh.attributes}
    if fresh.lists - existing.lists:
        changes["lists"] = existing.lists | fresh.lists
    merged = existing.with_changes(**changes) if changes else existing
    return merged if merged != existing else existing


def run_batch(
    ctx: Context, tx: BulkTx, job: Job, prepared: Sequence[Prepared]
) -> tuple[Batch, list[RowOutcome]]:
    """Read what the rows name, then plan each row in file order."""
    group_id = job.principal.group_id
    digests = [d for p in prepared for d in p.keys.values()]
    externals = [p.contact.external_id for p in prepared if p.contact.external_id]
    by_key = tx.contacts_by_key(group_id, digests)
    by_external_id = tx.contacts_by_external_id(group_id, externals)
    ids = sorted(set(by_key.values()) | {i for ids in by_external_id.values() for i in ids})
    batch = Batch(
        ctx, job, ctx.clock.now(), by_key, by_external_id, tx.contacts(group_id, ids),
        tx.lock_heads(ids), tx.consent_rows(ids),
    )  # fmt: skip
    return batch, [batch.plan(p) for p in prepared]
