"""The ASGI factory behind ``consentry serve``.

uvicorn --factory consentry.server:create_server
"""

from __future__ import annotations

from fastapi import FastAPI

from consentry.api import create_app
from consentry.bootstrap import build
from consentry.inbound import mount as mount_inbound
from consentry.settings import Settings
from consentry.web import mount


def create_server(settings: Settings | None = None) -> FastAPI:
    """The API and the hosted pages on the ledger the settings (default: environment) name."""
    settings = settings or Settings.from_env()
    ledger = build(settings)
    app = create_app(ledger)
    mount(app, ledger, settings)  # the hosted pages: /u/…, /confirm/…, /preferences
    mount_inbound(app, ledger, settings)  # the SMS/voice webhooks: /v1/inbound/…
    return app
