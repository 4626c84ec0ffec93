"""Typed dependencies: the ledger, the calling principal, the idempotency of a POST."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from consentry.api.idempotency import Idempotency, fingerprint
from consentry.core.errors import Unauthenticated
from consentry.core.permissions import Principal
from consentry.ledger import Ledger
from consentry.ledger.keys import authenticate

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key made with `consentry keys create`: `Authorization: Bearer csk_…`.",
)


def get_ledger(request: Request) -> Ledger:
    """The ledger the app was built with."""
    ledger: Ledger = request.app.state.ledger
    return ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]


def get_principal(
    ledger: LedgerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller, from ``Authorization: Bearer csk_…``; 401 ``unauthenticated`` otherwise."""
    if credentials is None:
        raise Unauthenticated("send an API key: Authorization: Bearer csk_…")
    return authenticate(ledger.context, credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Any unique string (a UUID): a retry with the same key and body "
        "returns the first response and writes nothing new.",
    ),
]


async def get_idempotency(
    request: Request,
    ledger: LedgerDep,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> Idempotency:
    """The idempotency of this POST, keyed by the caller and its ``Idempotency-Key``."""
    body = await request.body()
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Idempotency(
        ledger, principal, idempotency_key, fingerprint(request.method, target, body)
    )


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]


def read_only_post(
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            description="Accepted and not needed: this POST only reads, so a retry is safe.",
        ),
    ] = None,
) -> None:
    """A POST that only reads (checks, audiences) takes an Idempotency-Key and needs none."""
    del idempotency_key


SAFE_TO_RETRY = Depends(read_only_post)
