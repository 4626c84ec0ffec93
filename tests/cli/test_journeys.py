"""``consentry journeys …`` and the worker's scheduled run (decision 078), on a SQLite file."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.cli.conftest import WRITTEN, Run, add_scopes


def _contact(run: Run, email: str, *attrs: str) -> str:
    return run("contacts", "add", "--group", "acme", "--email", email, *attrs).stdout.strip()


def test_report_list_and_resend_a_missed_message(run: Run):
    add_scopes(run)
    ada = _contact(run, "ada@example.com")
    shown = run("journeys", "report", ada, "--channel", "email", "--scope", "acme",
                "--journey", "welcome", "--message-id", "w-1", "--json")  # fmt: skip
    missed = json.loads(shown.stdout)
    assert (missed["outcome"], missed["reason"]) == ("missed", "no_consent")
    page = json.loads(run("journeys", "missed", "--scope", "acme", "--json").stdout)
    assert [m["id"] for m in page["messages"]] == [missed["id"]] and page["next"] is None
    table = run("journeys", "missed", "--scope", "acme", "--contact", ada, "--limit", "1")
    assert missed["id"] in table.stdout and "no_consent" in table.stdout
    refused = run("journeys", "resend", "--group", "acme", missed["id"], ok=False)
    assert "Error [not_eligible_for_resend]" in refused.stderr
    run("opt-in", ada, "--channel", "email", "--scope", "acme", *WRITTEN)
    done = run("journeys", "resend", "--group", "acme", missed["id"])
    assert missed["id"] in done.stdout
    again = run("journeys", "resend", "--group", "acme", missed["id"], ok=False)
    assert "Error [resend_already_requested]" in again.stderr


def test_a_scheduled_journey_runs_in_the_worker_once_a_day(run: Run):
    add_scopes(run)
    made = run("journeys", "add", "--scope", "acme", "--name", "Birthday", "--channel", "email",
               "--attribute", "birthday", "--json")  # fmt: skip
    [journey] = json.loads(made.stdout)
    assert journey["id"] in run("journeys", "list", "--group", "acme").stdout
    today = datetime.now(UTC).date()
    _contact(run, "ada@example.com", "--attr", f"birthday={today:%m-%d}")
    first = run("worker", "--once")
    assert "scheduled journeys run 1: triggered 0, missed 1" in first.stdout
    assert "delivered 0" in first.stdout
    second = run("worker", "--once")
    assert "scheduled journeys run 0: triggered 0, missed 0" in second.stdout
    assert "scheduled journeys run 0" in run("journeys", "run").stdout
    run("journeys", "remove", "--group", "acme", journey["id"])
    assert json.loads(run("journeys", "list", "--group", "acme", "--json").stdout) == []
