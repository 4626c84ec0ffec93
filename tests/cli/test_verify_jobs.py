"""``consentry verify --jobs N`` gives the report of the serial run (decision 084)."""

import json

from consentry.cli.audit import MAX_JOBS, default_jobs
from tests.cli.conftest import WRITTEN
from tests.cli.test_audit import event_id, tamper


def test_every_jobs_setting_reports_the_same_findings(run, url, ada):
    run("opt-in", ada, "--channel", "sms", "--scope", "acme", *WRITTEN)
    edited = event_id(run("opt-out", ada, "--channel", "email", "--scope", "acme"))
    tamper(url, "UPDATE events SET channel = 'voice' WHERE id = :id", id=edited)
    reports = [
        json.loads(run("verify", "--json", *jobs, ok=False).stdout)
        for jobs in ([], ["--jobs", "1"], ["--jobs", "2"])
    ]
    assert reports[0] == reports[1] == reports[2]
    assert reports[0]["ok"] is False and reports[0]["problems"][0]["event_id"] == edited


def test_jobs_default_to_the_cores_but_never_for_a_database_in_memory():
    assert default_jobs("sqlite://") == 1 and default_jobs("sqlite:///:memory:") == 1
    assert 1 <= default_jobs("sqlite:///ledger.db") <= MAX_JOBS


def test_jobs_beyond_the_limit_are_refused(run):
    result = run("verify", "--jobs", str(MAX_JOBS + 1), ok=False)
    assert result.exit_code == 2 and "--jobs" in result.stderr
