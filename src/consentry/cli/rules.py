"""``consentry rules add|list|update|remove``: lifecycle rules of a group (decision 077)."""

from __future__ import annotations

import click

from consentry.cli.common import Env, json_option, key_values, operator, pass_env
from consentry.cli.render import echo_json, table, when
from consentry.core.rules import Rule, RuleStatus, TriggerKind
from consentry.ledger.rules import CLEARABLE


@click.group()
def rules() -> None:
    """Lifecycle rules: when a contact joins a list, is added or an attribute changes, set a
    status on a channel at a scope."""


@rules.command("add")
@click.option("--scope", required=True, help="The scope whose status the rule sets.")
@click.option(
    "--trigger",
    required=True,
    type=click.Choice([t.value for t in TriggerKind]),
    help="What fires it: a list joined, the contact added, an attribute changed.",
)
@click.option("--name", help="The list (list_joined) or attribute (attribute_changed).")
@click.option("--value", help="attribute_changed only: fire only when it changes to this.")
@click.option("--channel", required=True, help="The channel the rule sets (email, sms, …).")
@click.option(
    "--status",
    required=True,
    type=click.Choice([s.value for s in RuleStatus]),
    help="The status it sets; opted_in never lifts the contact's own opt-out.",
)
@click.option(
    "--permission",
    multiple=True,
    metavar="KEY=VALUE",
    help="opted_in only: the record of written permission (written_permission=…, given_at=…, "
    "reference=…; decision 056).",
)
@json_option
@pass_env
def add(
    env: Env,
    scope: str,
    trigger: str,
    name: str | None,
    value: str | None,
    channel: str,
    status: str,
    permission: tuple[str, ...],
    as_json: bool,
) -> None:
    """Define a rule; it fires on contacts added or updated from now on (not on imports)."""
    record = key_values(permission, "--permission") or None
    rule = env.ledger().create_rule(
        operator(scope), scope, trigger=trigger, channel=channel, status=status, name=name,
        value=value, permission=record,
    )  # fmt: skip
    _show([rule], as_json)


@rules.command("update")
@click.option("--group", required=True, help="The group of the rule.")
@click.argument("rule_id")
@click.option(
    "--trigger",
    type=click.Choice([t.value for t in TriggerKind]),
    help="A new trigger (drops the old one's --name and --value unless given).",
)
@click.option("--name", help="The list (list_joined) or attribute (attribute_changed).")
@click.option("--value", help="attribute_changed only: fire only when it changes to this.")
@click.option("--channel", help="The channel the rule sets.")
@click.option(
    "--status",
    type=click.Choice([s.value for s in RuleStatus]),
    help="The status it sets (opted_out drops the record of permission).",
)
@click.option(
    "--permission",
    multiple=True,
    metavar="KEY=VALUE",
    help="opted_in only: a new record of written permission (replaces the old one whole).",
)
@click.option(
    "--clear",
    multiple=True,
    type=click.Choice(sorted(CLEARABLE)),
    help="Drop the name, the value or the record of permission (repeatable).",
)
@json_option
@pass_env
def update(
    env: Env,
    group: str,
    rule_id: str,
    trigger: str | None,
    name: str | None,
    value: str | None,
    channel: str | None,
    status: str | None,
    permission: tuple[str, ...],
    clear: tuple[str, ...],
    as_json: bool,
) -> None:
    """Change a rule: a new version, which fires from now on (what is not given stays)."""
    record = key_values(permission, "--permission") or None
    rule = env.ledger().update_rule(
        operator(group), rule_id, trigger=trigger, channel=channel, status=status, name=name,
        value=value, permission=record, clear=clear,
    )  # fmt: skip
    _show([rule], as_json)


@rules.command("list")
@click.option("--group", required=True, help="The group whose rules to list.")
@json_option
@pass_env
def list_rules(env: Env, group: str, as_json: bool) -> None:
    """The current version of each of the group's rules."""
    _show(env.ledger().list_rules(operator(group)), as_json)


@rules.command("remove")
@click.option("--group", required=True, help="The group of the rule.")
@click.argument("rule_id")
@json_option
@pass_env
def remove(env: Env, group: str, rule_id: str, as_json: bool) -> None:
    """Stop a rule firing (its versions stay, as its events name them)."""
    _show([env.ledger().delete_rule(operator(group), rule_id)], as_json)


def _show(found: list[Rule], as_json: bool) -> None:
    if as_json:
        echo_json([_data(r) for r in found])
        return
    rows = [(r.id, r.version, r.scope_id, r.trigger.label, r.channel.value, r.status.value,
             when(r.created_at) or "") for r in found]  # fmt: skip
    click.echo(table(["id", "version", "scope", "trigger", "channel", "status", "created"], rows))


def _data(rule: Rule) -> dict[str, object]:
    return {
        "id": rule.id, "version": rule.version, "scope_id": rule.scope_id,
        "trigger": rule.trigger.kind.value, "name": rule.trigger.name, "value": rule.trigger.value,
        "channel": rule.channel.value, "status": rule.status.value,
        "permission": None if rule.permission is None else dict(rule.permission),
        "created_by": rule.created_by, "created_at": when(rule.created_at),
    }  # fmt: skip
