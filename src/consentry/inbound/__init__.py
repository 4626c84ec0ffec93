"""Inbound webhooks: the contact's own messages and keypresses, from SMS/voice providers.

    mount(app, ledger, settings)   # adds POST /v1/inbound/twilio/messages, …/twilio/voice,
                                   # and /v1/inbound/messages to a FastAPI app, and the
                                   # deliverability feeds /v1/inbound/feeds/{group}/… (074)

Thin by design: verify the provider's signature, translate its format, call
``Ledger.receive_message`` / ``Ledger.press_key``, answer in the provider's format. Refusals
are raised and answered by the app's one error map (``consentry.api.errors``, decision 043),
so ``app`` must have it installed: ``create_app`` does, or ``consentry.api.errors.install``.
"""

from __future__ import annotations

from fastapi import FastAPI

from consentry.core.errors import ConsentryError
from consentry.inbound.feeds import make_feeds_router
from consentry.inbound.routes import make_router
from consentry.ledger import Ledger
from consentry.settings import Settings

__all__ = ["make_router", "mount"]


def mount(app: FastAPI, ledger: Ledger, settings: Settings) -> None:
    """Add the inbound webhooks over ``ledger`` to ``app`` (which has the error map installed)."""
    if ConsentryError not in app.exception_handlers:
        raise RuntimeError(
            "the inbound webhooks raise their refusals: install the error map on the app first "
            "(consentry.api.create_app, or consentry.api.errors.install)"
        )
    app.include_router(make_router(ledger, settings))
    app.include_router(make_feeds_router(ledger, settings))  # deliverability feeds (074)
