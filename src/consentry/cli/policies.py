"""``consentry policy transactional``: a group's transactional policy per channel (075)."""

from __future__ import annotations

import click

from consentry.cli.common import Env, json_option, operator, pass_env
from consentry.cli.render import echo_json, table, when
from consentry.core.policies import ChannelRule


@click.group()
def policy() -> None:
    """A group's policies."""


@policy.command("transactional")
@click.option("--group", required=True, help="The group whose policy this is.")
@click.option("--channel", help="The channel to set (with --bypass, --no-bypass or --default).")
@click.option(
    "--bypass/--no-bypass",
    default=None,
    help="May a transactional message reach a contact who opted out of marketing on it?",
)
@click.option("--default", "back", is_flag=True, help="Follow the deployment's default again.")
@json_option
@pass_env
def transactional(
    env: Env, group: str, channel: str | None, bypass: bool | None, back: bool, as_json: bool
) -> None:
    """Show the group's transactional policy on each channel, or set it on one.

    A bounce or a complaint is never bypassed, whatever the policy.
    """
    ledger, principal = env.ledger(), operator(group)
    if channel is None:
        if bypass is not None or back:
            raise click.UsageError("--bypass, --no-bypass and --default need --channel")
        rules = ledger.transactional_policy(principal)
    elif (bypass is None) == (not back):
        raise click.UsageError("give --channel one of --bypass, --no-bypass or --default")
    else:
        rules = [ledger.set_transactional_policy(principal, channel, bypass=bypass)]
    if as_json:
        echo_json([_data(r) for r in rules])
        return
    rows = [(r.channel.value, "yes" if r.bypass else "no", r.policy.value, r.updated_by or "",
             when(r.updated_at) or "") for r in rules]  # fmt: skip
    click.echo(table(["channel", "bypass", "policy", "set by", "set at"], rows))


def _data(rule: ChannelRule) -> dict[str, object]:
    return {
        "channel": rule.channel.value, "bypass": rule.bypass, "policy": rule.policy.value,
        "updated_by": rule.updated_by, "updated_at": when(rule.updated_at),
    }  # fmt: skip
