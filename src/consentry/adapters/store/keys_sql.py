"""The statements behind API keys and idempotency keys (SQLAlchemy Core, off the hot paths).

A claim on an idempotency key is one atomic statement: an ``INSERT … ON CONFLICT DO NOTHING``
(PostgreSQL waits for a concurrent claimer to commit; SQLite writers are serialised by
``BEGIN IMMEDIATE``), or a compare-and-set ``UPDATE`` that takes over a claim whose request
died mid-way or whose record has expired. Whoever changed a row owns the key; ``RETURNING``
says who did (a driver's ``rowcount`` is not reliable for ``ON CONFLICT``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update

from consentry.adapters.store import schema as t
from consentry.adapters.store.driver import Db
from consentry.core.access import ApiKey, IdempotencyClaim, IdempotencyRecord, IdempotencyState
from consentry.core.events import from_micros, to_micros
from consentry.core.permissions import Role

RUNNING = IdempotencyState.RUNNING.value
_K = t.api_keys.c
_I = t.idempotency_keys.c
#: The columns of ``GET_API_KEY``, in its order (the listing selects the same).
_KEY_COLUMNS = "id group_id role scope_id name created_at revoked_at secret_hash".split()


# ── API keys (only a SHA-256 of the secret is kept) ────────────────────────
def add_api_key(db: Db, key: ApiKey, secret_hash: str) -> None:
    """A new API key."""
    values = {
        "id": key.id,
        "group_id": key.group_id,
        "role": key.role.value,
        "scope_id": key.scope_id,
        "name": key.name,
        "secret_hash": secret_hash,
        "created_at": to_micros(key.created_at),
        "revoked_at": to_micros(key.revoked_at),
    }
    db.conn.execute(t.api_keys.insert().values(**values))


#: Driver SQL: every request's bearer check reads it on the eligibility read path (``reader.py``).
GET_API_KEY = f"SELECT {', '.join(_KEY_COLUMNS)} FROM api_keys WHERE id = :id"


def api_key_from_row(row: tuple[Any, ...] | None) -> tuple[ApiKey, str] | None:
    """The key and its secret's hash from a ``GET_API_KEY`` row (``None``: no such key)."""
    return None if row is None else _key_and_hash(row)


def _key_and_hash(row: tuple[Any, ...]) -> tuple[ApiKey, str]:
    key_id, group_id, role, scope_id, name, created_at, revoked_at, secret_hash = row
    created = from_micros(created_at)
    assert created is not None
    key = ApiKey(
        id=key_id,
        group_id=group_id,
        role=Role(role),
        scope_id=scope_id,
        name=name,
        created_at=created,
        revoked_at=from_micros(revoked_at),
    )
    return key, secret_hash


def get_api_key(db: Db, key_id: str) -> tuple[ApiKey, str] | None:
    """The key and its secret's hash, or None."""
    return api_key_from_row(db.one(GET_API_KEY, {"id": key_id}))


def list_api_keys(db: Db, group_id: str) -> list[ApiKey]:
    """The group's keys in id order."""
    columns = [getattr(_K, name) for name in _KEY_COLUMNS]
    query = select(*columns).where(_K.group_id == group_id).order_by(_K.id)
    return [_key_and_hash(tuple(r))[0] for r in db.conn.execute(query)]


def revoke_api_key(db: Db, key_id: str, revoked_at: datetime) -> None:
    """Revoke a key (a revoked key stays revoked at its first time)."""
    query = update(t.api_keys).where(_K.id == key_id, _K.revoked_at.is_(None))
    db.conn.execute(query.values(revoked_at=to_micros(revoked_at)))


# ── idempotency keys ────────────────────────────────────────────────────────
def claim_idempotency(
    db: Db, claim: IdempotencyClaim, stale_before: datetime, expired_before: datetime
) -> IdempotencyRecord | None:
    """Claim the key (None: ours now), or the record of whoever holds it."""
    values = {
        "owner": claim.owner,
        "key": claim.key,
        "fingerprint": claim.fingerprint,
        "state": RUNNING,
        "status": None,
        "body": None,
        "created_at": to_micros(claim.now),
    }
    claimed = db.dialect.insert_ignore(t.idempotency_keys, values).returning(_I.key)
    if db.conn.execute(claimed).first() is not None:
        return None
    takeover = (
        update(t.idempotency_keys)
        .where(_I.owner == claim.owner, _I.key == claim.key)
        .where(
            or_(
                (_I.state == RUNNING) & (_I.created_at < to_micros(stale_before)),
                _I.created_at < to_micros(expired_before),
            )
        )
        .values(**{k: v for k, v in values.items() if k not in ("owner", "key")})
    )
    if db.conn.execute(takeover.returning(_I.key)).first() is not None:
        return None
    return _idempotency_record(db, claim.owner, claim.key)


def _idempotency_record(db: Db, owner: str, key: str) -> IdempotencyRecord:
    query = select(t.idempotency_keys).where(_I.owner == owner, _I.key == key)
    row = db.conn.execute(query).one()
    created_at = from_micros(row.created_at)
    assert created_at is not None
    return IdempotencyRecord(
        row.fingerprint, IdempotencyState(row.state), row.status, row.body, created_at
    )


def finish_idempotency(db: Db, owner: str, key: str, status: int, body: str) -> None:
    """Keep the response of the request that holds the key."""
    query = update(t.idempotency_keys).where(_I.owner == owner, _I.key == key)
    db.conn.execute(query.values(state=IdempotencyState.DONE.value, status=status, body=body))


def release_idempotency(db: Db, owner: str, key: str) -> None:
    """Give a running claim up, so a retry runs again."""
    query = delete(t.idempotency_keys).where(_I.owner == owner, _I.key == key, _I.state == RUNNING)
    db.conn.execute(query)


def prune_idempotency(db: Db, before: datetime) -> int:
    """Delete the records created before ``before``; how many."""
    query = delete(t.idempotency_keys).where(_I.created_at < to_micros(before))
    return len(db.conn.execute(query.returning(_I.key)).all())
