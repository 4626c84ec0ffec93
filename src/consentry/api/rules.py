"""Lifecycle rules: "when a contact joins a list … set a status" (admins; decision 077)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from consentry.api.deps import IdempotencyDep, LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS, error_responses
from consentry.api.idempotency import in_one_transaction
from consentry.api.schemas import SCOPE, WORD, Checked, Evidence, ScopeText, Strict
from consentry.core import limits
from consentry.core.channels import Channel
from consentry.core.rules import Rule, RuleDetail, RuleStatus, Skip, SkipReason, TriggerKind
from consentry.ledger import Ledger
from consentry.ledger.rules import CLEARABLE

router = APIRouter(prefix="/v1/rules", tags=["rules"], responses=COMMON_ERRORS)
RuleId = Annotated[str, Checked(limits.ID, field="rule_id")]
PERMISSION = {
    "written_permission": "signed_form",
    "given_at": "2026-01-02",
    "reference": "VIP sign-up form: 'Yes, email me VIP offers.'",
}


class LifecycleRuleIn(Strict):
    """When ``trigger`` fires (``list_joined`` names the list, ``attribute_changed`` the
    attribute and optionally the ``value`` it changes to; ``created`` names nothing), set
    ``status`` on ``channel`` at ``scope``. An ``opted_in`` rule needs ``permission``, the
    admin's record of why joining is written permission (decision 056)."""

    scope: ScopeText = SCOPE
    trigger: Annotated[TriggerKind, WORD]
    name: Annotated[str | None, Checked(limits.NAME)] = Field(default=None, examples=["vip"])
    value: Annotated[str | None, Checked(limits.ATTRIBUTE_VALUE)] = None
    channel: Annotated[Channel, WORD]
    status: Annotated[RuleStatus, WORD]
    permission: Evidence | None = Field(default=None, examples=[PERMISSION])


class LifecycleRulePatch(Strict):
    """What to change; the fields not given stay (a new ``trigger`` drops the old one's
    ``name`` and ``value``, a new ``status`` of ``opted_out`` the ``permission``). ``null``
    clears ``name``, ``value`` or ``permission``. The scope stays: to move a rule, delete it and
    make another."""

    trigger: Annotated[TriggerKind | None, WORD] = None
    name: Annotated[str | None, Checked(limits.NAME)] = Field(default=None, examples=["vip"])
    value: Annotated[str | None, Checked(limits.ATTRIBUTE_VALUE)] = None
    channel: Annotated[Channel | None, WORD] = None
    status: Annotated[RuleStatus | None, WORD] = None
    permission: Evidence | None = Field(default=None, examples=[PERMISSION])

    def cleared(self) -> list[str]:
        """The fields given as ``null``: to clear."""
        return [
            f for f in sorted(CLEARABLE) if f in self.model_fields_set and getattr(self, f) is None
        ]


class LifecycleRuleOut(BaseModel):
    """One version of a rule (the current one)."""

    id: str
    version: int
    scope_id: str
    trigger: TriggerKind
    name: str | None
    value: str | None
    channel: Channel
    status: RuleStatus
    permission: dict[str, Any] | None
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, rule: Rule) -> LifecycleRuleOut:
        """The API shape of a rule."""
        return cls(
            id=rule.id, version=rule.version, scope_id=rule.scope_id, trigger=rule.trigger.kind,
            name=rule.trigger.name, value=rule.trigger.value, channel=rule.channel,
            status=rule.status, permission=_plain(rule.permission), created_by=rule.created_by,
            created_at=rule.created_at,
        )  # fmt: skip


def _plain(permission: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if permission is None else dict(permission)


class SkipOut(BaseModel):
    """A firing that changed nothing, and why (``hard_opt_out_locked``: the contact's own)."""

    contact_id: str
    rule_version: int
    trigger: str
    reason: SkipReason
    at: datetime

    @classmethod
    def of(cls, skip: Skip) -> SkipOut:
        """The API shape of a skipped firing."""
        return cls(
            contact_id=skip.contact_id, rule_version=skip.rule_version, trigger=skip.trigger,
            reason=skip.reason, at=skip.at,
        )  # fmt: skip


class LifecycleRuleDetailOut(LifecycleRuleOut):
    """A rule with its most recent skipped firings, newest first."""

    skips: list[SkipOut]

    @classmethod
    def of_detail(cls, detail: RuleDetail) -> LifecycleRuleDetailOut:
        """The API shape of a rule and its skips."""
        skips = [SkipOut.of(s) for s in detail.skips]
        return cls(**LifecycleRuleOut.of(detail.rule).model_dump(), skips=skips)


class LifecycleRuleList(BaseModel):
    """Rules at and below the caller's scope."""

    rules: list[LifecycleRuleOut]


@router.post("", status_code=201, response_model=LifecycleRuleOut, responses=error_responses(409))
def create_rule(body: LifecycleRuleIn, principal: PrincipalDep, idem: IdempotencyDep) -> Response:
    """Define a lifecycle rule at a scope (admins, within their scope)."""

    def create(ledger: Ledger) -> LifecycleRuleOut:
        rule = ledger.create_rule(
            principal, body.scope, trigger=body.trigger, channel=body.channel,
            status=body.status, name=body.name, value=body.value, permission=body.permission,
        )  # fmt: skip
        return LifecycleRuleOut.of(rule)

    return idem.run(201, create)


@router.get("", response_model=LifecycleRuleList)
def list_rules(ledger: LedgerDep, principal: PrincipalDep) -> LifecycleRuleList:
    """Rules at and below the caller's scope."""
    return LifecycleRuleList(rules=[LifecycleRuleOut.of(r) for r in ledger.list_rules(principal)])


@router.get("/{rule_id}", response_model=LifecycleRuleDetailOut)
def get_rule(rule_id: RuleId, ledger: LedgerDep, principal: PrincipalDep) -> LifecycleRuleDetailOut:
    """A rule and its recent skipped firings (a hard opt-out it could not lift, …)."""
    return LifecycleRuleDetailOut.of_detail(ledger.get_rule(principal, rule_id))


@router.patch("/{rule_id}", response_model=LifecycleRuleOut)
def update_rule(
    rule_id: RuleId, body: LifecycleRulePatch, ledger: LedgerDep, principal: PrincipalDep
) -> Response:
    """Change a rule: a new version (same id), which fires from now on; the events recorded
    before keep naming the version that recorded them."""

    def update(led: Ledger) -> LifecycleRuleOut:
        rule = led.update_rule(
            principal, rule_id, trigger=body.trigger, channel=body.channel, status=body.status,
            name=body.name, value=body.value, permission=body.permission, clear=body.cleared(),
        )  # fmt: skip
        return LifecycleRuleOut.of(rule)

    return in_one_transaction(ledger, principal, 200, update)


@router.delete("/{rule_id}", response_model=LifecycleRuleOut)
def delete_rule(rule_id: RuleId, ledger: LedgerDep, principal: PrincipalDep) -> Response:
    """Stop a rule firing (its versions stay: the events it recorded name them)."""
    return in_one_transaction(
        ledger, principal, 200, lambda led: LifecycleRuleOut.of(led.delete_rule(principal, rule_id))
    )
