"""The ledger's hash chain: tamper evidence that survives erasure (SPEC §2, §7).

Each contact has its own chain, so writers to different contacts never wait on each other::

    genesis(contact) ─► e1 ─► e2 ─► … ─► head            (per contact)
    hash(eN) = SHA-256( canonical( fields of eN, commitment(evidence), hash(eN-1) ) )
    digest   = SHA-256( sorted lines "contact_id seq head_hash" )   (all chains at once)

Personal data never enters a hash directly. The evidence is covered by a *commitment*,
SHA-256(salt ‖ evidence), with a random salt stored beside it; erasing the evidence and the salt
leaves the commitment, and the chain, intact and verifiable, while the erased data cannot be
guessed back from the commitment.

Evidence is removed only by erasing the contact (decision 072), which appends an ``erased``
event to the contact's own chain. So the verifier tells the two apart: evidence missing from
events before that contact's erasure event is erasure (counted in ``erased_evidence``);
evidence missing from a chain with no erasure event after it is reported as altered.

``Verifier`` streams events in (contact, seq) order and names the first event that was
altered, inserted or deleted; comparing with the stored chain heads finds a truncated tail,
and comparing with an earlier exported digest finds a rewrite of the heads themselves. The
projection is checked against the same events in the same pass (``projection``, decision 059).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

VERSION = "consentry/v1"
ERASED = "erased"  #: the action of the event that erases a contact (``events.Action.ERASED``)
_ACTION = 6  #: where the action is in an event's chained fields (``events.CHAIN_COLUMNS``)
_ENCODE = json.JSONEncoder(separators=(",", ":")).encode  # one encoder: no set-up per event


def genesis(contact_id: str) -> str:
    """The hash a contact's chain starts from; binds the chain to its contact."""
    return hashlib.sha256(f"{VERSION}/genesis/{contact_id}".encode()).hexdigest()


def commitment(salt: str | None, evidence: str | None) -> str:
    """A hiding commitment to the evidence text (empty string when there is none)."""
    if evidence is None:
        return ""
    return hashlib.sha256(f"{salt or ''}\x00{evidence}".encode()).hexdigest()


ChainFields = tuple[str | int | None, ...]
#: A range of contact ids, ``[first, end)``; None on a side: unbounded (parallel verification).
Between = tuple[str | None, str | None]
#: (contact_id, seq) → the stored hash of that event, or None.
LookupHash = Callable[[str, int], str | None]


def link(prev_hash: str, fields: ChainFields) -> str:
    """The hash of one event given its chained fields and the previous hash."""
    payload = _ENCODE([VERSION, prev_hash, *fields])
    return hashlib.sha256(payload.encode()).hexdigest()


def heads_digest(heads: Iterable[tuple[str, int, str]]) -> str:
    """One digest of every chain head, given as (contact_id, seq, hash) in contact order."""
    h = hashlib.sha256(VERSION.encode())
    for contact_id, seq, head in heads:
        h.update(f"\n{contact_id} {seq} {head}".encode())
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The end of a contact's chain: the last event number and its hash."""

    seq: int
    hash: str


class ChainRow(NamedTuple):
    """What verification reads of one stored event.

    A named tuple, not a frozen dataclass: one is built per event of the ledger, and building a
    tuple costs a fraction of a dataclass's ``__init__`` on verification's hot loop.
    """

    event_id: str
    contact_id: str
    group_id: str
    seq: int
    prev_hash: str
    hash: str
    fields: ChainFields
    evidence: str | None
    evidence_salt: str | None
    evidence_commitment: str


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding of verification, naming the event (or the place) it is about.

    A finding about the projection (``projection.ProjectionCheck``) also names its row: the
    channel, and the scope of a consents row (None for a suppression, which is per channel).
    """

    kind: str
    contact_id: str
    group_id: str | None
    seq: int
    event_id: str | None
    detail: str
    channel: str | None = None
    scope_id: str | None = None


def _finding(row: ChainRow, expected_seq: int, prev_hash: str) -> tuple[str, str] | None:
    """What is wrong with one event in its place in the chain (kind, detail), or None."""
    if row.seq < expected_seq:
        return "inserted", f"expected event number {expected_seq}, found {row.seq}"
    if row.prev_hash != prev_hash:
        return "inserted", "does not link to the event before it"
    if row.evidence is not None and (
        commitment(row.evidence_salt, row.evidence) != row.evidence_commitment
    ):
        return "altered", "evidence does not match its commitment"
    if link(row.prev_hash, row.fields) != row.hash:
        return "altered", "event fields do not match its hash"
    return None


@dataclass(slots=True)
class Verifier:
    """Checks chains row by row; feed rows ordered by (contact_id, seq)."""

    checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)
    tails: dict[str, tuple[str, str]] = field(default_factory=dict)
    erased: int = 0  #: contacts whose chain holds an erasure event
    erased_evidence: int = 0  #: events whose evidence an erasure removed
    _contact: str | None = None
    _seq: int = 0
    _hash: str = ""
    _removed: list[ChainRow] = field(default_factory=list)  # evidence gone, no erasure seen yet
    _erasing: str | None = None  # the last contact an erasure event was seen for

    def feed(self, rows: Iterable[ChainRow]) -> None:
        """Check a stream of rows, recording every problem found."""
        for row in rows:
            self._check(row)

    def _check(self, row: ChainRow) -> None:
        if row.contact_id != self._contact:
            self._start(row.contact_id)
        self.checked += 1
        expected_seq = self._seq + 1
        if row.seq > expected_seq:
            detail = f"events {expected_seq}..{row.seq - 1} are missing before event {row.event_id}"
            self.problems.append(
                Problem("deleted", row.contact_id, row.group_id, expected_seq, None, detail)
            )
        elif (found := _finding(row, expected_seq, self._hash)) is not None:
            self._report(*found, row=row)
        elif row.evidence is None and row.evidence_commitment:
            self._removed.append(row)  # erasure, if an erasure event of the contact follows
        elif row.fields[_ACTION] == ERASED:
            self.erased += self._erasing != row.contact_id
            self._erasing = row.contact_id
            self.erased_evidence += len(self._removed)
            self._removed.clear()
        self._seq, self._hash = row.seq, row.hash
        self.heads[row.contact_id] = (row.seq, row.hash)
        self.tails[row.contact_id] = (row.event_id, row.group_id)

    def _start(self, contact_id: str) -> None:
        self._close_contact()
        self._contact, self._seq, self._hash = contact_id, 0, genesis(contact_id)

    def _close_contact(self) -> None:
        """Evidence removed from the last contact's events with no erasure after it: altered."""
        for row in self._removed:
            self._report("altered", "evidence was removed but the contact was not erased", row=row)
        self._removed.clear()

    def _report(self, kind: str, detail: str, *, row: ChainRow) -> None:
        self.problems.append(
            Problem(kind, row.contact_id, row.group_id, row.seq, row.event_id, detail)
        )

    def compare_heads(self, stored: Iterable[tuple[str, int, str]]) -> None:
        """Compare recomputed chain ends with the stored heads.

        Finds a truncated tail (deleted), events past the head or of a contact with no head
        at all (inserted), and a rewritten last event (altered).
        """
        self.close()
        self.report_unseen(self.compare_stored(stored))

    def close(self) -> None:
        """The end of the events: the last contact's removed evidence is judged."""
        self._close_contact()

    def compare_stored(self, stored: Iterable[tuple[str, int, str]]) -> dict[str, tuple[int, str]]:
        """Each stored head against its chain's end; the chains no stored head named."""
        unseen = dict(self.heads)
        for contact_id, seq, head in stored:
            found = unseen.pop(contact_id, None)
            # a contact with no events: its chain ends at the genesis value (hashed only then)
            found_seq, found_hash = (0, genesis(contact_id)) if found is None else found
            if found_seq > seq:
                detail = f"chain runs to event {found_seq} past its head at event {seq}"
                self._tail_problem("inserted", contact_id, found_seq, detail)
            elif found_seq < seq:
                detail = f"events {found_seq + 1}..{seq} are missing: the head says event {seq}"
                group_id = self.tails.get(contact_id, ("", None))[1]
                self.problems.append(
                    Problem("deleted", contact_id, group_id, found_seq + 1, None, detail)
                )
            elif found_hash != head:
                self._tail_problem("altered", contact_id, seq, "does not match its chain head")
        return unseen

    def report_unseen(self, unseen: dict[str, tuple[int, str]]) -> None:
        """Chains that no stored head names: inserted."""
        for contact_id, (seq, _) in unseen.items():
            self._tail_problem("inserted", contact_id, seq, "a chain with no chain head")

    def _tail_problem(self, kind: str, contact_id: str, seq: int, detail: str) -> None:
        # a contact with no events has no tail: its head is the genesis value (seq 0)
        event_id, group_id = self.tails.get(contact_id, (None, None))
        self.problems.append(Problem(kind, contact_id, group_id, seq, event_id, detail))

    def compare_digest(self, earlier: Iterable[tuple[str, int, str]], lookup: LookupHash) -> None:
        """Every head in an earlier digest must still be in the chain, unchanged."""
        for contact_id, seq, head in earlier:
            if lookup(contact_id, seq) != head:
                detail = "differs from the exported digest"
                self.problems.append(Problem("altered", contact_id, None, seq, None, detail))
