"""The hosted pages (entrypoint, thin): ``mount(app, ledger, settings)`` adds them to an app.

The pages raise their refusals; the app's one error map (``consentry.api.errors``, decision 043)
answers them with a friendly page at its status, so ``app`` must have that map installed.
"""

from __future__ import annotations

from fastapi import FastAPI

from consentry.core.errors import ConsentryError
from consentry.ledger import Ledger
from consentry.settings import Settings
from consentry.web.pages import Pages
from consentry.web.views import environment

__all__ = ["mount"]


def mount(app: FastAPI, ledger: Ledger, settings: Settings) -> None:
    """Add the unsubscribe, preferences, confirmation and link-request pages to ``app``.

    ``app`` has the error map installed (``create_app`` does, or ``consentry.api.errors.install``).
    ``settings`` is accepted for the deployment's public URL; the links themselves are built
    by the ledger's signer, which bootstrap configured from the same settings.
    """
    if ConsentryError not in app.exception_handlers:
        raise RuntimeError(
            "the hosted pages raise their refusals: install the error map on the app first "
            "(consentry.api.create_app, or consentry.api.errors.install)"
        )
    del settings  # the signer already knows the public URL
    app.include_router(Pages(ledger, environment()).router())
