"""The CLI through click's CliRunner, on a SQLite file in ``tmp_path`` (a migrated copy)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from consentry.cli import cli

Run = Callable[..., Result]
SCOPES = ("acme", "acme/newsletters", "acme/newsletters/ada", "acme/events", "globex")
#: ``--evidence`` options giving a record of written permission (decision 056).
WRITTEN = (
    "--evidence",
    "written_permission=email",
    "--evidence",
    "given_at=2026-01-02",
    "--evidence",
    "reference=Email of 2026-01-02: 'Yes, please text me offers.'",
)


def invoke(url: str, *args: str, ok: bool | None = True, stdin: str | None = None) -> Result:
    """Run ``consentry --db URL ARGS``; ``ok=True`` asserts exit 0, ``False`` non-zero."""
    result = CliRunner().invoke(cli, ["--db", url, *args], input=stdin, catch_exceptions=False)
    if ok is True:
        assert result.exit_code == 0, result.output
    elif ok is False:
        assert result.exit_code != 0, result.output
    return result


@pytest.fixture
def url(tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh, migrated SQLite database file."""
    path = tmp_path / "cli.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def run(url: str) -> Run:
    """``run("contacts", "add", …)`` against the test database."""

    def _run(*args: str, ok: bool | None = True, stdin: str | None = None) -> Result:
        return invoke(url, *args, ok=ok, stdin=stdin)

    return _run


def add_scopes(run: Run) -> None:
    """The acme tree and another group."""
    for scope in SCOPES:
        run("scopes", "add", scope)


def add_ada(run: Run) -> str:
    """Ada, with an email address and a mobile number; her contact id."""
    result = run(
        "contacts",
        "add",
        "--group",
        "acme",
        "--email",
        "Ada@Example.com",
        "--mobile",
        "+447700900123",
        "--name",
        "Ada Lovelace",
        "--attr",
        "birthday=1815-12-10",
    )
    return result.stdout.strip()


@pytest.fixture
def ada(run: Run) -> str:
    """A database with the scopes and Ada; her contact id."""
    add_scopes(run)
    return add_ada(run)
