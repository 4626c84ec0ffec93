"""The README's examples run as written, and what their comments say holds (docs that cannot drift).

Each example is taken from README.md at test time and run as written. Expression statements are
evaluated, and a ``# …`` comment on one that reads as a result is checked against the value:
``Decision(allowed=True, reason=opted_in)``, ``refused: hard_opt_out``, ``True``, a JSON body,
``(exit 0)``. A trailing ``…`` is a wildcard for the rest of a value. Every other comment is prose.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from consentry.cli import cli

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
DECISIONS = ROOT / "docs" / "decisions"
BIN = Path(sys.executable).parent  # the venv's bin: consentry, python3
DEMO_URL = "http://127.0.0.1:8000"


@pytest.fixture(autouse=True)
def no_deployment_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The examples run on a fresh default deployment, whatever CONSENTRY_* this shell has."""
    for name in [name for name in os.environ if name.startswith("CONSENTRY_")]:
        monkeypatch.delenv(name)


def code_block(heading: str, lang: str) -> str:
    """The first ``lang`` fenced block under the README's ``## heading``."""
    section = README.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(rf"```{lang}\n(.*?)```", section, re.S)
    assert match, f"README.md has no ```{lang} block under '## {heading}'"
    return match.group(1)


# ── claims in comments ────────────────────────────────────────────────────────


def text(value: Any) -> str:
    """How a value reads in a comment: enums by their stored value, ``None`` as ``None``."""
    return str(getattr(value, "value", value))


def same(stated: str, actual: str) -> bool:
    """``stated`` equals ``actual``; a trailing ``…`` matches any rest."""
    if stated.endswith("…"):
        return actual.startswith(stated[:-1])
    return stated == actual


def claim_holds(claim: str, value: Any) -> bool | None:
    """Whether a result comment is true of ``value``; ``None`` when the comment is prose."""
    if match := re.fullmatch(r"(allowed|refused): (\w+)", claim):
        return value.allowed is (match[1] == "allowed") and text(value.reason) == match[2]
    if match := re.fullmatch(r"([A-Z]\w*)\((.*)\)", claim):
        fields = dict(pair.split("=", 1) for pair in match[2].split(", "))
        return type(value).__name__ == match[1] and all(
            same(stated.strip("'\""), text(getattr(value, name))) for name, stated in fields.items()
        )
    try:
        literal = ast.literal_eval(claim)
    except (ValueError, SyntaxError):
        return None
    return bool(value == literal)


def json_claim_holds(stated: Any, actual: Any) -> bool:
    """A JSON body stated in a comment matches the one returned (``…`` as a wildcard)."""
    if isinstance(stated, dict):
        return (
            isinstance(actual, dict)
            and stated.keys() == actual.keys()
            and all(json_claim_holds(v, actual[k]) for k, v in stated.items())
        )
    if isinstance(stated, str) and isinstance(actual, str):
        return same(stated, actual)
    return bool(stated == actual)


def comments(source: str) -> tuple[dict[int, str], dict[int, str]]:
    """The text of each ``#`` comment by line: after code, and on a line of its own."""
    after_code: dict[int, str] = {}
    alone: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            own_line = token.line.lstrip().startswith("#")
            (alone if own_line else after_code)[token.start[0]] = token.string[1:].strip()
    return after_code, alone


def run_python(source: str, namespace: dict[str, Any]) -> list[tuple[str, Any]]:
    """Run ``source`` statement by statement; each expression's value with the comment on it.

    The comment on an expression is the one on its first line, or else a comment on the line
    right after it.
    """
    after_code, alone = comments(source)
    results = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.Expr):
            exec(compile(ast.Module([node], []), "README.md", "exec"), namespace)
            continue
        value = eval(compile(ast.Expression(node.value), "README.md", "eval"), namespace)
        said = after_code.get(node.lineno) or alone.get((node.end_lineno or node.lineno) + 1)
        if said:
            results.append((said, value))
    return results


def check_claims(results: list[tuple[str, Any]]) -> int:
    """Assert every result comment holds; how many there were."""
    checked = 0
    for claim, value in results:
        holds = claim_holds(claim, value)
        assert holds is not False, f"README says {claim!r}, but the value is {value!r}"
        checked += holds is True
    return checked


# ── the library ───────────────────────────────────────────────────────────────


def test_the_library_example_runs_and_its_comments_hold(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the example opens sqlite:///consentry.db
    namespace: dict[str, Any] = {}
    try:
        results = run_python(code_block("30 seconds as a library", "python"), namespace)
    finally:
        if "ledger" in namespace:
            namespace["ledger"].close()
    assert check_claims(results) >= 3, f"the README states fewer results than expected: {results}"
    assert (tmp_path / "consentry.db").exists()


# ── the shell blocks ──────────────────────────────────────────────────────────


@dataclass
class Shell:
    """Just enough of sh for the README's blocks, run with real processes where it matters.

    It handles ``A && B``, ``A | B``, ``VAR=$(…)``, ``$VAR``, ``\\`` continuations and a
    trailing ``&``. Each ``consentry`` command runs in this process through click's CliRunner,
    which is the real CLI and avoids a second of start-up per command. Every other command
    (curl, python3) is a subprocess. ``consentry … &`` starts the real console script as a
    subprocess: with ``serve``, that is the real server, on ``port``.
    """

    cwd: Path
    env: dict[str, str]
    port: int = 0
    variables: dict[str, str] = field(default_factory=dict)
    servers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def lines(self, block: str) -> list[tuple[str, str]]:
        """``(code, comment)`` for each logical line (continuations joined)."""
        logical = []
        for line in block.replace("\\\n", " ").splitlines():
            if line.lstrip().startswith("#"):
                logical.append(("", line.lstrip()[1:].strip()))
            elif line.strip():
                code, _, comment = line.partition(" #")
                logical.append((code.strip(), comment.strip()))
        return logical

    def run(self, code: str) -> tuple[int, str]:
        """Run one line; its exit status (a failing stage of a pipe fails it) and output."""
        var = None
        if match := re.fullmatch(r"(\w+)=\$\((.*)\)", code):
            var, code = match[1], match[2]
        lexer = shlex.shlex(code, posix=True, punctuation_chars="|&")
        lexer.whitespace_split = True
        tokens = [self.expand(token) for token in lexer]
        status, out = 0, ""
        for command in split(tokens, "&&"):
            if command[-1] == "&":
                self.start(command[:-1])
                continue
            stdin: str | None = None
            for stage in split(command, "|"):
                stage_status, out = self.execute(stage, stdin)
                status, stdin = status or stage_status, out
            if status:
                break
        if var:
            self.variables[var] = out.rstrip("\n")
        return status, out

    def expand(self, token: str) -> str:
        return re.sub(r"\$(\w+)", lambda m: self.variables.get(m[1], m[0]), token)

    def execute(self, argv: list[str], stdin: str | None) -> tuple[int, str]:
        if argv[0] == "consentry":
            result = CliRunner().invoke(cli, argv[1:], input=stdin, env=self.env)
            return result.exit_code, result.stdout
        done = subprocess.run(
            argv, input=stdin, capture_output=True, text=True, cwd=self.cwd, env=self.env,
            timeout=30,
        )  # fmt: skip
        return done.returncode, done.stdout

    def start(self, argv: list[str]) -> None:
        """``consentry serve &``: the real server on ``port``; returns once it listens."""
        assert argv[:2] == ["consentry", "serve"], argv
        with (self.cwd / "server.log").open("wb") as log:  # the server keeps its own copy
            server = subprocess.Popen(
                [str(BIN / "consentry"), *argv[1:], "--port", str(self.port)],
                cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.servers.append(server)
        deadline = time.monotonic() + 30
        while not port_open(self.port):
            assert server.poll() is None, (self.cwd / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)

    def close(self) -> None:
        """Stop the servers this shell started (its own children, by their ids)."""
        for server in self.servers:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def split(tokens: list[str], operator: str) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for token in tokens:
        if token == operator:
            parts.append([])
        else:
            parts[-1].append(token)
    return [part for part in parts if part]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def make_shell(tmp_path: Path, port: int = 0) -> Shell:
    """A shell in ``tmp_path`` on a fresh SQLite file, with the venv first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSENTRY_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["CONSENTRY_DATABASE_URL"] = f"sqlite:///{tmp_path / 'consentry.db'}"
    return Shell(tmp_path, env, port)


def run_block(shell: Shell, block: str) -> int:
    """Run a shell block; assert the exit statuses and the results its comments state.

    Every command must exit 0 unless its comment says ``(exit N)``. ``allowed: X`` and
    ``refused: X`` must start the output; ``…: hard`` must be in it as ``(hard)``. A comment
    line that is JSON must match the last JSON value the previous line printed. No response may
    be an error body. Returns how many stated results were checked.
    """
    checked, out = 0, ""
    for code, comment in shell.lines(block):
        if not code:
            if comment.startswith("{"):
                stated, printed = json.loads(comment), json_values(out)
                assert printed, f"nothing printed before the comment {comment}"
                assert json_claim_holds(stated, printed[-1]), (stated, printed[-1])
                checked += 1
            continue
        status, out = shell.run(code)
        expected = re.search(r"\(exit (\d+)\)", comment)
        assert status == (int(expected[1]) if expected else 0), (code, status, out)
        assert not [v for v in json_values(out) if isinstance(v, dict) and "error" in v], out
        if match := re.match(r"(allowed|refused): \w+", comment):
            assert out.startswith(match[0]), (comment, out)
            checked += 1
        if match := re.search(r": (hard|soft)$", comment):
            assert f"({match[1]})" in out, (comment, out)
            checked += 1
    return checked


def json_values(output: str) -> list[Any]:
    """The JSON values in the output (curl adds no newline between them); other text skipped."""
    decoder, values, at = json.JSONDecoder(), [], 0
    while (at := len(output) - len(output[at:].lstrip())) < len(output):
        try:
            value, at = decoder.raw_decode(output, at)
        except json.JSONDecodeError:  # a line of text, e.g. "Added group acme (acme)"
            newline = output.find("\n", at)
            at = len(output) if newline < 0 else newline + 1
            continue
        values.append(value)
    return values


# ── the CLI ───────────────────────────────────────────────────────────────────


def test_the_cli_example_runs_and_its_comments_hold(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shell = make_shell(tmp_path)
    assert run_block(shell, code_block("30 seconds with the CLI", "sh")) >= 2
    assert shell.variables["ADA"].startswith("ct_")


# ── the REST API and the typed client, against a real `consentry serve` ─────────


def test_the_curl_and_client_examples_run_against_a_real_server(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    heading = "30 seconds with curl (the REST API)"
    shell = make_shell(tmp_path, port)
    namespace: dict[str, Any] = {}
    try:
        assert run_block(shell, code_block(heading, "sh").replace(DEMO_URL, url)) >= 1
        namespace.update(KEY=shell.variables["KEY"], CONTACT=shell.variables["CONTACT"])
        results = run_python(code_block(heading, "python").replace(DEMO_URL, url), namespace)
        assert check_claims(results) >= 1, results
    finally:
        if "client" in namespace:
            namespace["client"].close()
        shell.close()


# ── the decision records ──────────────────────────────────────────────────────


def indexed_decisions() -> set[str]:
    return set(re.findall(r"\]\((\d{3}-[\w-]+\.md)\)", (DECISIONS / "README.md").read_text()))


def test_every_decision_is_in_the_index():
    pages = {p.name for p in DECISIONS.iterdir()} - {"README.md"}
    assert pages - indexed_decisions() == set(), "add these to docs/decisions/README.md"


def test_every_decision_in_the_index_exists():
    pages = {p.name for p in DECISIONS.iterdir()}
    assert indexed_decisions() - pages == set(), "docs/decisions/README.md links missing pages"


@pytest.mark.parametrize("name", ["LICENSE", "CHANGELOG.md", "docs/architecture.md"])
def test_the_readme_links_exist(name):
    assert f"]({name})" in README
    assert (ROOT / name).is_file()
