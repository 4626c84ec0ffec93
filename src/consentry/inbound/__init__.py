"""Inbound webhooks: the contact's own messages and keypresses, from SMS/voice providers.

    mount(app, ledger, settings)   # adds POST /v1/inbound/twilio/messages, …/twilio/voice,
                                   # and /v1/inbound/messages to a FastAPI app

Thin by design: verify the provider's signature, translate its format, call
``Ledger.receive_message`` / ``Ledger.press_key``, answer in the provider's format.
"""

from __future__ import annotations

from fastapi import FastAPI

from consentry.inbound.routes import make_router
from consentry.ledger import Ledger
from consentry.settings import Settings

__all__ = ["make_router", "mount"]


def mount(app: FastAPI, ledger: Ledger, settings: Settings) -> None:
    """Add the inbound webhooks over ``ledger`` to ``app``."""
    app.include_router(make_router(ledger, settings))
