"""Eligibility: one check, or a batch of up to 10,000 in one call (SPEC §5)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from consentry.api.deps import SAFE_TO_RETRY, LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS
from consentry.api.schemas import SCOPE, WORD, Checked, DecisionOut, ScopeText, Strict
from consentry.core import limits
from consentry.core.channels import Channel
from consentry.core.eligibility import Category
from consentry.core.errors import BatchTooLarge
from consentry.ledger import CheckRequest

MAX_BATCH = 10_000
_ENCODE = json.JSONEncoder(separators=(",", ":")).encode

router = APIRouter(prefix="/v1/eligibility", tags=["eligibility"], responses=COMMON_ERRORS)


class CheckIn(Strict):
    """One (contact, channel, scope, category) to check."""

    contact: Annotated[str, Checked(limits.ID)] = Field(min_length=1, max_length=64)
    channel: Annotated[Channel, WORD]
    scope: ScopeText = SCOPE
    category: Annotated[Category, WORD] = Category.MARKETING


class BatchIn(Strict):
    """Up to 10,000 checks; more are refused with ``batch_too_large``."""

    checks: list[CheckIn] = Field(description=f"At most {MAX_BATCH:,} items.")


class BatchOut(BaseModel):
    """One decision per check, in the order asked."""

    results: list[DecisionOut]


@router.get("", response_model=DecisionOut)
def check(
    ledger: LedgerDep,
    principal: PrincipalDep,
    contact: Annotated[
        str, Query(min_length=1, max_length=64), Checked(limits.ID, field="contact")
    ],
    channel: Annotated[Channel, Checked(limits.WORD, field="channel")],
    scope: Annotated[
        str, Query(min_length=1, max_length=200), Checked(limits.SCOPE_ID, field="scope")
    ],
    category: Annotated[Category, Checked(limits.WORD, field="category")] = Category.MARKETING,
) -> DecisionOut:
    """May we send this now? Allowed, or refused with a reason code."""
    return DecisionOut.of(ledger.check(principal, contact, channel, scope, category=category))


@router.post("/batch", response_model=BatchOut, dependencies=[SAFE_TO_RETRY])
def check_many(body: BatchIn, ledger: LedgerDep, principal: PrincipalDep) -> Response:
    """Many checks in one read (writes nothing, so a retry is always safe).

    The answer is ``BatchOut``, encoded straight from the decisions: 10,000 of them are
    no 10,000 response models.
    """
    if len(body.checks) > MAX_BATCH:
        raise BatchTooLarge(
            f"a batch holds at most {MAX_BATCH:,} checks; split it",
            limit=MAX_BATCH,
            given=len(body.checks),
        )
    requests = [
        CheckRequest(c.contact, c.channel.value, c.scope, c.category.value) for c in body.checks
    ]
    results = [
        {"allowed": d.allowed, "reason": d.reason.value, "scope_id": d.scope_id,
         "event_id": d.event_id, "policy": d.policy and d.policy.value}
        for d in ledger.check_many(principal, requests)
    ]  # fmt: skip
    return Response(_ENCODE({"results": results}), media_type="application/json")
