"""``consentry journeys …``: journey messages, the missed ones, re-sends and scheduled
(birthday-type) journeys (decision 078)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from consentry.cli.audit import parse_moment
from consentry.cli.common import Env, channel_scope_options, json_option, operator, pass_env
from consentry.cli.render import echo_json, table, when
from consentry.core.eligibility import Category
from consentry.core.journeys import PAGE, JourneyMessage, RunReport, ScheduledJourney

CATEGORIES = click.Choice([c.value for c in Category])


def _moment(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    return None if value is None else parse_moment(ctx, param, value)


@click.group()
def journeys() -> None:
    """Journey messages (welcome, birthday …): report one, list the missed, ask for a re-send;
    scheduled journeys that ``consentry worker`` runs once a UTC day."""


@journeys.command("report")
@click.argument("contact_id", metavar="CONTACT")
@channel_scope_options
@click.option("--journey", required=True, help="The journey's name (welcome, birthday, …).")
@click.option("--message-id", required=True, help="The sender's id of the message (dedupe).")
@click.option(
    "--triggered-at", metavar="ISO8601", callback=_moment,
    help="When the journey triggered it (now by default; UTC unless a zone is given).",
)  # fmt: skip
@click.option(
    "--category", type=CATEGORIES, default=Category.MARKETING.value, show_default=True,
    help="What kind of message it is (judged as a send of that category).",
)  # fmt: skip
@json_option
@pass_env
def report(
    env: Env,
    contact_id: str,
    channel: str,
    scope: str,
    journey: str,
    message_id: str,
    triggered_at: datetime | None,
    category: str,
    as_json: bool,
) -> None:
    """Report a journey message: judged as the ledger stood when it was triggered."""
    found = env.ledger().report_journey_message(
        operator(scope), contact_id, channel, scope, journey=journey, message_id=message_id,
        triggered_at=triggered_at, category=category,
    )  # fmt: skip
    _one(found, as_json)


@journeys.command("missed")
@click.option("--scope", required=True, help="At and below this scope (a group, a client …).")
@click.option("--contact", "contact_id", help="Only this contact's.")
@click.option("--journey", help="Only this journey.")
@click.option("--channel", help="Only this channel.")
@click.option("--after", help="The 'next' of the previous page.")
@click.option("--limit", default=PAGE, show_default=True, help="Messages per page.")
@json_option
@pass_env
def missed(
    env: Env,
    scope: str,
    contact_id: str | None,
    journey: str | None,
    channel: str | None,
    after: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Missed journey messages, newest first."""
    page = env.ledger().missed_messages(
        operator(scope), scope_id=scope, contact_id=contact_id, journey=journey,
        channel=channel, after=after, limit=limit,
    )  # fmt: skip
    if as_json:
        echo_json({"messages": [message_data(m) for m in page.messages], "next": page.next})
        return
    _table(list(page.messages))
    if page.next is not None:
        click.echo(f"next: --after {page.next}")


@journeys.command("resend")
@click.option("--group", required=True, help="The group of the message.")
@click.argument("message_id", metavar="JOURNEY_MESSAGE")
@json_option
@pass_env
def resend(env: Env, group: str, message_id: str, as_json: bool) -> None:
    """Ask the sender to send a missed message again (once; the contact must be eligible now)."""
    _one(env.ledger().request_resend(operator(group), message_id), as_json)


@journeys.command("add")
@click.option("--scope", required=True, help="The sender scope the journey's messages are from.")
@click.option("--name", required=True, help="The journey's name, e.g. Birthday.")
@click.option("--channel", required=True, help="The channel it sends on.")
@click.option(
    "--attribute", required=True, help="The contact attribute with the date (YYYY-MM-DD or MM-DD)."
)
@click.option(
    "--category", type=CATEGORIES, default=Category.MARKETING.value, show_default=True,
    help="What kind of message it is (judged as a send of that category).",
)  # fmt: skip
@json_option
@pass_env
def add(
    env: Env, scope: str, name: str, channel: str, attribute: str, category: str, as_json: bool
) -> None:
    """Define a scheduled journey: each UTC day, the contacts whose date is today."""
    found = env.ledger().create_journey(
        operator(scope), scope, name=name, channel=channel, attribute=attribute,
        category=category,
    )  # fmt: skip
    _journeys([found], as_json)


@journeys.command("list")
@click.option("--group", required=True, help="The group whose scheduled journeys to list.")
@json_option
@pass_env
def list_journeys(env: Env, group: str, as_json: bool) -> None:
    """The group's scheduled journeys."""
    _journeys(env.ledger().list_journeys(operator(group)), as_json)


@journeys.command("remove")
@click.option("--group", required=True, help="The group of the journey.")
@click.argument("journey_id")
@json_option
@pass_env
def remove(env: Env, group: str, journey_id: str, as_json: bool) -> None:
    """Stop a scheduled journey (the messages it recorded stay)."""
    _journeys([env.ledger().delete_journey(operator(group), journey_id)], as_json)


@journeys.command("run")
@pass_env
def run(env: Env) -> None:
    """Run today's scheduled journeys now (``consentry worker`` does it on each pass)."""
    click.echo(run_summary(env.ledger().run_scheduled_journeys()))


def run_summary(report: RunReport) -> str:
    """One line about a scheduled run."""
    return (
        f"scheduled journeys run {report.journeys}: triggered {report.triggered}, "
        f"missed {report.missed}"
    )


def _one(message: JourneyMessage, as_json: bool) -> None:
    if as_json:
        echo_json(message_data(message))
    else:
        _table([message])


def _table(found: list[JourneyMessage]) -> None:
    rows = [(m.id, m.contact_id, m.journey, m.channel.value, m.scope_id, m.outcome.value,
             m.reason.value, when(m.triggered_at) or "",
             "" if m.resend is None else when(m.resend.requested_at) or "")
            for m in found]  # fmt: skip
    headers = ["id", "contact", "journey", "channel", "scope", "outcome", "reason", "triggered",
               "re-send requested"]  # fmt: skip
    click.echo(table(headers, rows))


def message_data(m: JourneyMessage) -> dict[str, Any]:
    """A journey message as JSON data."""
    resend = m.resend
    return {
        "id": m.id, "contact_id": m.contact_id, "channel": m.channel.value,
        "scope_id": m.scope_id, "journey": m.journey, "category": m.category.value,
        "message_id": m.message_id, "triggered_at": when(m.triggered_at),
        "outcome": m.outcome.value, "reason": m.reason.value,
        "decided_scope_id": m.decided_scope_id, "decided_event_id": m.decided_event_id,
        "reported_by": m.reported_by, "recorded_at": when(m.recorded_at),
        "scheduled_journey_id": m.scheduled_journey_id,
        "resend": None if resend is None else {
            "requested_by": resend.requested_by, "requested_at": when(resend.requested_at),
        },
    }  # fmt: skip


def _journeys(found: list[ScheduledJourney], as_json: bool) -> None:
    if as_json:
        echo_json([_journey_data(j) for j in found])
        return
    rows = [(j.id, j.name, j.scope_id, j.channel.value, j.attribute, j.category.value,
             when(j.created_at) or "") for j in found]  # fmt: skip
    click.echo(table(["id", "name", "scope", "channel", "attribute", "category", "created"], rows))


def _journey_data(j: ScheduledJourney) -> dict[str, Any]:
    return {
        "id": j.id, "scope_id": j.scope_id, "name": j.name, "channel": j.channel.value,
        "attribute": j.attribute, "category": j.category.value, "created_by": j.created_by,
        "created_at": when(j.created_at),
    }  # fmt: skip
