"""The confirmation sweep: write ``confirmation_expired`` for requests past their time.

Expiry is already lazy in the status model; the sweep puts it in the history. It covers the
whole group, so it needs a group admin (docs/decisions/034).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from consentry.api.deps import IdempotencyDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS, error_responses

router = APIRouter(prefix="/v1/confirmations", tags=["consent"], responses=COMMON_ERRORS)


class Expired(BaseModel):
    """How many requests the sweep closed (at most ``limit``; run again while it is full)."""

    expired: int


@router.post("/expire", response_model=Expired, responses=error_responses(409))
def expire_confirmations(
    principal: PrincipalDep,
    idem: IdempotencyDep,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> Response:
    """Record the expiry of every confirmation request of the group past its time."""
    return idem.run(
        200, lambda ledger: Expired(expired=ledger.expire_confirmations(principal, limit=limit))
    )
