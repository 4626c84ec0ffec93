"""Running a POST once per ``Idempotency-Key`` (docs/decisions/010-idempotency.md).

The route hands its command to ``Idempotency.run``: without a key the command just runs;
with one, the key is claimed first, and the command's response (success or refusal) is saved
for every retry. A failure that wrote nothing (unavailable, unexpected) gives the claim up so
that a retry runs again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TypeVar

from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from pydantic import BaseModel

from consentry.api.errors import error_body, error_response, status_of
from consentry.core.errors import ConsentryError
from consentry.core.permissions import Principal
from consentry.ledger import Ledger
from consentry.ledger.idempotency import begin_idempotent, finish_idempotent, release_idempotent

REPLAYED = "Idempotent-Replayed"
Model = TypeVar("Model", bound=BaseModel)


def fingerprint(method: str, target: str, body: bytes) -> str:
    """SHA-256 of the method, path and body (JSON bodies compared by content, not spacing)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
        data = canonical.encode()
    except ValueError:
        data = body
    head = f"{method.upper()} {target}\n".encode()
    return hashlib.sha256(head + data).hexdigest()


def to_json(model: BaseModel) -> str:
    """A response model as compact JSON text."""
    return json.dumps(jsonable_encoder(model), separators=(",", ":"), ensure_ascii=False)


class Idempotency:
    """One request's idempotency: who asks, with which key, for what content."""

    def __init__(self, ledger: Ledger, principal: Principal, key: str | None, print_: str) -> None:
        self.ledger = ledger
        self.principal = principal
        self.key = key
        self.fingerprint = print_

    def run(
        self,
        status: int,
        command: Callable[[], Model],
        redact: Callable[[Model], Model] | None = None,
    ) -> Response:
        """Run the command once per key and answer with its (saved) response.

        ``redact`` makes the copy that is saved for retries (a new key's token is never kept).
        """
        if self.key is None:
            return _json(status, to_json(command()))
        saved = begin_idempotent(self.ledger.context, self.principal, self.key, self.fingerprint)
        if saved is not None:
            assert saved.status is not None and saved.body is not None
            return _json(saved.status, saved.body, replayed=True)
        try:
            result = command()
        except ConsentryError as exc:
            return self._refused(exc)
        except BaseException:
            release_idempotent(self.ledger.context, self.principal, self.key)
            raise
        kept = to_json(redact(result)) if redact else to_json(result)
        finish_idempotent(self.ledger.context, self.principal, self.key, status, kept)
        return _json(status, to_json(result))

    def _refused(self, exc: ConsentryError) -> Response:
        assert self.key is not None
        status = status_of(exc)
        if status >= 500:  # nothing was written: let a retry run again
            release_idempotent(self.ledger.context, self.principal, self.key)
        else:
            finish_idempotent(
                self.ledger.context, self.principal, self.key, status, error_body(exc)
            )
        return error_response(exc)


def _json(status: int, body: str, replayed: bool = False) -> Response:
    headers = {REPLAYED: "true"} if replayed else None
    return Response(body, status, headers, media_type="application/json")
