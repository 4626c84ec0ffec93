"""Time and identifiers for the use cases (the one place that reads the wall clock)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


class SystemClock:
    """The real clock: timezone-aware UTC."""

    def now(self) -> datetime:
        """The current moment."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that says what it is told (tests, replays)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        """The moment set."""
        return self.moment

    def set(self, moment: datetime) -> None:
        """Move the clock."""
        self.moment = moment


def new_id(prefix: str, now: datetime) -> str:
    """A sortable, unguessable id: prefix, 48-bit milliseconds, 80 random bits (hex)."""
    millis = int(now.timestamp() * 1000) & (2**48 - 1)
    return f"{prefix}_{millis:012x}{secrets.token_hex(10)}"
