"""A cap on request bodies: larger ones get 413 ``payload_too_large`` in the one error body."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from consentry.api.errors import error_response
from consentry.core.errors import PayloadTooLarge

#: Enough for a batch of 10,000 checks or an uploaded segment of ~500,000 contact ids.
MAX_BODY = 32 * 1024 * 1024


class BodyLimit:
    """Refuse a body over ``limit`` bytes: by its Content-Length, or as it streams in."""

    def __init__(
        self, app: ASGIApp, limit: int = MAX_BODY, exempt: frozenset[str] = frozenset()
    ) -> None:
        self.app = app
        self.limit = limit
        self.exempt = exempt  # paths whose route bounds its own body (an import's upload)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        message = f"the request body is larger than {self.limit:,} bytes"
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                response = error_response(PayloadTooLarge(message, limit=self.limit))
                await response(scope, receive, send)
                return
        seen = 0

        async def Counted() -> Message:
            nonlocal seen
            got = await receive()
            seen += len(got.get("body", b""))
            if seen > self.limit:  # the route's body read turns this into the error body
                raise HTTPException(413, message)
            return got

        await self.app(scope, Counted, send)
