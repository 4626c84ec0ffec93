"""Lifecycle rules in the staff app (issue 10; decisions 077 and 081).

Admins with ``manage_rules`` see the current rules in their reach (trigger, channel, status,
scope, version) and add one: "when a contact joins a list / is added / an attribute changes
(to a value), set opted out or opted in on a channel at a scope". An opted-in rule carries the
admin's record of why that is the contact's written permission, as the profile's opt-in form
asks (decision 056). A rule's own page shows its record and its recent skipped firings with
their reason, changes it (a new version) and removes it after a tick. Every form carries the
session's CSRF token; the ledger decides who may; a refusal of what was typed is shown next to
the form, which keeps its values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment
from starlette.datastructures import FormData

from consentry.core import limits
from consentry.core.errors import EvidenceRequired, Invalid
from consentry.core.evidence import written_permission
from consentry.core.permissions import Capability, authorise
from consentry.core.rules import Rule, RuleStatus, SkipReason, Trigger, TriggerKind
from consentry.ledger import Ledger
from consentry.staff.forms import Fields, confirmed_removal, signed_form
from consentry.staff.profile import PERMISSION_WORDS
from consentry.staff.render import page
from consentry.staff.session import signed_in
from consentry.staff.views import CHANNELS, shown_channels

#: The forms' fields: the longest each may be, once each (decision 050).
FIELDS: Fields = {
    "csrf": (128, 1),
    "scope": (limits.SCOPE_ID, 1),
    "trigger": (limits.WORD, 1),
    "name": (limits.NAME, 1),
    "value": (limits.ATTRIBUTE_VALUE, 1),
    "channel": (limits.WORD, 1),
    "status": (limits.WORD, 1),
    "written_permission": (limits.WORD, 1),
    "given_at": (limits.WORD, 1),
    "reference": (1000, 1),
    "confirm": (limits.WORD, 1),
}
FORM_ERRORS = (Invalid, EvidenceRequired)  #: shown next to the form (422, as the error map says)

TRIGGER_WORDS = {
    TriggerKind.LIST_JOINED: "Joins a list",
    TriggerKind.CREATED: "Is added (a new contact)",
    TriggerKind.ATTRIBUTE_CHANGED: "Has an attribute changed",
}
STATUS_WORDS = {
    RuleStatus.OPTED_OUT: "Opted out (a soft opt-out, which an admin can reverse)",
    RuleStatus.OPTED_IN: "Opted in (revalidate: re-subscribes a soft opt-out)",
}
SKIP_WORDS = {
    SkipReason.HARD_OPT_OUT_LOCKED: "The contact opted out themselves: a rule never lifts that",
    SkipReason.OPTED_OUT_ABOVE: "Opted out at a scope above the rule's: lift it there",
}
NOTICES = {
    "added": "Rule added: it fires from now on",
    "changed": "Rule changed: the new version fires from now on",
    "removed": "Rule removed: it fires no more",
}


@dataclass(frozen=True, slots=True)
class Typed:
    """What a rule form holds: as posted, or a rule's own (to change it)."""

    scope: str = ""
    trigger: str = TriggerKind.LIST_JOINED.value
    name: str = ""
    value: str = ""
    channel: str = ""
    status: str = RuleStatus.OPTED_OUT.value
    written_permission: str = ""
    given_at: str = ""
    reference: str = ""

    @classmethod
    def of(cls, rule: Rule) -> Typed:
        """A rule's current definition, to change it."""
        record: Mapping[str, Any] = rule.permission or {}
        return cls(
            scope=rule.scope_id, trigger=rule.trigger.kind.value, name=rule.trigger.name or "",
            value=rule.trigger.value or "", channel=rule.channel.value,
            status=rule.status.value,
            written_permission=str(record.get("written_permission", "")),
            given_at=str(record.get("given_at", "")), reference=str(record.get("reference", "")),
        )  # fmt: skip


def trigger_text(trigger: Trigger) -> str:
    """A trigger in words: "Joins the list vip", "Is added", "Attribute tier changes to gold"."""
    if trigger.kind is TriggerKind.LIST_JOINED:
        return f"Joins the list {trigger.name}"
    if trigger.kind is TriggerKind.CREATED:
        return "Is added"
    to = "" if trigger.value is None else f" to {trigger.value}"
    return f"Attribute {trigger.name} changes{to}"


def status_text(rule: Rule) -> str:
    """What a rule sets, in words: "Opted out of Email"."""
    name = CHANNELS[rule.channel][1]
    verb = "Opted in to" if rule.status is RuleStatus.OPTED_IN else "Opted out of"
    return f"{verb} {name}"


def typed(form: FormData) -> Typed:
    """The values posted, to show them again beside a refusal."""
    return Typed(**{name: str(form.get(name, "")) for name in Typed.__dataclass_fields__})


def definition(form: FormData) -> dict[str, Any]:
    """The ledger's keyword arguments from a posted rule form; the record of written
    permission is read for an opted-in rule only (an opted-out one carries none)."""
    given = typed(form)
    permission = None
    if given.status == RuleStatus.OPTED_IN.value:
        permission = written_permission(
            given.written_permission.strip(), given.given_at.strip(), given.reference.strip()
        )
    return {
        "trigger": given.trigger, "channel": given.channel, "status": given.status,
        "name": given.name.strip() or None, "value": given.value.strip() or None,
        "permission": permission,
    }  # fmt: skip


def router(ledger: Ledger, env: Environment) -> APIRouter:
    """``/settings/rules``: the list, a rule's page and their forms."""
    r = APIRouter(include_in_schema=False)

    def words() -> dict[str, object]:
        shown = shown_channels(ledger.policy.enabled)
        return {
            "channels": [(c.value, CHANNELS[c][1]) for c in shown],
            "triggers": {k.value: w for k, w in TRIGGER_WORDS.items()},
            "statuses": {s.value: w for s, w in STATUS_WORDS.items()},
            "kinds": {k.value: w for k, w in PERMISSION_WORDS.items()},
        }

    def list_page(
        request: Request, status: int = 200, *, form: Typed | None = None, **more: object
    ) -> Response:
        session = signed_in(ledger, request)
        principal = session.user.principal()
        authorise(principal, Capability.MANAGE_RULES)
        rules = ledger.list_rules(principal)
        return page(
            env, "rules.html", session, status, title="Lifecycle rules", nav="rules",
            rules=[(rule, trigger_text(rule.trigger), status_text(rule)) for rule in rules],
            scopes=[s.id for s in ledger.list_scopes(principal)],
            form=form or Typed(scope=principal.scope_id),
            notice=NOTICES.get(request.query_params.get("done", "")), **words(), **more,
        )  # fmt: skip

    def detail_page(request: Request, rule_id: str, status: int = 200, **more: Any) -> Response:
        session = signed_in(ledger, request)
        found = ledger.get_rule(session.user.principal(), rule_id)
        rule = found.rule
        more.setdefault("form", Typed.of(rule))
        return page(
            env, "rule.html", session, status, title=f"Rule: {trigger_text(rule.trigger)}",
            nav="rules", rule=rule, when=trigger_text(rule.trigger), sets=status_text(rule),
            skips=found.skips,
            skip_words=SKIP_WORDS, notice=NOTICES.get(request.query_params.get("done", "")),
            **words(), **more,
        )  # fmt: skip

    async def rules(request: Request) -> Response:
        return list_page(request)

    async def add(request: Request) -> Response:
        form, session = await signed_form(ledger, request, FIELDS, multiline={"reference"})
        try:
            rule = ledger.create_rule(
                session.user.principal(), str(form.get("scope", "")), **definition(form)
            )
        except FORM_ERRORS as exc:
            return list_page(request, 422, form=typed(form), error=exc)
        return _to(rule.id, "added")

    async def detail(request: Request, rule_id: str) -> Response:
        return detail_page(request, rule_id)

    async def change(request: Request, rule_id: str) -> Response:
        form, session = await signed_form(ledger, request, FIELDS, multiline={"reference"})
        try:
            given = definition(form)  # the whole rule: an emptied field is cleared
            cleared = [name for name in ("name", "value") if given[name] is None]
            ledger.update_rule(session.user.principal(), rule_id, **given, clear=cleared)
        except FORM_ERRORS as exc:
            return detail_page(request, rule_id, 422, form=typed(form), error=exc)
        return _to(rule_id, "changed")

    async def confirm_remove(request: Request, rule_id: str) -> Response:
        session = signed_in(ledger, request)
        rule = ledger.get_rule(session.user.principal(), rule_id).rule
        return page(
            env, "rule_remove.html", session, nav="rules", rule=rule, sets=status_text(rule),
            title=f"Remove the rule: {trigger_text(rule.trigger)}",
        )  # fmt: skip

    async def remove(request: Request, rule_id: str) -> Response:
        return await confirmed_removal(
            ledger, request, FIELDS, rule_id, find=ledger.get_rule, remove=ledger.delete_rule,
            understood="I understand the rule stops firing", to="remove it",
            done="/settings/rules?done=removed",
        )  # fmt: skip

    r.add_api_route("/settings/rules", rules, methods=["GET"])
    r.add_api_route("/settings/rules", add, methods=["POST"])
    r.add_api_route("/settings/rules/{rule_id}", detail, methods=["GET"])
    r.add_api_route("/settings/rules/{rule_id}", change, methods=["POST"])
    r.add_api_route("/settings/rules/{rule_id}/remove", confirm_remove, methods=["GET"])
    r.add_api_route("/settings/rules/{rule_id}/remove", remove, methods=["POST"])
    return r


def _to(rule_id: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/settings/rules/{quote(rule_id)}?done={done}", status_code=303)
