"""Audiences as NDJSON streams, campaign checks, and batch eligibility limits."""

from __future__ import annotations

import json
from typing import Any

from consentry.api.audiences import _lines
from consentry.core.audience import AudienceRow
from consentry.core.contacts import ContactDetails
from consentry.core.eligibility import Reason
from consentry.ledger import Audience, Ledger
from tests.api.conftest import Api, Caller, refused
from tests.factories import WRITTEN, system


def people(ledger: Ledger, count: int) -> list[str]:
    """Contacts with email and mobile; even ones opted in to SMS at acme, odd ones not."""
    op = system()
    ids = []
    for n in range(count):
        details = ContactDetails(
            email=f"p{n}@example.com",
            mobile=f"+4477009{n:05d}",
            attributes={"city": "Leeds" if n % 3 == 0 else "York"},
            lists=["vip"] if n < 4 else [],
        )
        contact = ledger.add_contact(op, details)
        if n % 2 == 0:
            ledger.opt_in(op, contact.id, "sms", "acme", evidence=WRITTEN)
        ids.append(contact.id)
    return ids


def stream(caller: Caller, body: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    response = caller.post("/v1/audiences/resolve", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert all(line["type"] == "contact" for line in lines[:-1])
    assert lines[-1]["type"] == "summary"
    return lines[:-1], lines[-1]


def test_an_audience_streams_eligible_contacts_then_exclusions(api: Api, ledger: Ledger) -> None:
    ids = people(ledger, 30)
    rows, summary = stream(api.as_("sender"), {"channel": "sms", "scope": "acme/events/bob"})
    assert [r["contact_id"] for r in rows] == sorted(ids[0::2])
    assert all(r["reason"] == "opted_in" and r["address"].startswith("+44") for r in rows)
    assert summary == {
        "type": "summary",
        "eligible": 15,
        "excluded": {"no_consent": 15},
        "unknown": 0,
    }


def test_segments_narrow_by_list_attribute_and_uploaded_addresses(api: Api, ledger: Ledger) -> None:
    ids = people(ledger, 12)
    sender = api.as_("sender")
    base = {"channel": "sms", "scope": "acme"}
    rows, _ = stream(sender, {**base, "segment": {"list": "vip"}})
    assert {r["contact_id"] for r in rows} == {ids[0], ids[2]}
    rows, _ = stream(sender, {**base, "segment": {"attribute": {"name": "city", "value": "Leeds"}}})
    assert {r["contact_id"] for r in rows} == {ids[0], ids[6]}
    upload = {"mobiles": ["+447700900002", "+447700900003", "+447700999999"]}
    rows, summary = stream(sender, {**base, "segment": upload})
    assert [r["contact_id"] for r in rows] == [ids[2]]
    assert summary["excluded"] == {"no_consent": 1} and summary["unknown"] == 1
    rows, _ = stream(sender, {**base, "segment": {"contact_ids": [ids[4], ids[5]]}})
    assert [r["contact_id"] for r in rows] == [ids[4]]


def test_an_audience_out_of_scope_is_refused_before_streaming(api: Api) -> None:
    sender = api.as_("sender", "acme/newsletters")
    refused(
        sender.post("/v1/audiences/resolve", json={"channel": "sms", "scope": "acme/events"}),
        403,
        "out_of_scope",
    )


def test_a_batch_of_ten_thousand_is_answered_in_order(api: Api, ledger: Ledger) -> None:
    ids = people(ledger, 2)
    checks = [{"contact": ids[n % 2], "channel": "sms", "scope": "acme"} for n in range(10_000)]
    response = api.as_("sender").post("/v1/eligibility/batch", json={"checks": checks})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == 10_000
    assert [r["allowed"] for r in results[:4]] == [True, False, True, False]


def test_a_batch_of_ten_thousand_and_one_is_refused(api: Api) -> None:
    checks = [{"contact": "ct_x", "channel": "sms", "scope": "acme"}] * 10_001
    response = api.as_("sender").post("/v1/eligibility/batch", json={"checks": checks})
    refused(response, 413, "batch_too_large")
    assert response.json()["error"]["details"] == {"limit": 10_000, "given": 10_001}


def test_each_contact_line_is_the_bytes_json_dumps_gives() -> None:
    odd = ['c_"quoted"\\back', "c_é\u2028\x01", "c_plain"]
    rows = [AudienceRow(cid, Reason.OPTED_IN, address) for cid, address in zip(
        odd, ['a"b@example.com', None, "ünïcode@example.com"], strict=True
    )] + [AudienceRow(f"c_{n:04d}", reason, "+447700900123") for n, reason in enumerate(
        [Reason.TRANSACTIONAL, Reason.OPT_IN_CONFIRMATION, Reason.SOFT_OPT_OUT] * 700
    )]  # fmt: skip
    audience = Audience(iter(rows), unknown=3)
    body = b"".join(_lines(audience)).decode()
    lines = body.splitlines()
    eligible = [r for r in rows if r.reason is not Reason.SOFT_OPT_OUT]
    assert len(lines) == len(eligible) + 1 and body.endswith("\n")
    for line, row in zip(lines, eligible, strict=False):
        as_dict = {"type": "contact", "contact_id": row.contact_id, "address": row.address,
                   "reason": row.reason.value}  # fmt: skip
        assert line == json.dumps(as_dict, separators=(",", ":"))
    assert json.loads(lines[-1]) == {
        "type": "summary",
        "eligible": len(eligible),
        "excluded": {"soft_opt_out": 700},
        "unknown": 3,
    }
