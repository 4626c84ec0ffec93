"""``consentry sends report FILE`` and ``consentry compliance report`` (decision 079).

A send file is NDJSON (one JSON object a line) or CSV (a header row), picked by ``--format``
or the file's suffix (``.csv``; anything else is NDJSON). Each record has the fields of
``POST /v1/sends``: ``contact`` or ``email`` or ``mobile``, ``channel``, ``scope``,
``category`` (marketing by default), ``message_id`` and ``sent_at`` (ISO 8601; UTC unless a
zone is given). It is reported in batches of ``MAX_BATCH``, each one transaction.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click

from consentry.cli.common import Env, json_option, operator, pass_env
from consentry.cli.render import echo_json, table, when
from consentry.core.compliance import ComplianceReport
from consentry.core.sends import MAX_BATCH, SendOutcome, SendReport, SendStatus

FORMATS = ("ndjson", "csv")


@click.group()
def sends() -> None:
    """Send reports: what was sent, judged against the ledger as it stood then."""


@sends.command("report")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--group", required=True, help="The group the sends were made in.")
@click.option("--format", "file_format", type=click.Choice(FORMATS), help="Default: by suffix.")
@json_option
@pass_env
def report(env: Env, file: IO[str], group: str, file_format: str | None, as_json: bool) -> None:
    """Report the sends in FILE; print each violation and refusal, then the counts."""
    kind = file_format or ("csv" if Path(file.name).suffix.lower() == ".csv" else "ndjson")
    ledger, principal = env.ledger(), operator(group)
    answers: list[SendOutcome] = []
    batch: list[SendReport] = []
    for record in _records(file, kind):
        batch.append(_report_of(record))
        if len(batch) == MAX_BATCH:
            answers += ledger.report_sends(principal, batch)
            batch = []
    if batch:
        answers += ledger.report_sends(principal, batch)
    if as_json:
        echo_json([_outcome_data(a) for a in answers])
        return
    shown = [a for a in answers if a.status is not SendStatus.ELIGIBLE]
    rows = [(a.message_id, a.status.value, a.reason or a.code, a.event_id or a.message)
            for a in shown]  # fmt: skip
    if rows:
        click.echo(table(("MESSAGE", "STATUS", "REASON", "EVIDENCE"), rows))
    counts = Counter(a.status.value for a in answers)
    click.echo(", ".join(f"{counts[s.value]} {s.value}" for s in SendStatus))


def _records(file: IO[str], kind: str) -> Iterator[dict[str, Any]]:
    if kind == "csv":
        for row in csv.DictReader(file):
            yield {k: v for k, v in row.items() if v not in (None, "")}
        return
    for number, line in enumerate(file, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"line {number} is not JSON: {exc}") from exc
        if not isinstance(record, dict):
            raise click.BadParameter(f"line {number} is not a JSON object")
        yield record


def _report_of(record: dict[str, Any]) -> SendReport:
    sent_at = record.get("sent_at")
    return SendReport(
        message_id=str(record.get("message_id", "")), channel=str(record.get("channel", "")),
        scope_id=str(record.get("scope", "")), sent_at=_moment(sent_at),
        category=str(record.get("category", "marketing")), contact_id=record.get("contact"),
        email=record.get("email"), mobile=record.get("mobile"),
    )  # fmt: skip


def _moment(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise click.BadParameter(f"sent_at {value!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _optional(value: str | None) -> datetime | None:
    return None if value is None else _moment(value)


def _outcome_data(a: SendOutcome) -> dict[str, Any]:
    return {
        "message_id": a.message_id, "status": a.status.value, "contact_id": a.contact_id,
        "reason": a.reason, "event_id": a.event_id, "violation_id": a.violation_id,
        "code": a.code, "message": a.message,
    }  # fmt: skip


@click.group()
def compliance() -> None:
    """The compliance report: violations, and how long opt-outs took to be honoured."""


@compliance.command("report")
@click.option("--group", required=True, help="The group to report on.")
@click.option("--scope", help="Only sends from this scope or below (default: the group).")
@click.option("--since", metavar="ISO8601", callback=lambda _c, _p, v: _optional(v),
              help="From this time (default: 30 days before --until).")  # fmt: skip
@click.option("--until", metavar="ISO8601", callback=lambda _c, _p, v: _optional(v),
              help="Up to this time (default: now).")  # fmt: skip
@json_option
@pass_env
def compliance_report(
    env: Env,
    group: str,
    scope: str | None,
    since: datetime | None,
    until: datetime | None,
    as_json: bool,
) -> None:
    """Sends and violations per sender scope and channel; each opt-out's time to be honoured
    against its rule's clock (FCC: 10 business days; Gmail/Yahoo: 2 days)."""
    found = env.ledger().compliance_report(
        operator(group), since=since, until=until, scope_id=scope
    )
    if as_json:
        echo_json(report_data(found))
        return
    click.echo(f"{when(found.since)} to {when(found.until)}")
    sends_rows = [(s.scope_id, s.channel.value, s.sends, s.violations) for s in found.sends]
    click.echo(table(("SCOPE", "CHANNEL", "SENDS", "VIOLATIONS"), sends_rows))
    rows = [(h.event_id, h.channel.value, h.scope_id, when(h.recorded_at), str(h.took),
             h.clock.value if h.clock else "-", "EXCEEDED" if h.exceeded else "ok")
            for h in found.honouring]  # fmt: skip
    if rows:
        headers = ("OPT-OUT", "CHANNEL", "SCOPE", "RECORDED", "TOOK", "CLOCK", "")
        click.echo(table(headers, rows))
    click.echo(f"{len(found.exceeded)} opt-out(s) honoured after their clock")


def report_data(found: ComplianceReport) -> dict[str, Any]:
    """The report as a JSON document."""
    return {
        "since": when(found.since), "until": when(found.until),
        "sends": [{"scope_id": s.scope_id, "channel": s.channel.value, "sends": s.sends,
                   "violations": s.violations} for s in found.sends],
        "opt_outs": [{"scope_id": c.scope_id, "channel": c.channel.value,
                      "clock": c.clock, "opt_outs": c.opt_outs,
                      "honoured_at_once": c.honoured_at_once, "exceeded": c.exceeded,
                      "longest_seconds": c.longest.total_seconds()} for c in found.opt_outs],
        "honouring": [{"event_id": h.event_id, "contact_id": h.contact_id,
                       "channel": h.channel.value, "scope_id": h.scope_id,
                       "recorded_at": when(h.recorded_at), "honoured_at": when(h.honoured_at),
                       "took_seconds": h.took.total_seconds(), "violations": h.violations,
                       "clock": h.clock, "deadline": when(h.deadline), "exceeded": h.exceeded}
                      for h in found.honouring],
        "truncated": found.truncated,
    }  # fmt: skip
