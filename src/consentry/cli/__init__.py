"""The ``consentry`` command line: the deployment operator's tool.

Thin by design: every command translates its arguments into one ``Ledger`` call and the result
into text (or JSON with ``--json``). The one place that maps a ``ConsentryError`` to the
terminal is ``ConsentryGroup.invoke``: it prints ``Error [code]: message`` to standard error
and exits with status 2 (click's own usage errors keep their status, also 2).

Exit statuses: 0 success (and ``check``: allowed), 1 ``check``: refused, 2 an error.
"""

from __future__ import annotations

from typing import Any

import click

from consentry.cli.audit import digest, history, status_at, verify
from consentry.cli.common import Env, pass_env
from consentry.cli.consent import check, opt_in, opt_out, resubscribe
from consentry.cli.contacts import contacts, scopes
from consentry.cli.database import partition_events
from consentry.cli.demo import demo_seed
from consentry.cli.exports import export
from consentry.cli.imports import import_file
from consentry.cli.journeys import journeys
from consentry.cli.keys import keys
from consentry.cli.messaging import expire_confirmations, keywords, numbers, outbox
from consentry.cli.policies import policy
from consentry.cli.proof import proof
from consentry.cli.rules import rules
from consentry.cli.sends import compliance, sends
from consentry.cli.serve import serve
from consentry.cli.users import users
from consentry.cli.webhooks import webhooks
from consentry.cli.worker import worker
from consentry.core.errors import ConsentryError

__all__ = ["cli", "main"]

ERROR_EXIT = 2


class ConsentryCliError(click.ClickException):
    """A refused command, shown with its stable code."""

    exit_code = ERROR_EXIT

    def __init__(self, error: ConsentryError) -> None:
        super().__init__(error.message)
        self.code = error.code

    def format_message(self) -> str:
        """``Error [code]: message``."""
        return f"Error [{self.code}]: {self.message}"

    def show(self, file: Any = None) -> None:
        """Print the coded message to standard error."""
        click.echo(self.format_message(), file=file, err=True)


class ConsentryGroup(click.Group):
    """The root group: the one place a ``ConsentryError`` becomes CLI output and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; translate refusals."""
        try:
            return super().invoke(ctx)
        except ConsentryError as error:
            raise ConsentryCliError(error) from error


@click.group(cls=ConsentryGroup)
@click.version_option(package_name="consentry")
@click.option(
    "--db",
    metavar="URL",
    help="Database URL: sqlite:///path.db or postgresql://… "
    "[default: $CONSENTRY_DATABASE_URL, else sqlite:///consentry.db]",
)
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """Consentry: may we contact this person, on this channel, from this sender, and why?

    The CLI acts as the deployment's operator (role system, recorded as cli:<user name>).
    Commands that name a scope act within that scope's group; commands that name a contact
    but no scope take --group. Exit status: 0 done (check: allowed), 1 check: refused,
    2 an error, printed as "Error [code]: message" (codes: docs/errors.md).
    """
    ctx.obj = Env.from_db(db)


@cli.command()
@pass_env
def init(env: Env) -> None:
    """Create the database schema, or upgrade it to the latest migration."""
    env.ledger()
    click.echo(f"Database ready: {redact(env.url)}")


def redact(url: str) -> str:
    """A database URL without its password."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"


for command in (
    scopes,
    contacts,
    opt_in,
    opt_out,
    resubscribe,
    check,
    history,
    status_at,
    verify,
    digest,
    proof,
    import_file,
    export,
    keys,
    users,
    numbers,
    keywords,
    outbox,
    expire_confirmations,
    policy,
    rules,
    journeys,
    sends,
    compliance,
    serve,
    worker,
    webhooks,
    demo_seed,
    partition_events,
):
    cli.add_command(command)


def main() -> None:
    """The ``consentry`` console script."""
    cli(prog_name="consentry")
