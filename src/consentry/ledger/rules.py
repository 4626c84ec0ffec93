"""Lifecycle rules: define them, and apply them with the contact change that fires them (077).

Admins manage the rules of their scope and below (``manage_rules``): create, list, get (with
the recent skipped firings), update (a new version) and delete. ``apply_rules`` is called by
the contacts commands inside their transaction, after the contact is written:

    the group's current rules → those the change fires (``core.rules.fires``)
      → for each: lock the chain, read the consent on its channel along its scope's path
      → ``core.rules.plan``: record the event (actor ``rule:<id>``, source ``lifecycle_rule``,
        evidence naming the rule, its version and the trigger), record a skip with its
        reason (a hard opt-out is never lifted), or do nothing

A failing change rolls its rules' events back with it. An import does not fire rules (077).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, TypeVar

from consentry.core import limits
from consentry.core.channels import Channel, parse_channel
from consentry.core.contacts import Contact
from consentry.core.errors import Invalid, RuleNotFound
from consentry.core.events import Action, Actor, ActorKind, Source, canonical_evidence
from consentry.core.evidence import check_written_permission
from consentry.core.ids import new_id
from consentry.core.permissions import Capability, Principal, authorise
from consentry.core.rules import (
    Rule,
    RuleDetail,
    RuleStatus,
    Skip,
    SkipReason,
    Trigger,
    TriggerKind,
    fires,
    plan,
)
from consentry.core.scopes import is_within, path_to_root
from consentry.core.status import NO_CONSENT
from consentry.core.transitions import governing
from consentry.ledger.consent import close_overridden_requests
from consentry.ledger.context import Context
from consentry.ledger.ports import RuleTx, Tx
from consentry.ledger.steps import Change, load_scope, record

RECENT = 20  #: skipped firings shown with a rule
CLEARABLE = frozenset({"name", "value", "permission"})  #: what ``update_rule`` may drop
E = TypeVar("E", TriggerKind, RuleStatus)
V = TypeVar("V")


def create_rule(
    ctx: Context,
    principal: Principal,
    scope_id: str,
    *,
    trigger: str | TriggerKind,
    channel: str,
    status: str | RuleStatus,
    name: str | None = None,
    value: str | None = None,
    permission: Mapping[str, Any] | None = None,
) -> Rule:
    """A rule: when ``trigger`` (``name``, ``value``) fires, set ``status`` on ``channel`` at
    the scope. An ``opted_in`` rule needs the admin's record of written permission (056)."""
    authorise(principal, Capability.MANAGE_RULES)
    now = ctx.clock.now()
    with ctx.store.transaction() as tx:
        scope = load_scope(ctx, tx, principal, scope_id)
        authorise(principal, Capability.MANAGE_RULES, scope.id)
        rule = _defined(
            ctx, principal, new_id("lr", now), 1, scope.id, trigger=trigger, channel=channel,
            status=status, name=name, value=value, permission=permission,
        )  # fmt: skip
        tx.rules().add_rule(rule)
        tx.commit()
    return rule


def update_rule(
    ctx: Context,
    principal: Principal,
    rule_id: str,
    *,
    trigger: str | TriggerKind | None = None,
    channel: str | None = None,
    status: str | RuleStatus | None = None,
    name: str | None = None,
    value: str | None = None,
    permission: Mapping[str, Any] | None = None,
    clear: Collection[str] = (),
) -> Rule:
    """Change a rule: a new version, which fires from now on (its id stays; the events it
    recorded keep naming the version that recorded them). What is not given stays, except
    that a new trigger kind drops the old one's list or attribute and value, and a new status
    of ``opted_out`` drops the record of permission; ``clear`` names any of ``name``,
    ``value`` and ``permission`` to drop. A change to nothing makes no version."""
    unknown = set(clear) - CLEARABLE
    if unknown:
        raise Invalid(f"only {', '.join(sorted(CLEARABLE))} can be cleared", field="clear")
    authorise(principal, Capability.MANAGE_RULES)
    limits.text(rule_id, field="rule_id", max_length=limits.ID)
    with ctx.store.transaction() as tx:
        tx.rules().lock_rule(rule_id)  # a concurrent edit of it waits for this one
        old = _load(tx.rules(), principal, rule_id)
        kind = old.trigger.kind if trigger is None else _enum(TriggerKind, trigger, "trigger")
        sets = old.status if status is None else _enum(RuleStatus, status, "status")
        same_trigger, keeps_permission = kind is old.trigger.kind, sets is old.status
        rule = _defined(
            ctx, principal, old.id, old.version + 1, old.scope_id, trigger=kind,
            channel=channel or old.channel.value, status=sets,
            name=_kept(name, old.trigger.name, "name" in clear or not same_trigger),
            value=_kept(value, old.trigger.value, "value" in clear or not same_trigger),
            permission=_kept(
                permission, old.permission,
                "permission" in clear or (not keeps_permission and sets is RuleStatus.OPTED_OUT),
            ),
        )  # fmt: skip
        if _definition(rule) == _definition(old):
            return old
        tx.rules().add_rule(rule)
        tx.commit()
    return rule


def _kept(given: V | None, old: V | None, dropped: bool) -> V | None:
    """A field of a rule's next version: the one given, else none if dropped, else the old."""
    if given is not None:
        return given
    return None if dropped else old


def _definition(rule: Rule) -> tuple[object, ...]:
    permission = None if rule.permission is None else dict(rule.permission)
    return (rule.trigger, rule.channel, rule.status, permission)


def list_rules(ctx: Context, principal: Principal) -> list[Rule]:
    """The current version of each rule at and below the principal's scope."""
    authorise(principal, Capability.MANAGE_RULES)
    with ctx.store.transaction(write=False) as tx:
        rules = tx.rules().list_rules(principal.group_id)
    return [r for r in rules if is_within(r.scope_id, principal.scope_id)]


def get_rule(ctx: Context, principal: Principal, rule_id: str) -> RuleDetail:
    """A rule's current version and its most recent skipped firings."""
    with ctx.store.transaction(write=False) as tx:
        rule = _load(tx.rules(), principal, rule_id)
        skips = tx.rules().recent_skips(rule.id, RECENT)
    return RuleDetail(rule, tuple(skips))


def delete_rule(ctx: Context, principal: Principal, rule_id: str) -> Rule:
    """Stop a rule firing; its versions stay, as the events it recorded name them."""
    with ctx.store.transaction() as tx:
        rule = _load(tx.rules(), principal, rule_id)
        tx.rules().delete_rule(rule.id)
        tx.commit()
    return rule


def apply_rules(
    ctx: Context, tx: Tx, principal: Principal, before: Contact | None, after: Contact
) -> None:
    """Fire, in ``tx``, each of the group's rules that the change ``before`` → ``after``
    fires (``before`` None: the contact was just added)."""
    for rule in tx.rules().list_rules(after.group_id):
        if fires(rule.trigger, before, after):
            _fire(ctx, tx, principal, rule, after)


def _fire(ctx: Context, tx: Tx, principal: Principal, rule: Rule, contact: Contact) -> None:
    head = tx.lock_chain(contact.id)
    path = path_to_root(rule.scope_id)
    consents = tx.consents(contact.id, rule.channel, path)
    own = consents.get(rule.scope_id, NO_CONSENT)
    outcome = plan(rule.status, own, governing(consents, path))
    if outcome is None:
        return
    now = ctx.clock.now()
    if isinstance(outcome, SkipReason):
        skip = Skip(
            id=new_id("rs", now), group_id=contact.group_id, rule_id=rule.id,
            rule_version=rule.version, contact_id=contact.id, trigger=rule.trigger.label,
            reason=outcome, at=now,
        )  # fmt: skip
        tx.rules().add_skip(skip)
        return
    change = Change(
        contact=contact, channel=rule.channel, scope_id=rule.scope_id, action=outcome,
        actor=Actor(ActorKind.RULE, rule.id), recorded_by=principal.id,
        source=Source.LIFECYCLE_RULE, evidence=_evidence(rule),
    )  # fmt: skip
    event = record(ctx, tx, head, change, own)
    if outcome is Action.OPTED_OUT:
        close_overridden_requests(ctx, tx, contact, event)


def _evidence(rule: Rule) -> dict[str, Any]:
    named = {"rule_id": rule.id, "rule_version": rule.version, "trigger": rule.trigger.label}
    return {**(rule.permission or {}), **named}


def _defined(
    ctx: Context,
    principal: Principal,
    rule_id: str,
    version: int,
    scope_id: str,
    *,
    trigger: str | TriggerKind,
    channel: str,
    status: str | RuleStatus,
    name: str | None,
    value: str | None,
    permission: Mapping[str, Any] | None,
) -> Rule:
    """One version of a rule, its input checked (nothing is written)."""
    limits.optional_text(name, field="name", max_length=limits.NAME)
    limits.optional_text(value, field="value", max_length=limits.ATTRIBUTE_VALUE)
    kind, sets = _enum(TriggerKind, trigger, "trigger"), _enum(RuleStatus, status, "status")
    now = ctx.clock.now()
    _check_permission(sets, permission, now)
    return Rule(
        id=rule_id, version=version, group_id=principal.group_id, scope_id=scope_id,
        trigger=Trigger(kind, name or None, value), channel=_channel(ctx, channel),
        status=sets, permission=None if permission is None else dict(permission),
        created_by=principal.id, created_at=now,
    )  # fmt: skip


def _check_permission(
    status: RuleStatus, permission: Mapping[str, Any] | None, now: datetime
) -> None:
    if status is RuleStatus.OPTED_OUT:
        if permission is not None:
            raise Invalid("an opted_out rule carries no permission", field="permission")
        return
    canonical_evidence(permission)  # bounded as any evidence (050)
    check_written_permission(permission, now)


def _channel(ctx: Context, channel: str) -> Channel:
    limits.text(channel, field="channel", max_length=limits.WORD)
    return ctx.policy.require_enabled(parse_channel(channel))


def _enum(kind: type[E], value: str | E, field: str) -> E:
    try:
        return kind(str(value))
    except ValueError:
        allowed = ", ".join(v.value for v in kind)
        raise Invalid(f"{field} is one of {allowed}", field=field) from None


def _load(rules: RuleTx, principal: Principal, rule_id: str) -> Rule:
    """The principal's group's rule (``rule_not_found``), within its reach."""
    authorise(principal, Capability.MANAGE_RULES)
    limits.text(rule_id, field="rule_id", max_length=limits.ID)
    rule = rules.get_rule(rule_id)
    if rule is None or rule.group_id != principal.group_id:
        raise RuleNotFound(f"no rule {rule_id!r}", rule_id=rule_id)
    authorise(principal, Capability.MANAGE_RULES, rule.scope_id)
    return rule
