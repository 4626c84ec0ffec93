"""Idempotency keys: a retried request is answered from its saved response (docs/decisions).

For entrypoints (the API's ``Idempotency-Key``), not on the ``Ledger`` facade, except the
maintenance sweep ``prune_idempotency_keys``. ``begin_idempotent`` claims ``(caller, key)``
in its own committed transaction before the command runs; the caller then runs the command
and saves the response with ``finish_idempotent`` (or gives the claim up with
``release_idempotent`` when nothing was written). A second request with the same key:

=================================  =======================================================
stored                             answer
=================================  =======================================================
nothing, or expired (> 24 h)       claimed: run the command
same request, done                 the saved status and body, nothing runs
same request, still running        ``idempotency_in_progress`` (retry shortly); after the
                                   lease (a crash mid-way) the claim is taken over
a different request                ``idempotency_conflict``
=================================  =======================================================
"""

from __future__ import annotations

from datetime import timedelta

from consentry.core.access import IdempotencyClaim, IdempotencyRecord, IdempotencyState
from consentry.core.errors import IdempotencyConflict, IdempotencyInProgress, Invalid
from consentry.core.permissions import Capability, Principal, authorise
from consentry.ledger.context import Context

#: How long a saved response answers retries (Stripe keeps keys at least 24 hours).
IDEMPOTENCY_TTL = timedelta(hours=24)
#: How long a claim whose request never finished blocks retries before it is taken over.
IDEMPOTENCY_LEASE = timedelta(minutes=2)
MAX_KEY_LENGTH = 255


def owner_of(principal: Principal) -> str:
    """Whose keys these are: the API key's id, or the role and scope of another caller."""
    if principal.via_key:
        return principal.id
    return f"{principal.role.value}:{principal.scope_id}:{principal.id}"[:200]


def begin_idempotent(
    ctx: Context, principal: Principal, key: str, fingerprint: str
) -> IdempotencyRecord | None:
    """Claim the key (``None``: run the command) or return the saved response to replay."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise Invalid(f"an Idempotency-Key has 1 to {MAX_KEY_LENGTH} characters")
    now = ctx.clock.now()
    claim = IdempotencyClaim(owner_of(principal), key, fingerprint, now)
    with ctx.store.transaction() as tx:
        found = tx.claim_idempotency(claim, now - IDEMPOTENCY_LEASE, now - IDEMPOTENCY_TTL)
        tx.commit()
    if found is None:
        return None
    if found.fingerprint != fingerprint:
        raise IdempotencyConflict("this Idempotency-Key was used for a different request", key=key)
    if found.state is not IdempotencyState.DONE:
        raise IdempotencyInProgress(
            "a request with this Idempotency-Key is still running; retry shortly", key=key
        )
    return found


def finish_idempotent(ctx: Context, principal: Principal, key: str, status: int, body: str) -> None:
    """Save the response of a claimed request for its retries."""
    with ctx.store.transaction() as tx:
        tx.finish_idempotency(owner_of(principal), key, status, body)
        tx.commit()


def release_idempotent(ctx: Context, principal: Principal, key: str) -> None:
    """Give up a claim whose request failed before writing anything."""
    with ctx.store.transaction() as tx:
        tx.release_idempotency(owner_of(principal), key)
        tx.commit()


def prune_idempotency_keys(ctx: Context, principal: Principal) -> int:
    """Delete records older than the TTL; returns how many went."""
    authorise(principal, Capability.MANAGE_KEYS)
    with ctx.store.transaction() as tx:
        count = tx.prune_idempotency(ctx.clock.now() - IDEMPOTENCY_TTL)
        tx.commit()
    return count
