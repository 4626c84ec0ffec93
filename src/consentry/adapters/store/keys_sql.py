"""The statements behind API keys and idempotency keys (a mixin of ``SqlTx``).

A claim on an idempotency key is one atomic statement: an ``INSERT … ON CONFLICT DO NOTHING``
(PostgreSQL waits for a concurrent claimer to commit; SQLite writers are serialised by
``BEGIN IMMEDIATE``), or a compare-and-set ``UPDATE`` that takes over a claim whose request
died mid-way or whose record has expired. Whoever changed a row owns the key; ``RETURNING``
says who did (a driver's ``rowcount`` is not reliable for ``ON CONFLICT``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from consentry.adapters.store import schema as t
from consentry.core.access import ApiKey, IdempotencyClaim, IdempotencyRecord, IdempotencyState
from consentry.core.events import from_micros, to_micros
from consentry.core.permissions import Role

RUNNING = IdempotencyState.RUNNING.value


class KeysSql:
    """API keys (stored as SHA-256 of the secret) and idempotency records."""

    conn: Connection

    # ── API keys ────────────────────────────────────────────────────────────
    def add_api_key(self, key: ApiKey, secret_hash: str) -> None:
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
        self.conn.execute(t.api_keys.insert().values(**values))

    def get_api_key(self, key_id: str) -> tuple[ApiKey, str] | None:
        row = self.conn.execute(select(t.api_keys).where(t.api_keys.c.id == key_id)).first()
        if row is None:
            return None
        return _api_key(row), row.secret_hash

    def list_api_keys(self, group_id: str) -> list[ApiKey]:
        k = t.api_keys.c
        query = select(t.api_keys).where(k.group_id == group_id).order_by(k.id)
        return [_api_key(r) for r in self.conn.execute(query)]

    def revoke_api_key(self, key_id: str, revoked_at: datetime) -> None:
        k = t.api_keys.c
        query = update(t.api_keys).where(k.id == key_id, k.revoked_at.is_(None))
        self.conn.execute(query.values(revoked_at=to_micros(revoked_at)))

    # ── idempotency keys ────────────────────────────────────────────────────
    def claim_idempotency(
        self, claim: IdempotencyClaim, stale_before: datetime, expired_before: datetime
    ) -> IdempotencyRecord | None:
        values = {
            "owner": claim.owner,
            "key": claim.key,
            "fingerprint": claim.fingerprint,
            "state": RUNNING,
            "status": None,
            "body": None,
            "created_at": to_micros(claim.now),
        }
        dialect: Any = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        i = t.idempotency_keys.c
        stmt = dialect.insert(t.idempotency_keys).values(**values).on_conflict_do_nothing()
        if self.conn.execute(stmt.returning(i.key)).first() is not None:
            return None
        takeover = (
            update(t.idempotency_keys)
            .where(i.owner == claim.owner, i.key == claim.key)
            .where(
                or_(
                    (i.state == RUNNING) & (i.created_at < to_micros(stale_before)),
                    i.created_at < to_micros(expired_before),
                )
            )
            .values(**{k: v for k, v in values.items() if k not in ("owner", "key")})
        )
        if self.conn.execute(takeover.returning(i.key)).first() is not None:
            return None
        return self._idempotency_record(claim.owner, claim.key)

    def _idempotency_record(self, owner: str, key: str) -> IdempotencyRecord:
        i = t.idempotency_keys.c
        row = self.conn.execute(
            select(t.idempotency_keys).where(i.owner == owner, i.key == key)
        ).one()
        created_at = from_micros(row.created_at)
        assert created_at is not None
        return IdempotencyRecord(
            row.fingerprint, IdempotencyState(row.state), row.status, row.body, created_at
        )

    def finish_idempotency(self, owner: str, key: str, status: int, body: str) -> None:
        i = t.idempotency_keys.c
        query = update(t.idempotency_keys).where(i.owner == owner, i.key == key)
        self.conn.execute(query.values(state=IdempotencyState.DONE.value, status=status, body=body))

    def release_idempotency(self, owner: str, key: str) -> None:
        i = t.idempotency_keys.c
        query = delete(t.idempotency_keys).where(i.owner == owner, i.key == key, i.state == RUNNING)
        self.conn.execute(query)

    def prune_idempotency(self, before: datetime) -> int:
        i = t.idempotency_keys.c
        query = delete(t.idempotency_keys).where(i.created_at < to_micros(before))
        return len(self.conn.execute(query.returning(i.key)).all())


def _api_key(row: Any) -> ApiKey:
    created_at = from_micros(row.created_at)
    assert created_at is not None
    return ApiKey(
        id=row.id,
        group_id=row.group_id,
        role=Role(row.role),
        scope_id=row.scope_id,
        name=row.name,
        created_at=created_at,
        revoked_at=from_micros(row.revoked_at),
    )
