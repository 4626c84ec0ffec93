"""The consent rules that leaked (issue 8, item 7), over HTTP: status AND code, both databases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from consentry.core.channels import Channel
from consentry.core.links import LinkClaims, LinkPurpose
from consentry.ledger import Ledger
from tests.api.conftest import Api, Caller, refused
from tests.factories import WRITTEN, sender

CLICK = {"ip": "192.0.2.1", "user_agent": "Mail/1.0"}
ASKED = {"ticket": "#812: the mailbox works again"}


def add(caller: Caller, email: str = "ada@example.com", mobile: str | None = None) -> str:
    response = caller.post("/v1/contacts", json={"email": email, "mobile": mobile})
    assert response.status_code == 201, response.text
    contact_id: str = response.json()["id"]
    return contact_id


def change(caller: Caller, contact: str, verb: str, channel: str, scope: str, **more: Any) -> Any:
    body = {"channel": channel, "scope": scope, **more}
    return caller.post(f"/v1/contacts/{contact}/consent/{verb}", json=body)


def check(caller: Caller, contact: str, channel: str = "email", scope: str = "acme") -> Any:
    params = {"contact": contact, "channel": channel, "scope": scope}
    response = caller.get("/v1/eligibility", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def token(ledger: Ledger, contact: str, scope: str = "acme", channel: str = "email") -> str:
    """The signed confirmation link's token, as the confirmation message carries it."""
    assert ledger.signer is not None
    expires = ledger.clock.now() + timedelta(days=7)
    claims = LinkClaims(LinkPurpose.CONFIRM, contact, scope, (Channel(channel),), expires)
    return ledger.signer.sign(claims)


def clear(caller: Caller, contact: str, **body: Any) -> Any:
    return caller.post(f"/v1/contacts/{contact}/suppressions/clear", json=body)


# ── 053 ──


def test_a_complaint_is_the_contacts_hard_opt_out_and_clearing_it_leaves_that(
    api: Api, admin: Caller
) -> None:
    ada = add(admin)
    assert change(admin, ada, "opt-in", "email", "acme", evidence=WRITTEN).status_code == 201
    gateway = api.as_("sender", "acme/newsletters")
    complaint = gateway.post(f"/v1/contacts/{ada}/complaints", json={"channel": "email"})
    assert complaint.status_code == 201 and complaint.json()["action"] == "complained"
    events = admin.get(f"/v1/contacts/{ada}/events").json()["events"]
    last = events[-1]
    assert (last["action"], last["strength"], last["scope_id"], last["actor"]["kind"]) == (
        "opted_out",
        "hard",
        "acme",
        "contact",
    )
    assert check(gateway, ada, scope="acme/newsletters")["reason"] == "complained"
    cleared = clear(admin, ada, channel="email", suppression="complained", evidence=ASKED)
    assert cleared.status_code == 201, cleared.text
    assert check(gateway, ada, scope="acme/newsletters")["reason"] == "hard_opt_out"
    again = change(admin, ada, "opt-in", "email", "acme", evidence=WRITTEN)
    refused(again, 409, "hard_opt_out_locked")


# ── 054 ──


def test_a_sender_key_cannot_re_subscribe_as_the_contact(api: Api, admin: Caller) -> None:
    ada = add(admin)
    assert change(admin, ada, "opt-out", "email", "acme").status_code == 201
    gateway = api.as_("sender")
    for source in ("preference_centre", "unsubscribe_link", "one_click", "confirmation_link"):
        attempt = change(gateway, ada, "opt-in", "email", "acme", source=source, evidence=CLICK)
        refused(attempt, 403, "forbidden")
    resubscribe = change(
        gateway, ada, "resubscribe", "email", "acme", source="preference_centre",
        reason="contact_asked", evidence=CLICK,
    )  # fmt: skip
    refused(resubscribe, 403, "forbidden")
    assert check(gateway, ada)["reason"] == "soft_opt_out"


def test_a_relayed_opt_back_in_starts_the_flow_and_only_the_signed_link_completes_it(
    api: Api, admin: Caller, ledger: Ledger
) -> None:
    ada = add(admin)
    gateway = api.as_("sender")
    out = change(gateway, ada, "opt-out", "email", "acme", source="one_click", evidence=CLICK)
    assert out.status_code == 201 and out.json()["strength"] == "hard"
    asked = change(
        gateway, ada, "request-confirmation", "email", "acme", source="preference_centre",
        evidence=CLICK,
    )  # fmt: skip
    assert asked.status_code == 201, asked.text
    assert (asked.json()["action"], asked.json()["actor"]["kind"]) == (
        "confirmation_requested",
        "contact",
    )
    sent = [i.message for i in ledger.list_outbox(sender())]
    assert [(m.category, m.to) for m in sent] == [
        ("opt_in_confirmation", "ada@example.com")
    ]  # the confirmation message went out
    assert check(gateway, ada)["reason"] == "hard_opt_out"
    refused(change(gateway, ada, "confirm", "email", "acme", evidence=CLICK), 403, "forbidden")
    forged = change(gateway, ada, "confirm", "email", "acme", evidence=CLICK, token="k1.x.y")
    refused(forged, 400, "link_invalid")
    wrong = token(ledger, ada, scope="acme/events")
    refused(change(gateway, ada, "confirm", "email", "acme", token=wrong), 400, "link_invalid")
    done = change(
        gateway, ada, "confirm", "email", "acme", evidence=CLICK, token=token(ledger, ada)
    )
    assert done.status_code == 201 and done.json()["actor"]["kind"] == "contact"
    assert check(gateway, ada)["allowed"] is True


def test_a_relayed_source_is_checked_against_the_channel(api: Api, admin: Caller) -> None:
    ada = add(admin, mobile="+447700900123")
    gateway = api.as_("sender")
    keypad = change(gateway, ada, "opt-out", "sms", "acme", source="voice_keypad")
    refused(keypad, 422, "invalid_source")
    assert keypad.json()["error"]["details"] == {"source": "voice_keypad", "channel": "sms"}
    refused(
        change(gateway, ada, "opt-out", "email", "acme", source="sms_keyword"),
        422,
        ("invalid_source"),
    )
    assert admin.get(f"/v1/contacts/{ada}/events").json()["events"] == []
    voice = change(gateway, ada, "opt-out", "voice", "acme", source="voice_keypad")
    assert voice.status_code == 201 and voice.json()["strength"] == "hard"


# ── 055 ──


def test_an_admin_opt_out_over_a_hard_one_voids_the_old_confirmation_link(
    api: Api, admin: Caller, ledger: Ledger
) -> None:
    ada = add(admin)
    gateway = api.as_("sender")
    change(gateway, ada, "opt-out", "email", "acme", source="unsubscribe_link")
    change(gateway, ada, "request-confirmation", "email", "acme", source="preference_centre")
    link = token(ledger, ada)
    assert change(admin, ada, "opt-out", "email", "acme").status_code == 201
    late = change(gateway, ada, "confirm", "email", "acme", evidence=CLICK, token=link)
    refused(late, 409, "invalid_transition")
    assert check(gateway, ada)["reason"] == "hard_opt_out"


# ── 056 ──


def test_staff_opt_in_needs_a_record_of_written_permission(api: Api) -> None:
    staff = api.as_("staff")
    ada = add(staff, mobile="+447700900123")
    note = change(staff, ada, "opt-in", "sms", "acme", evidence={"kind": "note"})
    refused(note, 422, "evidence_required")
    details = note.json()["error"]["details"]
    assert details["required"] == ["written_permission", "given_at", "reference"]
    assert set(details["problems"]) == {"written_permission", "given_at", "reference"}
    old = {"written_permission": "Email of 2026-01-02: 'Yes, text me offers.'"}
    refused(change(staff, ada, "opt-in", "sms", "acme", evidence=old), 422, "evidence_required")
    record = {**WRITTEN, "file_sha256": "0f" * 32}
    done = change(staff, ada, "opt-in", "sms", "acme", evidence=record)
    assert done.status_code == 201 and done.json()["evidence"] == record


# ── 057 ──


def test_clearing_names_the_suppression_and_refuses_one_that_is_not_there(
    api: Api, admin: Caller
) -> None:
    ada = add(admin)
    refused(clear(admin, ada, channel="email", evidence=ASKED), 422, "invalid")
    named = {"channel": "email", "suppression": "complained", "evidence": ASKED}
    refused(clear(admin, ada, **named), 409, "not_suppressed")
    gateway = api.as_("sender")
    assert gateway.post(f"/v1/contacts/{ada}/bounces", json={"channel": "email"}).is_success
    wrong = clear(admin, ada, **named)
    refused(wrong, 409, "not_suppressed")
    assert wrong.json()["error"]["details"] == {"channel": "email", "suppression": "bounced"}
    staff = api.as_("staff")
    refused(clear(staff, ada, channel="email", suppression="bounced"), 403, "forbidden")
    client_admin = api.as_("admin", "acme/newsletters")
    refused(clear(client_admin, ada, channel="email", suppression="bounced"), 403, "out_of_scope")
    lifted = clear(admin, ada, channel="email", suppression="bounced", evidence=ASKED)
    assert lifted.status_code == 201 and lifted.json()["reason"] == "admin_decision"
    assert check(gateway, ada)["reason"] == "no_consent"


def test_a_bounce_on_a_channel_without_an_address_is_refused(api: Api, admin: Caller) -> None:
    ada = add(admin)  # an email address, no mobile number
    gateway = api.as_("sender")
    for what in ("bounces", "complaints"):
        report = gateway.post(f"/v1/contacts/{ada}/{what}", json={"channel": "sms"})
        refused(report, 409, "no_address")
    assert admin.get(f"/v1/contacts/{ada}/events").json()["events"] == []


# ── 058 ──


def test_opt_ins_and_signups_are_judged_by_the_scopes_above(api: Api, admin: Caller) -> None:
    ada = add(admin)
    staff = api.as_("staff")
    assert change(admin, ada, "opt-out", "email", "acme").status_code == 201
    below = change(staff, ada, "opt-in", "email", "acme/newsletters", evidence=WRITTEN)
    refused(below, 409, "opted_out")
    signup = change(staff, ada, "request-confirmation", "email", "acme/newsletters")
    refused(signup, 409, "opted_out")
    bob = add(admin, "bob@example.com")
    assert change(staff, bob, "opt-in", "email", "acme", evidence=WRITTEN).status_code == 201
    refused(change(staff, bob, "request-confirmation", "email", "acme"), 409, "invalid_transition")
    lower = change(staff, bob, "request-confirmation", "email", "acme/newsletters")
    assert lower.status_code == 201 and check(staff, bob, scope="acme/newsletters")["allowed"]
