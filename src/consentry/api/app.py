"""The REST API: ``create_app(ledger)``; the app keeps no state of its own but the ledger.

Several processes can serve one PostgreSQL: keys, idempotency records and the ledger all live
in the database, so any process answers any request.
"""

from __future__ import annotations

import json
from typing import cast

from fastapi import FastAPI

from consentry.api import (
    audiences,
    confirmations,
    consent,
    contacts,
    deliverability,
    eligibility,
    errors,
    integrity,
    keys,
    keywords,
    numbers,
    outbox,
    scopes,
    unsubscribe,
)
from consentry.api.limits import BodyLimit
from consentry.ledger import Ledger

DESCRIPTION = """\
Consentry answers one question before every send: **may we contact this person, on this
channel, from this sender — and can we prove why?**

Authenticate with an API key (`Authorization: Bearer csk_…`, made with
`consentry keys create --role sender --scope acme`). Every error has the body
`{"error": {"code", "message", "details"}}` with a stable `code`. Every POST takes an
`Idempotency-Key` header: a retry with the same key and body returns the first response.
"""

ROUTERS = (
    scopes,
    keys,
    contacts,
    consent,
    unsubscribe,
    deliverability,
    eligibility,
    audiences,
    integrity,
    numbers,
    keywords,
    outbox,
    confirmations,
)


def create_app(ledger: Ledger) -> FastAPI:
    """The API over one ledger."""
    app = FastAPI(
        title="Consentry",
        version="1",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.ledger = ledger
    errors.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    app.add_middleware(BodyLimit)
    return app


def openapi_text() -> str:
    """The OpenAPI document as checked in at ``docs/openapi.json`` (``scripts/openapi``)."""
    document = create_app(cast(Ledger, None)).openapi()  # the document never touches the ledger
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
