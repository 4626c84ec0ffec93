"""``consentry keys …``: API keys for senders, staff tools and admins."""

from __future__ import annotations

import click

from consentry.cli.common import Env, group_option, json_option, operator, pass_env
from consentry.cli.render import echo_json, table, when
from consentry.core.access import ApiKey
from consentry.core.permissions import Role

KEY_ROLES = [r.value for r in Role if r not in (Role.CONTACT, Role.SYSTEM)]


@click.group()
def keys() -> None:
    """Create, list and revoke API keys (the secret is shown once, at creation)."""


@keys.command("create")
@click.option("--role", required=True, type=click.Choice(KEY_ROLES), help="What the key may do.")
@click.option("--scope", required=True, help="The scope the key is bound to, e.g. acme/news.")
@click.option("--name", help="A label, e.g. the service that uses the key.")
@json_option
@pass_env
def keys_create(env: Env, role: str, scope: str, name: str | None, as_json: bool) -> None:
    """Create an API key bound to a role and a scope; print its id and secret."""
    key, secret = env.ledger().create_api_key(operator(scope), Role(role), scope, name=name or "")
    if as_json:
        echo_json({**key_data(key), "secret": secret})
        return
    click.echo(f"Key id: {key.id}")
    click.echo(f"Secret: {secret}")
    click.echo("Keep the secret now: it is not stored and cannot be shown again.")


@keys.command("list")
@group_option
@json_option
@pass_env
def keys_list(env: Env, group: str, as_json: bool) -> None:
    """List a group's API keys (never their secrets)."""
    found = env.ledger().list_api_keys(operator(group))
    if as_json:
        echo_json([key_data(k) for k in found])
        return
    headers = ("id", "role", "scope", "name", "created", "revoked")
    rows = [
        (k.id, k.role, k.scope_id, k.name, when(k.created_at), when(k.revoked_at)) for k in found
    ]
    click.echo(table(headers, rows))


@keys.command("revoke")
@click.argument("key_id")
@group_option
@pass_env
def keys_revoke(env: Env, key_id: str, group: str) -> None:
    """Revoke an API key at once."""
    env.ledger().revoke_api_key(operator(group), key_id)
    click.echo(f"Revoked {key_id}")


def key_data(key: ApiKey) -> dict[str, object]:
    """An API key's public part as JSON."""
    return {
        "id": key.id,
        "group": key.group_id,
        "role": key.role,
        "scope": key.scope_id,
        "name": key.name,
        "created_at": when(key.created_at),
        "revoked_at": when(key.revoked_at),
    }
