"""A group's transactional policy over HTTP (decision 075): read, set, reset, and the answers
that name it."""

from __future__ import annotations

from tests.api.conftest import Api, Caller, refused


def test_an_admin_sets_the_groups_policy_and_checks_name_it(api: Api, admin: Caller) -> None:
    ada = admin.post("/v1/contacts", json={"mobile": "+447700900123"}).json()["id"]
    admin.post(f"/v1/contacts/{ada}/consent/opt-out", json={"channel": "sms", "scope": "acme"})
    rules = {
        r["channel"]: r
        for r in api.as_("viewer").get("/v1/policies/transactional").json()["channels"]
    }
    assert rules["sms"] == {
        "channel": "sms", "bypass": False, "policy": "deployment_no_bypass",
        "updated_by": None, "updated_at": None,
    }  # fmt: skip
    params = {"contact": ada, "channel": "sms", "scope": "acme", "category": "transactional"}
    before = admin.get("/v1/eligibility", params=params).json()
    assert (before["reason"], before["policy"]) == ("soft_opt_out", "deployment_no_bypass")

    done = admin.request("PUT", "/v1/policies/transactional/sms", json={"bypass": True})
    assert done.status_code == 200, done.text
    assert done.json()["policy"] == "group_bypass" and done.json()["updated_at"]
    after = admin.get("/v1/eligibility", params=params).json()
    assert (after["allowed"], after["reason"], after["policy"]) == (
        True,
        "transactional",
        "group_bypass",
    )
    checks = [
        {"contact": ada, "channel": "sms", "scope": "acme", "category": "transactional"},
        {"contact": ada, "channel": "sms", "scope": "acme"},
    ]
    batch = admin.post("/v1/eligibility/batch", json={"checks": checks}).json()["results"]
    assert [(r["reason"], r["policy"]) for r in batch] == [
        ("transactional", "group_bypass"), ("soft_opt_out", None),
    ]  # fmt: skip

    reset = admin.request("PUT", "/v1/policies/transactional/sms", json={"bypass": None}).json()
    assert reset["policy"] == "deployment_no_bypass" and reset["updated_by"] is None
    refused(
        api.as_("staff").request("PUT", "/v1/policies/transactional/sms", json={"bypass": True}),
        403,
        "forbidden",
    )
    refused(
        admin.request("PUT", "/v1/policies/transactional/fax", json={"bypass": True}),
        422,
        "invalid",
    )
    refused(admin.request("PUT", "/v1/policies/transactional/sms", json={}), 422, "invalid")
