"""A group's transactional policy per channel (seeds/003; decision 075)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from consentry.api.deps import LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS
from consentry.api.idempotency import in_one_transaction
from consentry.api.schemas import Checked, Strict
from consentry.core import limits
from consentry.core.channels import Channel
from consentry.core.eligibility import TransactionalPolicy
from consentry.core.policies import ChannelRule

router = APIRouter(prefix="/v1/policies", tags=["policies"], responses=COMMON_ERRORS)


class RuleOut(BaseModel):
    """Whether a transactional message on the channel may reach a contact who opted out of
    marketing, and who decided: the group (``updated_by``, ``updated_at``) or the deployment's
    default (both null). A bounce or a complaint is never bypassed."""

    channel: Channel
    bypass: bool
    policy: TransactionalPolicy
    updated_by: str | None
    updated_at: datetime | None

    @classmethod
    def of(cls, rule: ChannelRule) -> RuleOut:
        """The API shape of a channel's rule."""
        return cls(
            channel=rule.channel, bypass=rule.bypass, policy=rule.policy,
            updated_by=rule.updated_by, updated_at=rule.updated_at,
        )  # fmt: skip


class RulesOut(BaseModel):
    """The group's transactional policy on each enabled channel."""

    channels: list[RuleOut]


class RuleIn(Strict):
    """``true``: transactional messages may pass a marketing opt-out on this channel; ``false``:
    they are judged as marketing; ``null``: follow the deployment's default again."""

    bypass: bool | None = Field(examples=[True])


@router.get("/transactional", response_model=RulesOut)
def transactional_policy(ledger: LedgerDep, principal: PrincipalDep) -> RulesOut:
    """The transactional policy on each channel (view roles)."""
    return RulesOut(channels=[RuleOut.of(r) for r in ledger.transactional_policy(principal)])


@router.put("/transactional/{channel}", response_model=RuleOut)
def set_transactional_policy(
    channel: Annotated[Channel, Checked(limits.WORD, field="channel")],
    body: RuleIn,
    ledger: LedgerDep,
    principal: PrincipalDep,
) -> Response:
    """Set the group's own policy on a channel (admins of the whole group)."""
    return in_one_transaction(
        ledger,
        principal,
        200,
        lambda led: RuleOut.of(
            led.set_transactional_policy(principal, channel, bypass=body.bypass)
        ),
    )
