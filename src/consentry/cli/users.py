"""``consentry users …``: the people who sign in to the staff web app (decision 061)."""

from __future__ import annotations

import sys

import click

from consentry.cli.common import DEPLOYMENT, Env, json_option, operator, pass_env
from consentry.cli.render import echo_json, table, when
from consentry.core.permissions import Role
from consentry.core.users import STAFF_ROLES, User

USER_ROLES = [r.value for r in STAFF_ROLES]


@click.group()
def users() -> None:
    """Create, list and disable the people who sign in to the staff web app."""


@users.command("create")
@click.option("--email", required=True, help="The email address the user signs in with.")
@click.option("--name", required=True, help="The user's name, as the staff web app shows it.")
@click.option("--role", required=True, type=click.Choice(USER_ROLES), help="What they may do.")
@click.option("--scope", required=True, help="The scope they work in, e.g. acme/newsletters.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (else it is asked for twice, "
    "hidden).",
)
@json_option
@pass_env
def users_create(
    env: Env, email: str, name: str, role: str, scope: str, password_stdin: bool, as_json: bool
) -> None:
    """Create a user with a role at a scope; print their id (at least 12 characters of
    password)."""
    password = read_password(password_stdin)
    user = env.ledger().create_user(
        operator(scope), email, name=name, role=Role(role), scope_id=scope, password=password
    )
    if as_json:
        echo_json(user_data(user))
        return
    click.echo(user.id)


@users.command("list")
@click.option("--scope", help="Only the users at or below this scope (default: every group's).")
@json_option
@pass_env
def users_list(env: Env, scope: str | None, as_json: bool) -> None:
    """List users by email address (never their passwords)."""
    who = operator(scope or DEPLOYMENT)
    found = env.ledger().list_users(who, scope_id=scope)
    if as_json:
        echo_json([user_data(u) for u in found])
        return
    headers = ("id", "email", "name", "role", "scope", "created", "disabled")
    rows = [
        (u.id, u.email, u.name, u.role, u.scope_id, when(u.created_at), when(u.disabled_at))
        for u in found
    ]
    click.echo(table(headers, rows))


@users.command("disable")
@click.argument("user_id")
@pass_env
def users_disable(env: Env, user_id: str) -> None:
    """Disable a user at once and end their sessions (they stay listed, disabled)."""
    user = env.ledger().disable_user(operator(DEPLOYMENT), user_id)
    click.echo(f"Disabled {user.id} ({user.email})")


def read_password(from_stdin: bool) -> str:
    """The password: one line of standard input, or typed twice without being shown."""
    if from_stdin:
        return sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    text: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return text


def user_data(user: User) -> dict[str, object]:
    """A user as JSON (never the password or its hash)."""
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "scope": user.scope_id,
        "group": user.group_id,
        "created_at": when(user.created_at),
        "disabled_at": when(user.disabled_at),
    }
