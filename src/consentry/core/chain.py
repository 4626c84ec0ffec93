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
from typing import Any, NamedTuple

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
    return _sha256(payload(prev_hash, fields)).hexdigest()


_sha256 = hashlib.sha256
#: every byte the encoder writes as itself inside a string: printable ASCII but " and \
_PLAIN = bytes(c for c in range(0x20, 0x7F) if c not in b'"\\')
#: the quotes ``payload`` writes around its fourteen texts (two more with a reason)
_QUOTES = (b'"' * 28, b'"' * 30)


def payload(prev_hash: str, fields: ChainFields) -> bytes:
    """The exact bytes ``link`` hashes: ``[version, previous hash, *fields]`` as compact JSON.

    Verification hashes every event of the ledger, and a generic JSON encoder costs several
    times the hash itself. A stored event's fields (``events.CHAIN_COLUMNS``) are text, whole
    numbers and None in known places, so the text is written directly, and kept only when no
    character in it needs an escape (all printable ASCII, no backslash, no quote but the ones
    written here). Anything else (non-ASCII, a quote, a control character, a value not of its
    column's type, as in a tampered row) is written by ``_ENCODE``. Either way the bytes are the
    encoder's (``tests/unit/test_chain_payload.py``), so every stored chain keeps its hashes.
    """
    try:
        (event_id, contact_id, group_id, seq, channel, scope_id, action, strength, actor_kind,
         actor_id, recorded_by, source, reason, occurred_at, recorded_at, expires_at,
         evidence_commitment) = fields  # fmt: skip
    except ValueError:  # not an event's fields
        return _encoded(prev_hash, fields)
    if (
        type(seq) is not int
        or type(occurred_at) is not int
        or type(recorded_at) is not int
        or (expires_at is not None and type(expires_at) is not int)
        or (reason is not None and type(reason) is not str)
    ):
        return _encoded(prev_hash, fields)
    texts: Any = (VERSION, prev_hash, event_id, contact_id, group_id)
    kinds: Any = (channel, scope_id, action, strength, actor_kind, actor_id, recorded_by, source)
    try:  # join refuses anything but text
        first, then = '","'.join(texts), '","'.join(kinds)
        last = '"' + evidence_commitment + '"'  # type: ignore[operator]
    except TypeError:
        return _encoded(prev_hash, fields)
    said = "null" if reason is None else f'"{reason}"'
    until = "null" if expires_at is None else expires_at
    text = f'["{first}",{seq},"{then}",{said},{occurred_at},{recorded_at},{until},{last}]'
    if text.isascii():  # else an escape is owed; and only ASCII text encodes without error
        data = text.encode()
        if data.translate(None, _PLAIN) == _QUOTES[reason is not None]:
            return data
    return _encoded(prev_hash, fields)


def _encoded(prev_hash: str, fields: ChainFields) -> bytes:
    return _ENCODE([VERSION, prev_hash, *fields]).encode()


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


def _finding(row: ChainRow, expected_seq: int, prev_hash: str) -> tuple[str, str]:
    """What is wrong with an event that is not simply the next of its chain (kind, detail)."""
    if row.seq < expected_seq:
        return "inserted", f"expected event number {expected_seq}, found {row.seq}"
    if row.prev_hash != prev_hash:
        return "inserted", "does not link to the event before it"
    if row.evidence is not None and (
        commitment(row.evidence_salt, row.evidence) != row.evidence_commitment
    ):
        return "altered", "evidence does not match its commitment"
    return "altered", "event fields do not match its hash"


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
        """Check a stream of rows, recording every problem found.

        Verification's hot loop, run once per event of the ledger: the common case (the event
        is the next of its chain, links to it and matches its hash) costs one hash, plus one
        for evidence; anything else goes to ``_check``. The chain's end (``heads``, ``tails``)
        is written once per contact, when its last event has been read.
        """
        ending: ChainRow | None = None  # the event before this one, in this stream
        sha256, encoded, checked = _sha256, payload, 0
        for row in rows:
            (_, contact_id, _, seq, prev_hash, hash_, fields, evidence, salt,
             evidence_commitment) = row  # fmt: skip
            checked += 1
            if contact_id != self._contact:
                if ending is not None:  # (an earlier feed ended the contact it read last)
                    self._end(ending)
                self._start(contact_id)
            if (
                seq == self._seq + 1
                and prev_hash == self._hash
                and (evidence is None or commitment(salt, evidence) == evidence_commitment)
                and sha256(encoded(prev_hash, fields)).hexdigest() == hash_
            ):
                if evidence is None and evidence_commitment:
                    self._removed.append(row)  # erasure, if an erasure event follows
                elif fields[_ACTION] == ERASED:
                    self._erasure(contact_id)
                self._seq, self._hash = seq, hash_
            else:
                self._check(row)
            ending = row
        self.checked += checked
        if ending is not None:
            self._end(ending)

    def _check(self, row: ChainRow) -> None:
        """An event that is not simply the next of its chain: what is wrong with it."""
        expected_seq = self._seq + 1
        if row.seq > expected_seq:
            detail = f"events {expected_seq}..{row.seq - 1} are missing before event {row.event_id}"
            self.problems.append(
                Problem("deleted", row.contact_id, row.group_id, expected_seq, None, detail)
            )
        else:
            self._report(*_finding(row, expected_seq, self._hash), row=row)
        self._seq, self._hash = row.seq, row.hash

    def _erasure(self, contact_id: str) -> None:
        self.erased += self._erasing != contact_id
        self._erasing = contact_id
        self.erased_evidence += len(self._removed)
        self._removed.clear()

    def _end(self, row: ChainRow) -> None:
        """The end of a contact's chain so far (its last event read): its head and tail."""
        self.heads[row.contact_id] = (self._seq, self._hash)
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
