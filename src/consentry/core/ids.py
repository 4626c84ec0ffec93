"""Identifiers: sortable by time, unguessable (the moment comes in as an argument)."""

from __future__ import annotations

import secrets
from datetime import datetime


def new_id(prefix: str, now: datetime) -> str:
    """A sortable, unguessable id: prefix, 48-bit milliseconds, 80 random bits (hex)."""
    millis = int(now.timestamp() * 1000) & (2**48 - 1)
    return f"{prefix}_{millis:012x}{secrets.token_hex(10)}"
