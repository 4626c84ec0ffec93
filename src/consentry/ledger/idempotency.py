"""A command of the API in ONE unit of work, answered once per Idempotency-Key (decision 020).

For entrypoints (the API's ``Idempotency-Key``), not on the ``Ledger`` facade, except the
maintenance sweep ``prune_idempotency_keys``. ``run_once`` opens one write transaction and
commits it once, after everything that can fail:

1. with a key, claim ``(caller, key)`` in it (``INSERT … ON CONFLICT DO NOTHING``: a duplicate
   arriving meanwhile waits on that row until this transaction ends, then finds the response);
2. run the command with a context whose store joins the transaction (``joined.py``): the use
   cases' units of work are savepoints of it, and their outbox queues into it;
3. the command builds its response (status and body) inside it: if that fails, nothing is kept;
4. save the response under the key, in the same transaction, and commit.

A crash before the commit keeps nothing (a retry runs the command); after it, the retry gets
the saved response. A refusal (``ConsentryError``) rolls the command back to the savepoint taken
after the claim; ``refusal`` says whether it is kept for retries. A second request with the
same key:

=================================  =======================================================
stored                             answer
=================================  =======================================================
nothing, or expired (> 24 h)       claimed: run the command
same request, done                 the saved status and body, nothing runs
same request, still running        ``idempotency_in_progress`` (retry shortly); after the
                                   lease the claim is taken over. Only a row left by an
                                   older version can be seen running: a claim commits only
                                   together with its response now
a different request                ``idempotency_conflict``
=================================  =======================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from consentry.core.access import IdempotencyClaim, IdempotencyState
from consentry.core.errors import (
    ConsentryError,
    IdempotencyConflict,
    IdempotencyInProgress,
    Invalid,
)
from consentry.core.permissions import Capability, Principal, authorise
from consentry.ledger.context import Context
from consentry.ledger.joined import Later, joined_context
from consentry.ledger.ports import Tx

#: How long a saved response answers retries (Stripe keeps keys at least 24 hours).
IDEMPOTENCY_TTL = timedelta(hours=24)
#: How long a running claim blocks retries before it is taken over (rows of older versions).
IDEMPOTENCY_LEASE = timedelta(minutes=2)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Answer:
    """A command's response: status and body, and the copy kept for retries (None: the body)."""

    status: int
    body: str
    kept: str | None = None
    replayed: bool = False


#: The command: runs the use cases on the joined context and builds the response from them.
Command = Callable[[Context], Answer]
#: The response to a refusal, or None when a retry should run again (nothing is kept then).
Refusal = Callable[[ConsentryError], Answer | None]


def owner_of(principal: Principal) -> str:
    """Whose keys these are: the API key's id, or the role and scope of another caller."""
    if principal.via_key:
        return principal.id
    return f"{principal.role.value}:{principal.scope_id}:{principal.id}"[:200]


def run_once(
    ctx: Context,
    principal: Principal,
    key: str | None,
    fingerprint: str,
    command: Command,
    refusal: Refusal,
) -> Answer:
    """Run ``command`` in one transaction, once per ``key``; its answer, saved or replayed.

    Without a key the command runs and commits with nothing saved, still only after its
    response was built. A refusal without a key, or one ``refusal`` does not keep, is raised
    after everything was rolled back.
    """
    if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise Invalid(f"an Idempotency-Key has 1 to {MAX_KEY_LENGTH} characters")
    later = Later()
    with ctx.store.transaction() as tx:
        if key is None:
            answer = command(joined_context(ctx, tx, later))
        else:
            saved = _claim(ctx, tx, principal, key, fingerprint)
            if saved is not None:
                return saved
            try:
                answer = _attempt(ctx, tx, command, later)
            except ConsentryError as exc:  # rolled back to the claim
                later.forget()
                kept = refusal(exc)
                if kept is None:
                    raise
                answer = kept
            tx.finish_idempotency(owner_of(principal), key, answer.status, _kept(answer))
        tx.commit()
    later.send()  # logs, never raises
    return answer


def _claim(ctx: Context, tx: Tx, principal: Principal, key: str, fingerprint: str) -> Answer | None:
    """Claim the key in ``tx`` (None: run the command), or the saved response to replay."""
    now = ctx.clock.now()
    claim = IdempotencyClaim(owner_of(principal), key, fingerprint, now)
    found = tx.claim_idempotency(claim, now - IDEMPOTENCY_LEASE, now - IDEMPOTENCY_TTL)
    if found is None:
        return None
    if found.fingerprint != fingerprint:
        raise IdempotencyConflict("this Idempotency-Key was used for a different request", key=key)
    if found.state is not IdempotencyState.DONE:
        raise IdempotencyInProgress(
            "a request with this Idempotency-Key is still running; retry shortly", key=key
        )
    assert found.status is not None and found.body is not None
    return Answer(found.status, found.body, replayed=True)


def _attempt(ctx: Context, tx: Tx, command: Command, later: Later) -> Answer:
    """The command in a savepoint of ``tx``: a refusal rolls it back and leaves the claim."""
    with tx.nested() as attempt:
        answer = command(joined_context(ctx, attempt, later))
        attempt.commit()
    return answer


def _kept(answer: Answer) -> str:
    return answer.body if answer.kept is None else answer.kept


def prune_idempotency_keys(ctx: Context, principal: Principal) -> int:
    """Delete records older than the TTL; returns how many went."""
    authorise(principal, Capability.MANAGE_KEYS)
    with ctx.store.transaction() as tx:
        count = tx.prune_idempotency(ctx.clock.now() - IDEMPOTENCY_TTL)
        tx.commit()
    return count
