"""``consentry proof``: the proof of consent for one contact, or the answer at a moment.

The document is ``adapters.proof_document``'s, the same as the API's and the staff app's:
JSON, an HTML page, or a PDF of that page (decision 069).
"""

from __future__ import annotations

from datetime import datetime
from typing import IO

import click

from consentry.adapters import proof_document
from consentry.adapters.proof_document import Document
from consentry.cli.audit import parse_moment
from consentry.cli.common import Env, operator, pass_env


@click.command()
@click.argument("contact_id", metavar="CONTACT")
@click.option("--group", help="The contact's group (not needed with --scope).")
@click.option(
    "--format",
    "answer_as",
    type=click.Choice(["json", "html", "pdf"]),
    default="json",
    show_default=True,
    help="JSON, an HTML page, or a PDF of that page.",
)
@click.option(
    "--out",
    type=click.File("wb"),
    help="Write the document to this file [default: standard output].",
)
@click.option(
    "--channel", help="Ask instead: was a message on this channel allowed (needs --scope)?"
)
@click.option("--scope", help="The sender scope of that message: group, group/client or …/user.")
@click.option(
    "--at",
    metavar="ISO8601",
    callback=lambda ctx, param, value: parse_moment(ctx, param, value) if value else None,
    help="The moment of that message, ISO 8601 (UTC unless a zone is given) [default: now].",
)
@click.option(
    "--category",
    default="marketing",
    show_default=True,
    help="marketing, transactional or opt_in_confirmation.",
)
@pass_env
def proof(
    env: Env,
    contact_id: str,
    group: str | None,
    answer_as: str,
    out: IO[bytes] | None,
    channel: str | None,
    scope: str | None,
    at: datetime | None,
    category: str,
) -> None:
    """Proof of consent for a contact: every event with its evidence, the current status and
    the chain proof (the chain recomputed, its head, the group digest it is part of).

    With --channel and --scope (and --at): whether a message was allowed at that moment, and
    why, as the same kind of document.
    """
    document = _document(env, contact_id, group, channel, scope, at, category)
    if answer_as == "pdf":
        content = proof_document.to_pdf(document)
    elif answer_as == "html":
        content = proof_document.to_html(document).encode()
    else:
        content = proof_document.to_json(document).encode()
    if out is None:
        click.echo(content, nl=False)  # bytes go to the binary standard output
        return
    out.write(content)
    click.echo(f"{proof_document.title(document)}: written to {out.name}", err=True)


def _document(
    env: Env,
    contact_id: str,
    group: str | None,
    channel: str | None,
    scope: str | None,
    at: datetime | None,
    category: str,
) -> Document:
    if channel is None and scope is None:
        if at is not None:
            raise click.UsageError("--at needs --channel and --scope")
        if not group:
            raise click.UsageError("name the contact's group: --group")
        return env.ledger().proof_of_consent(operator(group), contact_id)
    if channel is None or scope is None:
        raise click.UsageError("--channel and --scope go together")
    ledger = env.ledger()
    return ledger.eligibility_proof(
        operator(scope), contact_id, channel=channel, scope_id=scope,
        at=at or ledger.clock.now(), category=category,
    )  # fmt: skip
