"""API keys and idempotency keys: who calls, and a request that runs once (SPEC §3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from consentry.core.permissions import Role


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key's public part: who it speaks for. The secret is kept only as a hash."""

    id: str
    group_id: str
    role: Role
    scope_id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None = None


class IdempotencyState(StrEnum):
    """Where a request under an idempotency key stands. Stored: add, never rename or remove."""

    RUNNING = "running"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    """A request asking to run once under ``(owner, key)``; ``fingerprint`` names its content."""

    owner: str
    key: str
    fingerprint: str
    now: datetime


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """What is stored under an idempotency key: running, or done with its saved response."""

    fingerprint: str
    state: IdempotencyState
    status: int | None
    body: str | None
    created_at: datetime
