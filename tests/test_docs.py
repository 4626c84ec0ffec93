"""Docs that cannot drift (sqlite-utils' test_docs.py): every command, every error code."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from cogapp import Cog

from consentry.cli import cli
from consentry.core.errors import all_error_classes

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    ctx = click.Context(group, info_name="consentry")
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


COMMANDS = list(all_commands(cli))
IDS = [" ".join(path) for path, _ in COMMANDS]


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS], ids=IDS)
def test_commands_are_documented(path):
    assert f"### consentry {' '.join(path)}\n" in (DOCS / "cli.md").read_text()


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_commands_have_help(path, command):
    assert command.help, f"consentry {' '.join(path)} has no help"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{param.name} of consentry {' '.join(path)} has no help"


@pytest.mark.parametrize("error", all_error_classes(), ids=lambda c: c.__name__)
def test_error_codes_are_documented(error):
    assert re.search(rf"\| `{error.code}` \| `{error.__name__}", (DOCS / "errors.md").read_text())
    assert error.__doc__, f"{error.__name__} needs a one-line docstring"


@pytest.mark.parametrize("name", ["cli.md", "errors.md"])
def test_cog_generated_docs_are_up_to_date(name):
    status = Cog().main(["cog", "--check", str(DOCS / name)])
    assert status == 0, f"docs/{name} is stale: run .venv/bin/cog -r docs/{name}"
