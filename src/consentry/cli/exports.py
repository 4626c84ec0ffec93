"""``consentry export contacts | consents | ledger``: a group's contacts, their consents and the
ledger itself as CSV or NDJSON, written while they are read (docs/export.md, decision 068).

The file is streamed: memory stays flat at any size. With ``--out FILE`` it is written to
``FILE.part`` and renamed when complete, so ``FILE`` is either the whole export or not there; a
refusal (an unknown group's scope, a bad ``--since``) comes before anything is written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import Any, TypeVar

import click

from consentry.cli.audit import parse_moment
from consentry.cli.common import Env, operator, pass_env, say_on_stderr
from consentry.core.exports import ExportFormat

F = TypeVar("F", bound=Callable[..., Any])


@click.group()
def export() -> None:
    """Export a group's contacts, their consents or its ledger as CSV or NDJSON."""


def file_options(func: F) -> F:
    """``--group``, ``--format`` and ``--out``: what every export takes."""
    func = click.option(
        "--out",
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        help="Write the file here (whole, or not at all) [default: stdout].",
    )(func)
    func = click.option(
        "--format",
        "fmt",
        type=click.Choice([f.value for f in ExportFormat]),
        default=ExportFormat.CSV.value,
        show_default=True,
        help="csv: a header line, every cell quoted; ndjson: one JSON object a line.",
    )(func)
    return click.option(
        "--group", required=True, help="The group to export (an export never crosses groups)."
    )(func)


@export.command("contacts")
@file_options
@pass_env
def contacts(env: Env, group: str, fmt: str, out: Path | None) -> None:
    """Every contact of the group, and per channel what a marketing send would get."""
    write(env.ledger().export_contacts(operator(group), format=fmt), out)


@export.command("consents")
@file_options
@pass_env
def consents(env: Env, group: str, fmt: str, out: Path | None) -> None:
    """Every consent (contact, channel, scope, status, since) and suppression of the group."""
    write(env.ledger().export_consents(operator(group), format=fmt), out)


def parse_since(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """An optional ISO 8601 moment (UTC unless a zone is given)."""
    return None if value is None else parse_moment(ctx, param, value)


@export.command("ledger")
@file_options
@click.option(
    "--since",
    metavar="ISO8601",
    callback=parse_since,
    help="Only events recorded at or after this moment, e.g. 2026-01-01T00:00:00Z.",
)
@pass_env
def ledger(env: Env, group: str, fmt: str, out: Path | None, since: datetime | None) -> None:
    """Every event of the group with its evidence, hash and prev_hash, in chain order."""
    write(env.ledger().export_ledger(operator(group), format=fmt, since=since), out)


def write(chunks: Iterator[str], out: Path | None) -> None:
    """The chunks to standard output, or to ``out`` through ``out.part``, renamed when done."""
    first = next(chunks, "")  # a refusal is raised here, before any file exists
    if out is None:
        for chunk in chain([first], chunks):
            click.echo(chunk, nl=False)
        return
    part = out.with_name(out.name + ".part")
    try:
        with part.open("w", encoding="utf-8", newline="") as file:
            for chunk in chain([first], chunks):
                file.write(chunk)
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)
    say_on_stderr(f"Exported to {out}")
