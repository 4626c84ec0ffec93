"""What a staff page is asked in its address (query parameters, ids in the path) is checked once
at the edge by ``core/limits`` (decision 050), as the journeys page does: a bad value gets the
staff error page with its code (422, or 404 for what is not there), never a 500. A notice flag
(``done``) names one of the page's notices or none: an unknown one is shown as none."""

from __future__ import annotations

import pytest

SETTINGS = [
    ("/settings/webhooks", "webhook_not_found", "delete"),
    ("/settings/rules", "rule_not_found", "remove"),
]
BAD_QUERIES = [
    ("/compliance", {"channel": "pigeon"}, 422, "invalid_channel"),
    ("/compliance", {"channel": "sms\x01"}, 422, "invalid_text"),
    ("/compliance", {"scope": "acme\nglobex"}, 422, "invalid_text"),
    ("/compliance", {"scope": "acme/nowhere"}, 404, "scope_not_found"),
    ("/compliance", {"from": "2026-02-30"}, 422, "invalid"),
    ("/compliance", {"to": "31/01/2026"}, 422, "invalid"),
    ("/compliance", {"from": "0001-01-01"}, 422, "invalid_time"),
    ("/compliance", {"from": "2" * 100}, 422, "text_too_long"),
    ("/compliance", {"after": "v" * 500}, 422, "text_too_long"),
    ("/journeys/missed", {"channel": "pigeon"}, 422, "invalid_channel"),
    ("/journeys/missed", {"after": "m" * 500}, 422, "text_too_long"),
    *[(f"{base}/x" + "1" * 300, {}, 422, "text_too_long") for base, _, _ in SETTINGS],
    *[(f"{base}/a%0Ab", {}, 422, "invalid_text") for base, _, _ in SETTINGS],
    *[(f"{base}/nope", {}, 404, missing) for base, missing, _ in SETTINGS],
    *[(f"{base}/nope/{confirm}", {}, 404, missing) for base, missing, confirm in SETTINGS],
]


@pytest.mark.parametrize(("path", "query", "status", "code"), BAD_QUERIES)
def test_a_bad_parameter_gets_the_error_page_and_its_code(staff, path, query, status, code):
    staff.sign_in("admin")
    bad = staff.client.get(path, params=query)
    assert bad.status_code == status
    assert "<h1>That did not work</h1>" in bad.text and f"<code>{code}</code>" in bad.text


@pytest.mark.parametrize("path", [base for base, _, _ in SETTINGS])
def test_an_unknown_notice_is_not_shown(staff, path):
    staff.sign_in("admin")
    listing = staff.client.get(path, params={"done": "<b>\x00" * 50, "queued": "9" * 50})
    assert listing.status_code == 200 and 'class="notice"' not in listing.text
