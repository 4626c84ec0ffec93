"""What every CLI command shares: the context object, the operator principal, option parsing.

The CLI is the deployment's operator: it acts as ``Principal(Role.SYSTEM, <group>,
id="cli:<user name>")``. A command that names a scope acts for that scope's group; a command
that names a contact but no scope takes a required ``--group``.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import IO, Any, TypeVar

import click

from consentry.bootstrap import build
from consentry.core.permissions import Principal, Role
from consentry.core.scopes import group_of, parse_scope_id
from consentry.ledger import Ledger
from consentry.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])

#: The scope of the deployment-wide operator (verify, digest): it belongs to no one group.
DEPLOYMENT = "*"


@dataclass(slots=True)
class Env:
    """The CLI's context object: the database URL and, once needed, the ledger on it."""

    settings: Settings
    _ledger: Ledger | None = field(default=None)

    @classmethod
    def from_db(cls, db: str | None) -> Env:
        """Settings from the environment, with ``--db`` winning over CONSENTRY_DATABASE_URL."""
        settings = Settings.from_env()
        if db:
            settings = replace(settings, database_url=db)
        return cls(settings)

    @property
    def url(self) -> str:
        """The database URL in use."""
        return self.settings.database_url

    def ledger(self, notice: Callable[[str], None] | None = None) -> Ledger:
        """The ledger on the database, built (and migrated) on first use, closed at exit.

        What is done with the deployment's secrets (a keys file made beside a SQLite database,
        decision 051) is said on standard error, or to ``notice``.
        """
        if self._ledger is None:
            self._ledger = build(self.settings, notice=notice or say_on_stderr)
            click.get_current_context().call_on_close(self._ledger.close)
        return self._ledger


pass_env = click.make_pass_decorator(Env)


def say_on_stderr(message: str) -> None:
    """A notice on standard error, so that it never mixes into output a script reads."""
    click.echo(message, err=True)


def user_name() -> str:
    """Who runs the CLI, as the ledger records it."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "operator"


def operator(scope_or_group: str) -> Principal:
    """The operator acting for the group of a scope (raises ``invalid_scope`` when malformed)."""
    group = DEPLOYMENT if scope_or_group == DEPLOYMENT else group_of(parse_scope_id(scope_or_group))
    return Principal(Role.SYSTEM, group, id=f"cli:{user_name()}")


def key_values(values: Iterable[str], option: str) -> dict[str, str]:
    """``key=value`` pairs of a repeated option as a mapping."""
    pairs: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not key=value", param_hint=option)
        pairs[key.strip()] = value
    return pairs


def evidence_of(pairs: Iterable[str], file: IO[str] | None) -> dict[str, Any] | None:
    """Evidence from ``--evidence key=value`` pairs and an ``--evidence-file`` JSON object."""
    evidence: dict[str, Any] = {}
    if file is not None:
        try:
            loaded = json.load(file)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--evidence-file") from exc
        if not isinstance(loaded, dict):
            raise click.BadParameter("must hold a JSON object", param_hint="--evidence-file")
        evidence.update(loaded)
    evidence.update(key_values(pairs, "--evidence"))
    return evidence or None


def evidence_options(func: F) -> F:
    """``--evidence key=value`` (repeatable) and ``--evidence-file FILE``."""
    func = click.option(
        "--evidence-file",
        type=click.File("r"),
        help="A JSON object of evidence ('-' reads standard input).",
    )(func)
    return click.option(
        "--evidence",
        "evidence",
        multiple=True,
        metavar="KEY=VALUE",
        help="Evidence (repeatable); an opt-in by staff needs written_permission=email|message|"
        "signed_form|document, given_at=DATE and reference=TEXT (decision 056).",
    )(func)


def json_option(func: F) -> F:
    """``--json``: machine-readable output."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)


def group_option(func: F) -> F:
    """A required ``--group`` for commands that name a contact but no scope."""
    return click.option(
        "--group", required=True, help="The contact's group (contacts never cross groups)."
    )(func)


def channel_scope_options(func: F) -> F:
    """``--channel`` and ``--scope``, both required."""
    func = click.option(
        "--scope", required=True, help="Scope id: group, group/client or group/client/user."
    )(func)
    return click.option(
        "--channel", required=True, help="email, sms, mms, rcs, whatsapp, voice, post or push."
    )(func)
