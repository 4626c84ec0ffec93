"""The REST API for senders and staff (issue 4): ``create_app(ledger)``."""

from __future__ import annotations

from consentry.api.app import create_app

__all__ = ["create_app"]
