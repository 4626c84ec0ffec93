"""Through the API (decision 067): a kept evidence file's download, the contacts list filtered by
opt-in status, and audiences of several attributes; each refusal by status and code."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from consentry.core import limits
from consentry.core.events import Source
from consentry.core.evidence import Attachment
from consentry.ledger import Ledger
from tests.api.conftest import Api, error_code
from tests.factories import WRITTEN, admin, as_contact, make_contact, sql, staff

PDF = b"%PDF-1.4\n% the signed form\n%%EOF\n"


def kept(ledger: Ledger, name: str = "form.pdf", media_type: str = "application/pdf",
         data: bytes = PDF) -> tuple[str, str]:  # fmt: skip
    """Ada, opted in by staff with an uploaded copy; (her id, the copy's SHA-256)."""
    ada = make_contact(ledger)
    copy = Attachment(name, media_type, data)
    ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN, attachment=copy)
    return ada.id, copy.sha256


# ── GET /v1/contacts/{id}/evidence/{sha256} ──
def test_a_viewer_downloads_the_kept_copy_the_event_names(api: Api, ledger: Ledger) -> None:
    ada, digest = kept(ledger)
    viewer = api.as_("viewer", "acme/newsletters")
    named = api.as_("admin").get(f"/v1/contacts/{ada}/events").json()["events"][-1]["evidence"]
    assert named["file_sha256"] == digest and named["file_name"] == "form.pdf"
    got = viewer.get(f"/v1/contacts/{ada}/evidence/{digest}")
    assert got.status_code == 200
    assert got.content == PDF and hashlib.sha256(got.content).hexdigest() == digest
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"form.pdf\"; filename*=UTF-8''form.pdf"
    )
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"] == "default-src 'none'; sandbox"


def test_a_file_of_another_type_is_served_as_octet_stream(api: Api, ledger: Ledger) -> None:
    ada, digest = kept(ledger, "page.svg", "image/svg+xml", b"<svg onload='alert(1)'/>")
    got = api.as_("viewer").get(f"/v1/contacts/{ada}/evidence/{digest}")
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"].startswith('attachment; filename="page.svg"')


def test_the_download_refusals(api: Api, ledger: Ledger) -> None:
    ada, digest = kept(ledger)
    gus = make_contact(ledger, email="gus@example.com", mobile=None, group="globex")
    url = f"/v1/contacts/{ada}/evidence/{digest}"
    answers = {
        "another group's contact": api.as_("admin", "globex").get(url),
        "unknown file": api.as_("viewer").get(f"/v1/contacts/{ada}/evidence/{'0' * 64}"),
        "not a hash": api.as_("viewer").get(f"/v1/contacts/{ada}/evidence/{'z' * 64}"),
        "too long": api.as_("viewer").get(f"/v1/contacts/{ada}/evidence/{'a' * 65}"),
        "a sending key": api.as_("sender").get(url),
        "no key": api.client.get(url),
        "not kept for that contact": api.as_("admin", "globex").get(
            f"/v1/contacts/{gus.id}/evidence/{digest}"
        ),
    }
    seen = {why: (r.status_code, error_code(r)) for why, r in answers.items()}
    assert seen == {
        "another group's contact": (404, "contact_not_found"),
        "unknown file": (404, "evidence_file_not_found"),
        "not a hash": (422, "invalid"),
        "too long": (422, "text_too_long"),
        "a sending key": (403, "forbidden"),
        "no key": (401, "unauthenticated"),
        "not kept for that contact": (404, "evidence_file_not_found"),
    }


def test_altered_bytes_are_a_clear_error_never_served(api: Api, ledger: Ledger) -> None:
    ada, digest = kept(ledger)
    sql(ledger, "UPDATE evidence_files SET content = :c", c=PDF + b"appended")
    got = api.as_("viewer").get(f"/v1/contacts/{ada}/evidence/{digest}")
    assert (got.status_code, error_code(got)) == (500, "evidence_file_altered")
    assert b"appended" not in got.content


# ── GET /v1/contacts?status=…&status_channel=… ──
def test_the_contacts_list_filters_by_opt_in_status(api: Api, ledger: Ledger) -> None:
    ada = make_contact(ledger)
    bob = make_contact(ledger, email="bob@example.com", mobile="+447700900124")
    cy = make_contact(ledger, email="cy@example.com", mobile="+447700900125")
    for c in (ada, bob, cy):
        ledger.opt_in(admin(), c.id, "sms", "acme", evidence=WRITTEN)
    ledger.opt_out(
        as_contact(bob), bob.id, "sms", "acme/newsletters", source=Source.UNSUBSCRIBE_LINK
    )
    ledger.opt_out(admin(), cy.id, "sms", "acme")
    viewer = api.as_("viewer", "acme/newsletters")

    def ids(**params: object) -> list[str]:
        answer = viewer.get("/v1/contacts", params={"status_channel": "sms", **params})
        assert answer.status_code == 200, answer.text
        return [c["id"] for c in answer.json()["contacts"]]

    assert ids(status="hard_opt_out") == [bob.id]  # at the key's own scope
    assert ids(status="opted_in") == [ada.id]
    assert ids(status=["soft_opt_out", "hard_opt_out"]) == sorted([bob.id, cy.id])
    assert ids(status="hard_opt_out", status_scope="acme/newsletters/ada") == [bob.id]
    group = api.as_("viewer").get(
        "/v1/contacts", params={"status": "opted_in", "status_channel": "sms"}
    )
    assert [c["id"] for c in group.json()["contacts"]] == sorted([ada.id, bob.id])
    page = viewer.get(
        "/v1/contacts", params={"status": ["opted_in", "soft_opt_out"], "status_channel": "sms",
                                "limit": 1},
    ).json()  # fmt: skip
    assert [c["id"] for c in page["contacts"]] == [min(ada.id, cy.id)] and page["next"]


def test_the_status_filter_refusals(api: Api) -> None:
    viewer = api.as_("viewer", "acme/newsletters")
    answers = {
        "no channel": viewer.get("/v1/contacts", params={"status": "opted_in"}),
        "no status": viewer.get("/v1/contacts", params={"status_channel": "sms"}),
        "not a reason": viewer.get(
            "/v1/contacts", params={"status": "opted_out", "status_channel": "sms"}
        ),
        "not a marketing answer": viewer.get(
            "/v1/contacts", params={"status": "transactional", "status_channel": "sms"}
        ),
        "above the key": viewer.get(
            "/v1/contacts",
            params={"status": "opted_in", "status_channel": "sms", "status_scope": "acme"},
        ),
        "another group": viewer.get(
            "/v1/contacts",
            params={"status": "opted_in", "status_channel": "sms", "status_scope": "globex"},
        ),
    }
    seen = {why: (r.status_code, error_code(r)) for why, r in answers.items()}
    assert seen == {
        "no channel": (422, "invalid"),
        "no status": (422, "invalid"),
        "not a reason": (422, "invalid"),
        "not a marketing answer": (422, "invalid"),
        "above the key": (403, "out_of_scope"),
        "another group": (404, "scope_not_found"),
    }


# ── POST /v1/audiences/resolve with several attributes ──
def test_an_audience_of_several_attributes(api: Api, ledger: Ledger) -> None:
    made = {}
    for name, attrs in {
        "gold_gb": {"plan": "gold", "country": "GB"},
        "gold_fr": {"plan": "gold", "country": "FR"},
        "tin_gb": {"plan": "tin", "country": "GB"},
    }.items():
        c = make_contact(ledger, email=f"{name}@example.com", mobile=None, attributes=attrs)
        ledger.opt_in(admin(), c.id, "email", "acme", evidence=WRITTEN)
        made[name] = c.id
    key = api.as_("sender")

    def resolved(segment: Mapping[str, object]) -> tuple[int, list[str]]:
        answer = key.post(
            "/v1/audiences/resolve", json={"channel": "email", "scope": "acme", "segment": segment}
        )
        if answer.status_code != 200:
            return answer.status_code, [error_code(answer)]
        lines = [line for line in answer.text.splitlines() if '"contact"' in line]
        return 200, sorted(line.split('"contact_id":"')[1].split('"')[0] for line in lines)

    both = {"attributes": [{"name": "plan", "value": "gold"}, {"name": "country", "value": "GB"}]}
    assert resolved(both) == (200, [made["gold_gb"]])
    old = {"attribute": {"name": "country", "value": "GB"}}
    assert resolved(old) == (200, sorted([made["gold_gb"], made["tin_gb"]]))
    mixed = {**old, "attributes": [{"name": "plan", "value": "tin"}]}
    assert resolved(mixed) == (200, [made["tin_gb"]])
    nine = [{"name": f"k{n}", "value": "v"} for n in range(limits.MAX_SEGMENT_ATTRIBUTES + 1)]
    assert resolved({"attributes": nine}) == (422, ["too_many_items"])
    eight_and_one = {**old, "attributes": nine[:-1]}
    assert resolved(eight_and_one) == (422, ["too_many_items"])
    assert resolved({"attributes": [{"name": "", "value": "v"}]}) == (422, ["invalid"])
