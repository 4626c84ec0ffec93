"""The REST API: ``create_app(ledger)``; the app keeps no state of its own but the ledger.

Several processes can serve one PostgreSQL: keys, idempotency records and the ledger all live
in the database, so any process answers any request.

``/docs`` is Swagger UI from the package ``fastapi-offline`` (the swagger-ui-dist files), so it
renders without the internet, under a CSP that allows only this origin. Every response of the
app, errors included, carries the security headers of ``SecurityHeaders`` (decision 052).
"""

from __future__ import annotations

import html
import json
import os
from importlib.resources import files
from pathlib import Path
from typing import cast

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from consentry.api import (
    audiences,
    confirmations,
    consent,
    contacts,
    deliverability,
    eligibility,
    erasure,
    errors,
    exports,
    imports,
    integrity,
    journeys,
    keys,
    keywords,
    numbers,
    outbox,
    policies,
    proof,
    rules,
    scopes,
    sends,
    trends,
    unsubscribe,
    webhooks,
)
from consentry.api.import_runner import ImportRunner
from consentry.api.limits import BodyLimit
from consentry.ledger import Ledger
from consentry.settings import Settings

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
    erasure,
    consent,
    unsubscribe,
    deliverability,
    eligibility,
    audiences,
    integrity,
    exports,
    policies,
    numbers,
    keywords,
    outbox,
    confirmations,
    trends,
    proof,
    imports,
    webhooks,
    rules,
    journeys,
    sends,
)


#: What every response carries unless its route set its own (the hosted pages set stricter
#: ones, decision 030): no sniffing, no referrer, no framing, nothing loaded, nothing cached.
SECURITY_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("content-security-policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
    ("cache-control", "no-store"),
)

#: The API docs page: its script, styles, images and the OpenAPI document from this origin only.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
DOCS_ASSETS = "/docs/assets"  # swagger-ui-bundle.js, swagger-ui.css, favicon.png

DOCS_PAGE = """\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Consentry API</title>
<link rel="stylesheet" href="{root}/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="{root}/docs/assets/favicon.png">
</head>
<body>
<div id="swagger-ui" data-openapi="{root}/openapi.json"></div>
<script src="{root}/docs/assets/swagger-ui-bundle.js"></script>
<script src="{root}/docs/swagger-init.js"></script>
</body>
</html>
"""

#: Swagger UI's start-up, a script of our own rather than inline, so the CSP needs no
#: 'unsafe-inline'; no validator badge (it would call validator.swagger.io).
DOCS_INIT = """\
"use strict";
window.ui = SwaggerUIBundle({
  url: document.getElementById("swagger-ui").dataset.openapi,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
});
"""


class SecurityHeaders:
    """Add ``SECURITY_HEADERS`` to every response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS:
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ConsentryAPI(FastAPI):
    """FastAPI with ``SecurityHeaders`` outside even its last-resort error handler.

    A middleware added with ``add_middleware`` sits inside Starlette's ``ServerErrorMiddleware``,
    so the 500 it answers with would go out bare; this wraps the whole stack.
    """

    def build_middleware_stack(self) -> ASGIApp:
        """The usual stack, wrapped in ``SecurityHeaders``."""
        return SecurityHeaders(super().build_middleware_stack())


class DocsAssets(StaticFiles):
    """The Swagger UI files: revalidated by their ETag rather than never stored (1.5 MB)."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        """The file, with ``Cache-Control: no-cache``."""
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        return response


def create_app(ledger: Ledger, settings: Settings | None = None) -> FastAPI:
    """The API over one ledger; ``settings`` says where import uploads wait and how large
    they may be (default: the system's temp dir, 1 GiB)."""
    app = ConsentryAPI(
        title="Consentry",
        version="1",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # served below from the package, not a CDN
        redoc_url=None,
    )
    app.state.ledger = ledger
    app.state.imports = ImportRunner(ledger, settings or Settings())
    errors.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    add_docs(app)
    app.add_middleware(BodyLimit, exempt=frozenset({imports.UPLOAD_PATH}))  # bounds its own
    return app


def add_docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI from ``fastapi-offline``'s copy of swagger-ui-dist, no CDN."""
    assets = Path(str(files("fastapi_offline") / "static"))
    app.mount(DOCS_ASSETS, DocsAssets(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = html.escape(str(request.scope.get("root_path", "")).rstrip("/"))
        headers = {"Content-Security-Policy": DOCS_CSP}
        return HTMLResponse(DOCS_PAGE.format(root=root), headers=headers)

    @app.get("/docs/swagger-init.js", include_in_schema=False)
    def docs_init() -> Response:
        return Response(DOCS_INIT, media_type="text/javascript")


def openapi_text() -> str:
    """The OpenAPI document as checked in at ``docs/openapi.json`` (``scripts/openapi``)."""
    document = create_app(cast(Ledger, None)).openapi()  # the document never touches the ledger
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
