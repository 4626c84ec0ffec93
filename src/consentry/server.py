"""The ASGI factory behind ``consentry serve``.

uvicorn --factory consentry.server:create_server

Outside demo mode (``CONSENTRY_DEMO``) the factory refuses to start without configured secrets,
``CONSENTRY_SECRET_KEYS`` and ``CONSENTRY_ADDRESS_KEY`` or a ``CONSENTRY_KEYS_FILE``, with
``secrets_missing`` (decision 051). Run directly under uvicorn, mind its proxy defaults: it
trusts ``X-Forwarded-For`` from 127.0.0.1 unless given ``--no-proxy-headers`` or
``--forwarded-allow-ips`` (``consentry serve`` trusts no proxy unless told, decision 052).
"""

from __future__ import annotations

from fastapi import FastAPI

from consentry.api import create_app
from consentry.bootstrap import build
from consentry.inbound import mount as mount_inbound
from consentry.ledger import Ledger
from consentry.settings import Settings
from consentry.staff import mount as mount_staff
from consentry.web import mount


def create_server(settings: Settings | None = None) -> FastAPI:
    """The API and the hosted pages on the ledger the settings (default: environment) name.

    Raises ``SecretsMissing`` without configured secrets, unless ``settings.demo``.
    """
    settings = settings or Settings.from_env()
    return compose(build(settings, embedded=False), settings)


def compose(ledger: Ledger, settings: Settings) -> FastAPI:
    """One app over ``ledger``: the API, the hosted pages and the webhooks, one error map.

    ``create_app`` installs the error map (``api/errors.py``, decision 043); the pages and the
    webhooks raise into it, and the pages answer with their friendly HTML page.
    """
    app = create_app(ledger, settings)
    mount(app, ledger, settings)  # the hosted pages: /u/…, /confirm/…, /preferences
    mount_inbound(app, ledger, settings)  # the SMS/voice webhooks: /v1/inbound/…
    mount_staff(app, ledger, settings)  # the staff web app: /, /sign-in, /contacts…
    return app
