"""The ASGI factory behind ``consentry serve``.

uvicorn --factory consentry.server:create_server

Outside demo mode (``CONSENTRY_DEMO``) the factory refuses to start without configured secrets,
``CONSENTRY_SECRET_KEYS`` and ``CONSENTRY_ADDRESS_KEY`` or a ``CONSENTRY_KEYS_FILE``, with
``secrets_missing`` (decision 051). Run directly under uvicorn, mind its proxy defaults: it
trusts ``X-Forwarded-For`` from 127.0.0.1 unless given ``--no-proxy-headers`` or
``--forwarded-allow-ips`` (``consentry serve`` trusts no proxy unless told, decision 052).
"""

from __future__ import annotations

import gc

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
    app = compose(build(settings, embedded=False), settings)
    settle_heap()
    return app


def settle_heap() -> None:
    """Move everything start-up made (modules, models, routes) out of the collector's reach.

    A full collection walks every tracked object; with the app's several hundred thousand it
    is a pause of milliseconds in whatever request it lands in (issue 12: p99 of a check).
    Frozen objects are never scanned again; what requests allocate is collected as before.
    """
    gc.collect()
    gc.freeze()


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
