"""Scopes: the sender tree group → client → user (seeds/004)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from consentry.api.deps import IdempotencyDep, LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS, error_responses
from consentry.api.schemas import SCOPE, Checked, ScopeText, Strict
from consentry.core import limits
from consentry.core.scopes import Scope

router = APIRouter(prefix="/v1/scopes", tags=["scopes"], responses=COMMON_ERRORS)
ScopeId = Annotated[str, Checked(limits.SCOPE_ID, field="scope_id")]


class ScopeIn(Strict):
    """A new client under a group, or a user under a client."""

    id: ScopeText = SCOPE
    name: Annotated[str | None, Checked(limits.NAME)] = Field(default=None, max_length=200)


class ScopeOut(BaseModel):
    """A node of the scope tree."""

    id: str
    name: str
    kind: str
    parent_id: str | None

    @classmethod
    def of(cls, scope: Scope) -> ScopeOut:
        """The API shape of a scope."""
        return cls(id=scope.id, name=scope.name, kind=scope.kind.value, parent_id=scope.parent_id)


class ScopeList(BaseModel):
    """Scopes at and below the caller's scope."""

    scopes: list[ScopeOut]


@router.get("", response_model=ScopeList)
def list_scopes(ledger: LedgerDep, principal: PrincipalDep) -> ScopeList:
    """The scopes at and below the key's scope."""
    return ScopeList(scopes=[ScopeOut.of(s) for s in ledger.list_scopes(principal)])


@router.post("", status_code=201, response_model=ScopeOut, responses=error_responses(409))
def add_scope(body: ScopeIn, principal: PrincipalDep, idem: IdempotencyDep) -> Response:
    """Add a client or user scope (admins, within their scope)."""
    return idem.run(
        201, lambda ledger: ScopeOut.of(ledger.add_scope(principal, body.id, name=body.name))
    )


@router.get("/{scope_id:path}", response_model=ScopeOut)
def get_scope(scope_id: ScopeId, ledger: LedgerDep, principal: PrincipalDep) -> ScopeOut:
    """One scope of the key's group."""
    return ScopeOut.of(ledger.get_scope(principal, scope_id))
