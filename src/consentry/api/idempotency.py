"""Running a POST in one unit of work, once per ``Idempotency-Key`` (docs/decisions/020).

The route hands its command to ``Idempotency.run`` as a function of a ``Ledger``: the ledger it
gets is request-scoped, its store joined to the one transaction of this request
(``consentry.ledger.idempotency.run_once``). The command's response body is built inside that
transaction, and with a key it is saved there too (success or refusal), so the commit comes
last: a body that cannot be built keeps nothing, and a crash after the commit leaves a saved
response for the retry. After the commit only the ready bytes are handed over.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TypeVar

from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from pydantic import BaseModel

from consentry.api.errors import error_body, headers_of, status_of
from consentry.core.errors import ConsentryError
from consentry.core.permissions import Principal
from consentry.ledger import Context, Ledger
from consentry.ledger.idempotency import Answer, run_once

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
    """A response model as compact JSON text, ready to encode (see ``sendable``)."""
    text = json.dumps(jsonable_encoder(model), separators=(",", ":"), ensure_ascii=False)
    return sendable(text)


def sendable(text: str) -> str:
    """JSON text that encodes as UTF-8: a lone surrogate becomes its ``\\uXXXX`` escape.

    JSON text holds characters only inside strings, where ``\\udc80`` is the same character, so
    the value is unchanged; encoding it after the commit can then no longer fail.
    """
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


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
        command: Callable[[Ledger], Model],
        redact: Callable[[Model], Model] | None = None,
    ) -> Response:
        """Run the command on the request's ledger, once per key; its (saved) response.

        ``command`` must use the ledger it is given (joined to this request's transaction),
        not the app's. ``redact`` makes the copy that is saved for retries (a new key's token
        is never kept).
        """

        def answer(joined: Context) -> Answer:
            result = command(Ledger(joined))
            body = to_json(result)
            kept = to_json(redact(result)) if redact else None
            return Answer(status, body, kept)

        done = run_once(
            self.ledger.context, self.principal, self.key, self.fingerprint, answer, _refusal
        )
        return _response(done)


def in_one_transaction(
    ledger: Ledger, principal: Principal, status: int, command: Callable[[Ledger], Model]
) -> Response:
    """A write without an Idempotency-Key (PATCH, PUT, DELETE): the command and its response
    body are built inside one transaction, committed last, so nothing can fail after it."""
    return Idempotency(ledger, principal, None, "").run(status, command)


def _refusal(exc: ConsentryError) -> Answer | None:
    """A refusal's saved answer; None for a failure that wrote nothing (a retry runs again)."""
    status = status_of(exc)
    if status >= 500:
        return None
    return Answer(status, sendable(error_body(exc)))


def _response(answer: Answer) -> Response:
    headers = headers_of(answer.status)
    if answer.replayed:
        headers[REPLAYED] = "true"
    return Response(answer.body, answer.status, headers or None, media_type="application/json")
