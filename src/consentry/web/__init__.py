"""The hosted pages (entrypoint, thin): ``mount(app, ledger, settings)`` adds them to an app."""

from __future__ import annotations

from fastapi import FastAPI

from consentry.ledger import Ledger
from consentry.settings import Settings
from consentry.web.pages import Pages
from consentry.web.views import environment

__all__ = ["mount"]


def mount(app: FastAPI, ledger: Ledger, settings: Settings) -> None:
    """Add the unsubscribe, preferences, confirmation and link-request pages to ``app``.

    ``settings`` is accepted for the deployment's public URL; the links themselves are built
    by the ledger's signer, which bootstrap configured from the same settings.
    """
    del settings  # the signer already knows the public URL
    app.include_router(Pages(ledger, environment()).router())
