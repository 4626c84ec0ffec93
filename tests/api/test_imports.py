"""Imports over the API (issue 11; decision 071): saved mappings, a job from upload to report,
and every refusal with its code, on both databases."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from consentry.adapters.clock import FixedClock
from consentry.api import create_app
from consentry.api.import_runner import ImportRunner
from consentry.core.csvsafe import original
from consentry.core.import_jobs import STALE_AFTER
from consentry.ledger import Ledger
from consentry.settings import Settings
from tests.api.conftest import Api, Caller, refused
from tests.factories import WRITTEN, count_rows, sql
from tests.factories import admin as group_admin

SPEC = {"Email": "email", "Name": "name", "SMS": "consent:sms"}
CSV = b'Email,Name,SMS\nada@example.com,"=HYPERLINK(""x"")",yes\nbob@example.com,Bob,no\nnope,Cy,\n'


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    return tmp_path / "spool"


@pytest.fixture
def api(ledger: Ledger, settings: Settings, spool_dir: Path) -> Api:
    """The API with its import uploads in a directory of the test's own."""
    configured = Settings(**{**_fields(settings), "import_dir": str(spool_dir)})
    return Api(TestClient(create_app(ledger, configured)), ledger)


def _fields(settings: Settings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in settings.__dataclass_fields__}


def runner(api: Api) -> ImportRunner:
    found: ImportRunner = api.client.app.state.imports  # type: ignore[attr-defined]
    return found


def upload(
    caller: Caller,
    content: bytes = CSV,
    *,
    filename: str = "people.csv",
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Any:
    form = {"mapping": json.dumps(SPEC), "evidence": json.dumps(WRITTEN), **fields}
    form = {k: v for k, v in form.items() if v is not None}
    files = {"file": (filename, content, "text/csv")}
    return caller.post("/v1/imports", data=form, files=files, headers=headers or {})


def finished(api: Api, caller: Caller, location: str) -> dict[str, Any]:
    """Poll the job until it ends (a bounded loop: the thread ends quickly on a small file)."""
    for _ in range(200):
        runner(api).join(0.05)
        job: dict[str, Any] = caller.get(location).json()
        if job["status"] in ("done", "failed"):
            return job
    raise AssertionError(f"the job at {location} did not end: {job}")


def test_an_import_goes_from_upload_to_its_report(api: Api, admin: Caller, spool_dir) -> None:
    answer = upload(admin, scope="acme/newsletters")
    assert answer.status_code == 202, answer.text
    queued = answer.json()
    assert answer.headers["Location"] == f"/v1/imports/{queued['id']}"
    assert queued["scope_id"] == "acme/newsletters" and queued["format"] == "csv"
    job = finished(api, admin, answer.headers["Location"])
    assert (job["status"], job["rows_read"], job["error"]) == ("done", 3, None)
    counts = job["counts"]
    assert (counts["created"], counts["refused"], counts["opted_in"]) == (2, 1, 1)
    assert counts["refusals"] == {"invalid_email": 1}
    lines = admin.get(job["report"], params={"format": "ndjson"})
    assert lines.headers["content-type"] == "application/x-ndjson"
    rows = [json.loads(x) for x in lines.text.splitlines()]
    assert [(r["line"], r["outcome"], r["changes"]) for r in rows] == [
        (2, "created", ["opted_in:sms"]), (3, "created", ["opted_out:sms"]), (4, "refused", []),
    ]  # fmt: skip
    ada = api.ledger.find_contact(group_admin(), email="ada@example.com")
    assert rows[0]["contact_id"] == ada.id and ada.name == '=HYPERLINK("x")'
    assert list(spool_dir.iterdir()) == []  # the spool file never had a name, and is closed


def test_the_reports_csv_cells_are_neutralised(api: Api, admin: Caller) -> None:
    job = finished(api, admin, upload(admin).headers["Location"])
    answer = admin.get(job["report"])
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    header, *rows = answer.text.splitlines()
    assert header == '"line","outcome","contact_id","changes","code","message"'
    message = rows[2].rsplit('","', 1)[1].rstrip('"')
    assert message.startswith("''nope'")  # a cell that starts with ' gets one more
    assert original(message).startswith("'nope' is not a valid email address")
    refusal = "=cmd|'/c calc'!A1"
    sql(
        api.ledger,
        "INSERT INTO import_job_rows (job_id, line, outcome, code, message) "
        "VALUES (:j, 9, 'refused', 'invalid', :m)",
        j=job["id"], m=refusal,
    )  # fmt: skip
    last = admin.get(job["report"], params={"format": "csv"}).text.splitlines()[-1]
    assert last == f'"9","refused","","","invalid","\'{refusal}"'


def test_a_dry_run_job_writes_no_contact(api: Api, admin: Caller) -> None:
    before = count_rows(api.ledger)
    job = finished(api, admin, upload(admin, dry_run="true").headers["Location"])
    assert (job["status"], job["dry_run"], job["counts"]["created"]) == ("done", True, 2)
    assert count_rows(api.ledger) == before
    rows = admin.get(job["report"], params={"format": "ndjson"}).text.splitlines()
    assert [json.loads(r)["outcome"] for r in rows] == ["created", "created", "refused"]


def test_a_saved_mapping_is_used_by_name(api: Api, admin: Caller) -> None:
    saved = admin.request("PUT", "/v1/import-mappings/crm", json={"mapping": SPEC})
    assert saved.status_code == 200 and saved.json()["mapping"] == SPEC
    assert admin.get("/v1/import-mappings/crm").json()["name"] == "crm"
    assert [m["name"] for m in admin.get("/v1/import-mappings").json()["mappings"]] == ["crm"]
    ndjson = b'{"Email": "ada@example.com", "SMS": "yes"}\n{"Email": "eve@example.com"}\n'
    answer = upload(admin, ndjson, filename="people.ndjson", mapping=None, mapping_name="crm")
    job = finished(api, admin, answer.headers["Location"])
    assert (job["format"], job["mapping"], job["counts"]["created"]) == ("ndjson", SPEC, 2)


@pytest.mark.parametrize(
    ("fields", "content"),
    [
        ({"mapping": json.dumps({"Email": "e-mail"})}, CSV),
        ({"mapping": json.dumps({"Mail": "email"})}, CSV),  # no such column in the header
        ({"mapping": "{not json"}, CSV),
        ({"mapping": json.dumps(["Email"])}, CSV),
        ({"mapping": None}, CSV),
        ({"mapping_name": "crm"}, CSV),  # both
    ],
    ids=["unknown-target", "missing-column", "not-json", "not-an-object", "none", "both"],
)
def test_a_bad_mapping_is_refused_before_the_job_starts(
    api: Api, admin: Caller, fields: dict[str, Any], content: bytes
) -> None:
    refused(upload(admin, content, **fields), 422, "invalid_mapping")
    assert sql(api.ledger, "SELECT count(*) FROM import_jobs") == [(0,)]


def test_an_unknown_saved_mapping_is_not_found(admin: Caller) -> None:
    refused(upload(admin, mapping=None, mapping_name="nope"), 404, "import_mapping_not_found")
    refused(admin.get("/v1/import-mappings/nope"), 404, "import_mapping_not_found")
    bad = admin.request("PUT", "/v1/import-mappings/crm", json={"mapping": {"A": "nothing"}})
    refused(bad, 422, "invalid_mapping")


@pytest.mark.parametrize("role", ["staff", "viewer", "sender"])
def test_only_admin_keys_import(api: Api, role: str) -> None:
    caller = api.as_(role)
    refused(upload(caller), 403, "forbidden")
    refused(caller.get("/v1/import-mappings"), 403, "forbidden")
    refused(
        caller.request("PUT", "/v1/import-mappings/crm", json={"mapping": SPEC}), 403, "forbidden"
    )


def test_another_groups_job_is_not_found_and_a_job_out_of_reach_is_refused(
    api: Api, admin: Caller
) -> None:
    job = finished(api, admin, upload(admin, scope="acme/events").headers["Location"])
    globex = api.as_("admin", "globex")
    refused(globex.get(f"/v1/imports/{job['id']}"), 404, "import_job_not_found")
    refused(globex.get(f"/v1/imports/{job['id']}/report"), 404, "import_job_not_found")
    newsletters = api.as_("admin", "acme/newsletters")
    refused(newsletters.get(f"/v1/imports/{job['id']}"), 403, "out_of_scope")
    refused(upload(newsletters, scope="acme/events"), 403, "out_of_scope")


def test_a_job_whose_server_died_reads_as_interrupted(
    api: Api, admin: Caller, clock: FixedClock
) -> None:
    job = api.ledger.start_import(group_admin(), file_format="csv", mapping=SPEC)  # never run
    assert admin.get(f"/v1/imports/{job.id}").json()["status"] == "queued"
    clock.set(clock.now() + STALE_AFTER + timedelta(seconds=1))
    stale = admin.get(f"/v1/imports/{job.id}").json()
    assert stale["status"] == "failed" and stale["error"]["code"] == "import_interrupted"
    assert stale["finished_at"] is not None


def test_a_retried_upload_with_its_key_answers_the_first_job(api: Api, admin: Caller) -> None:
    key = {"Idempotency-Key": "upload-1"}
    first = upload(admin, headers=key)
    again = upload(admin, headers=key)
    assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Location"] == first.headers["Location"]
    finished(api, admin, first.headers["Location"])
    assert sql(api.ledger, "SELECT count(*) FROM import_jobs") == [(1,)]
    refused(
        upload(admin, CSV + b"eve@example.com,Eve,\n", headers=key), 409, "idempotency_conflict"
    )


def test_a_file_that_is_not_utf8_ends_its_job_failed(api: Api, admin: Caller) -> None:
    answer = upload(admin, b'{"Email": "ada@example.com", "Name": "Ad\xe9"}\n', format="ndjson")
    job = finished(api, admin, answer.headers["Location"])
    assert (job["status"], job["error"]["code"]) == ("failed", "invalid")
    assert job["error"]["message"] == "the file is not UTF-8 text"
    refused(upload(admin, b"Em\xe9il,Name,SMS\n"), 422, "invalid")  # a CSV's header: at once


@pytest.mark.parametrize(
    "fields",
    [{"format": "xlsx"}, {"dry_run": "maybe"}, {"evidence": "[1]"}, {"colour": "red"}],
    ids=["format", "dry-run", "evidence", "unknown-field"],
)
def test_a_bad_form_field_is_refused(api: Api, admin: Caller, fields: dict[str, Any]) -> None:
    answer = upload(admin, **fields)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] in ("invalid", "invalid_evidence")
    assert sql(api.ledger, "SELECT count(*) FROM import_jobs") == [(0,)]


def test_a_body_that_is_not_a_form_or_has_no_file_is_refused(admin: Caller) -> None:
    refused(admin.post("/v1/imports", json={"file": "x"}), 422, "invalid")
    no_file = admin.post("/v1/imports", data={"mapping": json.dumps(SPEC)}, files={"x": ("a", b"")})
    refused(no_file, 422, "invalid")
    unnamed = admin.post("/v1/imports", files={"file": ("people.txt", CSV)}, data={"mapping": "{}"})
    refused(unnamed, 422, "invalid")  # no format, and none to tell from the name


def test_an_upload_over_the_bound_is_refused(ledger: Ledger, settings: Settings, tmp_path) -> None:
    small = Settings(**{**_fields(settings), "import_max_bytes": 300, "import_dir": str(tmp_path)})
    api = Api(TestClient(create_app(ledger, small)), ledger)
    caller = api.as_("admin")
    refused(upload(caller, CSV * 10), 413, "payload_too_large")  # by its Content-Length

    def chunks() -> Any:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        yield CSV * 10
        yield b"\r\n--b--\r\n"

    streamed = caller.post(  # no Content-Length: counted as it streams in
        "/v1/imports", content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    refused(streamed, 413, "payload_too_large")
    assert sql(ledger, "SELECT count(*) FROM import_jobs") == [(0,)]


def test_a_spool_file_is_private_and_nameless(api: Api, spool_dir: Path) -> None:
    with runner(api).spool() as spool:
        assert stat.S_IMODE(os.fstat(spool.fileno()).st_mode) == 0o600
        assert list(spool_dir.iterdir()) == []
