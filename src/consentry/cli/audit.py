"""``consentry history | status-at | verify | digest``: what happened, and proof of it."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import IO, Any

import click

from consentry.adapters.clock import SystemClock
from consentry.bootstrap import verify_in_processes
from consentry.cli.common import (
    DEPLOYMENT,
    Env,
    channel_scope_options,
    group_option,
    json_option,
    operator,
    pass_env,
)
from consentry.cli.render import (
    HISTORY_HEADERS,
    echo_json,
    event_data,
    history_row,
    status_at_data,
    status_at_text,
    table,
    verify_data,
    when,
)
from consentry.ledger import Digest, VerifyReport
from consentry.ledger.integrity import row_of, verify_parallel

DIGEST_FORMAT = "consentry-digest/v1"
MAX_JOBS = 32


@click.command()
@click.argument("contact_id", metavar="CONTACT")
@group_option
@click.option("--channel", help="Only this channel.")
@json_option
@pass_env
def history(env: Env, contact_id: str, group: str, channel: str | None, as_json: bool) -> None:
    """A contact's consent history, oldest first, with actor, source and evidence."""
    events = env.ledger().history(operator(group), contact_id, channel=channel)
    if as_json:
        echo_json([event_data(e) for e in events])
    else:
        click.echo(table(HISTORY_HEADERS, [history_row(e) for e in events]))


def parse_moment(_ctx: click.Context, _param: click.Parameter, value: str) -> datetime:
    """An ISO 8601 moment; one without a time zone is taken as UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.command("status-at")
@click.argument("contact_id", metavar="CONTACT")
@channel_scope_options
@click.option(
    "--at",
    "at",
    required=True,
    metavar="ISO8601",
    callback=parse_moment,
    help="The moment, e.g. 2026-01-05T09:00:00Z (UTC unless a zone is given).",
)
@json_option
@pass_env
def status_at(
    env: Env, contact_id: str, channel: str, scope: str, at: datetime, as_json: bool
) -> None:
    """The status at a past moment, as recorded then, and the event that set it."""
    found = env.ledger().status_at(operator(scope), contact_id, channel, scope, at=at)
    if as_json:
        echo_json(status_at_data(found))
    else:
        click.echo(status_at_text(found))


@click.command()
@click.option(
    "--digest",
    "digest_file",
    type=click.File("r"),
    help="A digest written earlier by 'consentry digest': its chain heads must still hold.",
)
@click.option(
    "--jobs",
    type=click.IntRange(0, MAX_JOBS),
    default=0,
    show_default=True,
    help="Worker processes, each verifying a range of contacts (0: one per CPU core; "
    "1: in this process). Ranges have at least 20,000 contacts.",
)
@json_option
@pass_env
def verify(env: Env, digest_file: IO[str] | None, jobs: int, as_json: bool) -> None:
    """Recompute every hash chain and the projection; print every problem and exit 2."""
    against = read_digest(digest_file) if digest_file else None
    report = run_verify(env, against, jobs or default_jobs(env.url))
    if as_json:
        echo_json(verify_json(report))
    elif report.ok:
        click.echo(
            f"OK: {report.checked} events verified; root {report.root}; "
            f"{report.rows} projection rows match the events{erasures(report)}"
        )
    else:
        for p in report.problems:
            where = f"event {p.event_id or '?'} #{p.seq}" if p.channel is None else row_of(p)
            click.echo(f"{p.kind}: contact {p.contact_id} {where}: {p.detail}")
    report.raise_if_tampered()


def default_jobs(url: str) -> int:
    """One worker per CPU core (at most ``MAX_JOBS``); one for a database in memory, which
    another process cannot open."""
    if url in ("sqlite://", "sqlite:///:memory:"):
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_JOBS))


def run_verify(env: Env, against: Digest | None, jobs: int) -> VerifyReport:
    """The operator's verification, over ``jobs`` worker processes when there are more."""
    ledger = env.ledger()
    if jobs <= 1:
        return ledger.verify(operator(DEPLOYMENT), against=against)
    return verify_parallel(
        ledger.context,
        operator(DEPLOYMENT),
        verify_in_processes(env.url),
        jobs=jobs,
        against=against,
    )


def erasures(report: VerifyReport) -> str:
    """What erasure explains, so it is never read as tampering (decision 072)."""
    if not report.erased:
        return ""
    return (
        f"; {report.erased} contacts erased: the evidence of {report.erased_evidence} events "
        "was removed by their erasure, and their chains still verify"
    )


def verify_json(report: VerifyReport) -> dict[str, Any]:
    """``verify_data``, with each problem's projection row (channel, scope) and the rows count."""
    data = verify_data(report)
    for entry, problem in zip(data["problems"], report.problems, strict=True):
        entry.update(channel=problem.channel, scope_id=problem.scope_id)
    return {**data, "rows": report.rows}


@click.command()
@click.option("--out", type=click.File("w"), help="Write the digest here [default: stdout].")
@pass_env
def digest(env: Env, out: IO[str] | None) -> None:
    """Export a digest of every chain head (JSON) to keep for 'verify --digest'."""
    found = env.ledger().export_digest(operator(DEPLOYMENT))
    text = json.dumps(digest_data(found), indent=2)
    if out is None:
        click.echo(text)
        return
    out.write(text + "\n")
    click.echo(f"Digest of {found.contacts} chains ({found.events} events), root {found.root}")


def digest_data(found: Digest) -> dict[str, Any]:
    """A digest as a JSON document."""
    return {
        "format": DIGEST_FORMAT,
        "exported_at": when(SystemClock().now()),
        "root": found.root,
        "contacts": found.contacts,
        "events": found.events,
        "heads": [{"contact_id": c, "seq": s, "hash": h} for c, s, h in found.heads],
    }


def read_digest(file: IO[str]) -> Digest:
    """A digest document read back (refuses anything but the format 'digest' writes)."""
    try:
        data = json.load(file)
        if data["format"] != DIGEST_FORMAT:
            raise ValueError(f"format {data['format']!r}")
        heads = tuple((h["contact_id"], int(h["seq"]), h["hash"]) for h in data["heads"])
        return Digest(data["root"], int(data["contacts"]), int(data["events"]), heads)
    except (ValueError, KeyError, TypeError) as exc:
        raise click.BadParameter(f"not a Consentry digest: {exc}", param_hint="--digest") from exc
