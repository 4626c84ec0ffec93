"""Proof of consent for one contact, and the answer at a past moment (SPEC §7; decision 069).

``proof_of_consent`` makes three reads: the contact's chain and projection recomputed
(``integrity.verify_contact``), the contact with its events and current status, and the digest
of its group's chain heads (``integrity.group_digest``). A chain head only moves forward, so
when the head the verification saw is the head in the digest, no write to the contact landed
between the reads and the proof speaks of one moment; otherwise the reads are made again, and a
contact that keeps changing gets ``unavailable``.

``eligibility_proof`` adds the answer at a moment: the status ``history.status_at`` gives, and
the eligibility rule (``core.eligibility.decide``) over the same events recorded by then.
Both need ``view`` (viewer and up), behind the group wall; a principal bound to a client sees
the events at, below and above its scope, and the proof counts the others it withholds.
"""

from __future__ import annotations

from datetime import datetime

from consentry.core import limits
from consentry.core.chain import ChainHead, genesis, heads_digest
from consentry.core.channels import Channel, ChannelPolicy, parse_channel
from consentry.core.eligibility import Category, parse_category
from consentry.core.errors import InvalidTime, Unavailable
from consentry.core.permissions import Capability, Principal, authorise, can_read_scope
from consentry.core.proof import ChainProof, EligibilityProof, Proof, StatusRow, decision_at
from consentry.core.scopes import parse_scope_id, path_to_root
from consentry.ledger.context import Context
from consentry.ledger.history import status_at
from consentry.ledger.integrity import group_digest, verify_contact
from consentry.ledger.policies import policy_of
from consentry.ledger.steps import load_contact

READ_ATTEMPTS = 3  #: reads of a contact being written to before ``unavailable``


def proof_of_consent(ctx: Context, principal: Principal, contact_id: str) -> Proof:
    """Every event of the contact the principal may see, with evidence, the current status,
    and the chain proof: the chain recomputed, its head, and the group digest it is part of."""
    authorise(principal, Capability.VIEW)
    limits.text(contact_id, field="contact_id", max_length=limits.ID)
    for _ in range(READ_ATTEMPTS):
        found = _read(ctx, principal, contact_id)
        if found is not None:
            return found
    raise Unavailable(
        f"contact {contact_id!r} kept changing while its proof was read; try again",
        contact_id=contact_id,
    )


def eligibility_proof(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    *,
    channel: str | Channel,
    scope_id: str,
    at: datetime,
    category: str | Category = Category.MARKETING,
) -> EligibilityProof:
    """Was the contact allowed to receive this message at ``at``, and why: the decision, the
    status then, the deciding event and the events before it, with the chain proof."""
    limits.instant(at, field="at")
    if at > ctx.clock.now():
        raise InvalidTime("at is in the future: a proof is about what was recorded", field="at")
    cat = parse_category(str(category))
    chan = parse_channel(str(channel))
    then = status_at(ctx, principal, contact_id, chan, scope_id, at=at)
    proof = proof_of_consent(ctx, principal, contact_id)
    path = path_to_root(parse_scope_id(scope_id))
    considered = [
        e for e in proof.events if e.channel is chan and e.scope_id in path and e.recorded_at <= at
    ]
    return EligibilityProof(
        proof=proof,
        channel=chan,
        scope_id=path[0],
        category=cat,
        at=at,
        decision=decision_at(considered, chan, path, cat, at, _policy(ctx, principal)),
        status=then.status,
        effective=then.effective,
        effective_scope_id=then.effective_scope_id,
        events=tuple(considered),
    )


def _policy(ctx: Context, principal: Principal) -> ChannelPolicy:
    """The group's channel policy as it stands (policy changes are not versioned: 075)."""
    with ctx.store.transaction(write=False) as tx:
        return policy_of(ctx, tx, principal.group_id)


def _read(ctx: Context, principal: Principal, contact_id: str) -> Proof | None:
    """The proof, or None when the contact's chain head moved while it was read."""
    report = verify_contact(ctx, principal, contact_id)
    now = ctx.clock.now()
    with ctx.store.transaction(write=False) as tx:
        contact = load_contact(tx, principal, contact_id)
        events = tx.events(contact_id)
        rows = tx.consent_rows(contact_id)
        suppressions = tx.suppression_rows(contact_id)
    digest = group_digest(ctx, contact.group_id)
    stored = [h for h in digest.heads if h[0] == contact_id]
    if heads_digest(stored) != report.root:
        return None  # a write landed between the reads
    head = ChainHead(stored[0][1], stored[0][2]) if stored else ChainHead(0, genesis(contact_id))
    chain = ChainProof(
        contact_id, report.checked, report.problems, head,
        contact.group_id, digest.root, digest.contacts, digest.events,
    )  # fmt: skip
    visible = tuple(e for e in events if can_read_scope(principal, e.scope_id))
    statuses = tuple(
        StatusRow(channel, scope_id, consent.current(now), consent.event_id)
        for channel, scope_id, consent in sorted(rows, key=lambda r: (r[0].value, r[1]))
        if can_read_scope(principal, scope_id)
    )
    return Proof(
        contact=contact,
        events=visible,
        withheld=len(events) - len(visible),
        statuses=statuses,
        suppressions=tuple(sorted(suppressions)),
        chain=chain,
        generated_at=now,
        generated_by=principal,
    )
