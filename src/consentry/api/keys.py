"""API keys: create (the secret shown once), list, revoke (admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from consentry.api.deps import IdempotencyDep, LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS, error_responses
from consentry.api.idempotency import in_one_transaction
from consentry.api.schemas import SCOPE, Checked, ScopeText, Strict
from consentry.core import limits
from consentry.core.access import ApiKey
from consentry.ledger import Ledger
from consentry.ledger.keys import KEY_ROLES

router = APIRouter(prefix="/v1/keys", tags=["keys"], responses=COMMON_ERRORS)
KeyId = Annotated[str, Checked(limits.ID, field="key_id")]


class KeyIn(Strict):
    """A key to make: its role, its scope and a name to recognise it by."""

    role: Annotated[str, Checked(limits.WORD)] = Field(
        max_length=limits.WORD,
        examples=["sender"],
        description=f"One of {[r.value for r in KEY_ROLES]}.",
    )
    scope: ScopeText = SCOPE
    name: Annotated[str, Checked(limits.NAME)] = Field(default="", max_length=200)


class KeyOut(BaseModel):
    """A key's public part (the secret is never shown again)."""

    id: str
    role: str
    scope_id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyOut:
        """The API shape of a key."""
        return cls(
            id=key.id,
            role=key.role,
            scope_id=key.scope_id,
            name=key.name,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )


class NewKey(BaseModel):
    """A new key and its token: store the token now, it is shown this once.

    A retry with the same Idempotency-Key returns the same key with ``token: null``.
    """

    key: KeyOut
    token: str | None


class KeyList(BaseModel):
    """Keys at and below the caller's scope."""

    keys: list[KeyOut]


@router.post("", status_code=201, response_model=NewKey, responses=error_responses(409))
def create_key(body: KeyIn, principal: PrincipalDep, idem: IdempotencyDep) -> Response:
    """Create a key with a role at a scope (admins, within their scope)."""

    def create(ledger: Ledger) -> NewKey:
        key, token = ledger.create_api_key(principal, body.role, body.scope, name=body.name)
        return NewKey(key=KeyOut.of(key), token=token)

    return idem.run(201, create, redact=lambda new: NewKey(key=new.key, token=None))


@router.get("", response_model=KeyList)
def list_keys(ledger: LedgerDep, principal: PrincipalDep) -> KeyList:
    """Keys at and below the caller's scope, revoked ones included."""
    return KeyList(keys=[KeyOut.of(k) for k in ledger.list_api_keys(principal)])


@router.delete("/{key_id}", response_model=KeyOut)
def revoke_key(key_id: KeyId, ledger: LedgerDep, principal: PrincipalDep) -> Response:
    """Revoke a key at once (admins, within their scope)."""
    return in_one_transaction(
        ledger, principal, 200, lambda led: KeyOut.of(led.revoke_api_key(principal, key_id))
    )
