"""``consentry opt-in | opt-out | resubscribe | check``: change and ask about consent."""

from __future__ import annotations

from typing import IO

import click

from consentry.cli.common import (
    Env,
    channel_scope_options,
    evidence_of,
    evidence_options,
    json_option,
    operator,
    pass_env,
)
from consentry.cli.render import decision_data, decision_text, echo_json, event_line
from consentry.core.eligibility import Category
from consentry.core.events import CONTACT_SOURCES, ResubscribeReason, Source

#: ``check``'s exit status when the send is refused (2 stays "error").
REFUSED_EXIT = 1


@click.command("opt-in")
@click.argument("contact_id", metavar="CONTACT")
@channel_scope_options
@evidence_options
@pass_env
def opt_in(
    env: Env,
    contact_id: str,
    channel: str,
    scope: str,
    evidence: tuple[str, ...],
    evidence_file: IO[str] | None,
) -> None:
    """Opt a contact in with the record of their written permission (evidence_required).

    \b
    The evidence must say what, when and where (docs/decisions/056):
      --evidence written_permission=email|message|signed_form|document
      --evidence given_at=2026-01-02      (an ISO date, or a time with its offset)
      --evidence reference="Ada's email of 2 Jan, ticket 4411"
      --evidence file_sha256=<hex>        (optional: the SHA-256 of a stored copy)
    """
    event = env.ledger().opt_in(
        operator(scope),
        contact_id,
        channel,
        scope,
        evidence=evidence_of(evidence, evidence_file),
        source=Source.CLI,
    )
    click.echo(event_line(event))


CONTACT_SOURCE_NAMES = sorted(s.value for s in CONTACT_SOURCES)


@click.command("opt-out")
@click.argument("contact_id", metavar="CONTACT")
@channel_scope_options
@click.option(
    "--by-contact",
    is_flag=True,
    help="Record the contact's own opt-out (hard: only the contact can reverse it).",
)
@click.option(
    "--source",
    type=click.Choice(CONTACT_SOURCE_NAMES),
    help="With --by-contact: how the contact opted out [default: sms_keyword].",
)
@evidence_options
@pass_env
def opt_out(
    env: Env,
    contact_id: str,
    channel: str,
    scope: str,
    by_contact: bool,
    source: str | None,
    evidence: tuple[str, ...],
    evidence_file: IO[str] | None,
) -> None:
    """Opt a contact out: soft (the operator's change) or, with --by-contact, hard."""
    if source and not by_contact:
        raise click.UsageError("--source names how the contact acted: add --by-contact")
    chosen = Source(source or Source.SMS_KEYWORD) if by_contact else Source.CLI
    event = env.ledger().opt_out(
        operator(scope),
        contact_id,
        channel,
        scope,
        source=chosen,
        evidence=evidence_of(evidence, evidence_file),
    )
    click.echo(event_line(event))


@click.command()
@click.argument("contact_id", metavar="CONTACT")
@channel_scope_options
@click.option(
    "--reason",
    required=True,
    type=click.Choice([r.value for r in ResubscribeReason]),
    help="Why: the unsubscribe was a mistake, or the contact asked.",
)
@evidence_options
@pass_env
def resubscribe(
    env: Env,
    contact_id: str,
    channel: str,
    scope: str,
    reason: str,
    evidence: tuple[str, ...],
    evidence_file: IO[str] | None,
) -> None:
    """Reverse a soft opt-out, with a reason and evidence (never a hard one)."""
    event = env.ledger().resubscribe(
        operator(scope),
        contact_id,
        channel,
        scope,
        reason=reason,
        evidence=evidence_of(evidence, evidence_file),
        source=Source.CLI,
    )
    click.echo(event_line(event))


@click.command()
@click.argument("contact_id", metavar="CONTACT")
@channel_scope_options
@click.option(
    "--category",
    type=click.Choice([c.value for c in Category]),
    default=Category.MARKETING.value,
    show_default=True,
    help="What kind of message is about to be sent.",
)
@json_option
@pass_env
def check(
    env: Env, contact_id: str, channel: str, scope: str, category: str, as_json: bool
) -> None:
    """Is a send allowed now? Prints allowed or refused and why; exit status 0 or 1."""
    decision = env.ledger().check(operator(scope), contact_id, channel, scope, category=category)
    if as_json:
        echo_json(decision_data(decision))
    else:
        click.echo(decision_text(decision))
    if not decision.allowed:
        raise click.exceptions.Exit(REFUSED_EXIT)
