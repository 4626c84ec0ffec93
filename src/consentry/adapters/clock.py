"""Clocks: the one place that reads the wall clock, and a fixed one for tests and replays."""

from __future__ import annotations

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
