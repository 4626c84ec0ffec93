"""``consentry import FILE``: contacts and their consent from a CSV or NDJSON file (decision 070).

The column mapping comes from ``--map COLUMN=TARGET`` options or a saved ``--mapping-file``
(a JSON object, reusable for the next file); the whole file's record of written permission from
``--evidence`` and ``--evidence-file``, and a scanned or signed original from
``--evidence-document`` (its SHA-256 and name go into every opt-in's evidence). ``--dry-run``
says what would happen and writes nothing. A progress bar (rows, rate, time left) runs on
standard error; the per-row report goes to ``--report`` as CSV (line, outcome, contact,
changes, code, message).
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from consentry.adapters.import_files import FileFormat, Line, read_rows
from consentry.cli.common import Env, evidence_of, evidence_options, json_option, operator, pass_env
from consentry.cli.render import echo_json
from consentry.core.csvsafe import neutral
from consentry.core.imports import ImportReport, RowOutcome, parse_mapping

REPORT_HEADER = ("line", "outcome", "contact_id", "changes", "code", "message")


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--scope", required=True, help="Where the consent is recorded, e.g. acme or acme/news."
)
@click.option(
    "--format", "file_format", type=click.Choice([f.value for f in FileFormat]),
    help="csv or ndjson (default: from the file's extension).",
)  # fmt: skip
@click.option(
    "--map", "pairs", multiple=True, metavar="COLUMN=TARGET",
    help="What a column holds: email, mobile, external_id, name, locale, postal_address, "
    "lists, attribute:NAME, consent:CHANNEL, consent_at:CHANNEL, evidence:KEY, ignore.",
)  # fmt: skip
@click.option("--mapping-file", type=click.File("r"), help="A saved mapping: a JSON object.")
@click.option(
    "--save-mapping", type=click.Path(dir_okay=False, path_type=Path),
    help="Write the mapping used to this file, to reuse it.",
)  # fmt: skip
@evidence_options
@click.option(
    "--evidence-document", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The original permission (a scan, a PDF): its SHA-256 goes into the evidence.",
)  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Report what would happen; write nothing.")
@click.option(
    "--report", "report_file", type=click.File("w"), help="Write each row's outcome (CSV)."
)
@click.option("--batch-size", default=5000, show_default=True, help="Rows per transaction.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@json_option
@pass_env
def import_file(
    env: Env,
    file: Path,
    scope: str,
    file_format: str | None,
    pairs: tuple[str, ...],
    mapping_file: IO[str] | None,
    save_mapping: Path | None,
    evidence: tuple[str, ...],
    evidence_file: IO[str] | None,
    evidence_document: Path | None,
    dry_run: bool,
    report_file: IO[str] | None,
    batch_size: int,
    quiet: bool,
    as_json: bool,
) -> None:
    """Import contacts and their consent from FILE (CSV with a header row, or NDJSON).

    Every opt-in needs a record of written permission (decision 056): give it for the whole file
    with --evidence written_permission=… given_at=… reference=… or per row with evidence:KEY
    columns. An import never reverses an opt-out, never re-creates an erased person, and run
    again on the same file changes nothing.
    """
    mapping = parse_mapping(_spec(pairs, mapping_file))
    if save_mapping is not None:
        save_mapping.write_text(json.dumps(mapping.spec(), indent=2) + "\n")
    record = _evidence(evidence_of(evidence, evidence_file), evidence_document)
    fmt = FileFormat(file_format) if file_format else _format_of(file)
    sink = _Report(report_file)
    with file.open(encoding="utf-8-sig", newline="") as stream, _bar(quiet, file) as bar:
        rows = read_rows(stream, fmt, mapping)
        report = env.ledger().import_contacts(
            operator(scope), _counted(rows, bar), mapping=mapping, scope_id=scope,
            evidence=record, dry_run=dry_run, batch_size=batch_size, on_batch=sink.write,
        )  # fmt: skip
    _summary(report, as_json)


def _spec(pairs: Sequence[str], mapping_file: IO[str] | None) -> dict[str, str]:
    spec: dict[str, str] = {}
    if mapping_file is not None:
        try:
            loaded = json.load(mapping_file)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--mapping-file") from exc
        if not isinstance(loaded, dict):
            raise click.BadParameter("must hold a JSON object", param_hint="--mapping-file")
        spec.update(loaded)
    for pair in pairs:
        column, sep, target = pair.rpartition("=")
        if not sep or not column:
            raise click.BadParameter(f"{pair!r} is not COLUMN=TARGET", param_hint="--map")
        spec[column] = target
    return spec


def _evidence(record: dict[str, Any] | None, document: Path | None) -> dict[str, Any] | None:
    if document is None:
        return record
    digest = hashlib.sha256()
    with document.open("rb") as original:
        for block in iter(lambda: original.read(1 << 20), b""):
            digest.update(block)
    return {**(record or {}), "file_sha256": digest.hexdigest(), "file_name": document.name}


def _format_of(file: Path) -> FileFormat:
    suffix = file.suffix.lower().lstrip(".")
    if suffix in ("ndjson", "jsonl"):
        return FileFormat.NDJSON
    if suffix == "csv":
        return FileFormat.CSV
    raise click.BadParameter(
        f"cannot tell the format of {file.name!r}: give --format csv or ndjson",
        param_hint="--format",
    )


def _bar(quiet: bool, file: Path) -> Progress:
    """Rows done of the file's lines, the rate and the time left, on standard error."""
    columns = (
        TextColumn("[bold]import"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
        TextColumn("{task.fields[rate]} rows/s"), TimeRemainingColumn(),
    )  # fmt: skip
    bar = Progress(*columns, disable=quiet, transient=False, console=_stderr())
    with file.open("rb") as counting:
        lines = sum(block.count(b"\n") for block in iter(lambda: counting.read(1 << 20), b""))
    bar.add_task("rows", total=max(lines, 1), rate="-")
    return bar


def _stderr() -> Any:
    from rich.console import Console

    return Console(file=sys.stderr)


def _counted(rows: Iterator[Line], bar: Progress) -> Iterator[Line]:
    task = bar.task_ids[0]
    for n, row in enumerate(rows, start=1):
        if n % 1000 == 0:
            speed = bar.tasks[0].speed
            bar.update(task, completed=row[0], rate=f"{speed:,.0f}" if speed else "-")
        yield row
    bar.update(task, completed=bar.tasks[0].total)


class _Report:
    """Each batch's row outcomes as CSV lines, cells made safe for spreadsheets."""

    def __init__(self, out: IO[str] | None) -> None:
        self.writer = csv.writer(out) if out is not None else None
        if self.writer is not None:
            self.writer.writerow(REPORT_HEADER)

    def write(self, outcomes: Sequence[RowOutcome]) -> None:
        if self.writer is None:
            return
        for o in outcomes:
            cells = (o.line, o.outcome.value, o.contact_id, " ".join(o.changes), o.code, o.message)
            self.writer.writerow([neutral("" if c is None else str(c)) for c in cells])


def _summary(report: ImportReport, as_json: bool) -> None:
    data = {
        "dry_run": report.dry_run, "rows": report.rows, "created": report.created,
        "updated": report.updated, "unchanged": report.unchanged, "refused": report.refused,
        "opted_in": report.opted_in, "opted_out": report.opted_out, "events": report.events,
        "batches": report.batches, "refusals": dict(sorted(report.refusals.items())),
    }  # fmt: skip
    if as_json:
        echo_json(data)
        return
    head = "Dry run (nothing written): " if report.dry_run else ""
    click.echo(
        f"{head}{report.rows} rows: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.refused} refused; {report.opted_in} opted in, "
        f"{report.opted_out} opted out"
    )
    for code, count in sorted(report.refusals.items()):
        click.echo(f"  refused {count}: {code}")
