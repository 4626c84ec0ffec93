"""Every endpoint, for every role, in and out of scope: nothing SPEC §3 forbids is allowed.

The expectations come from the table below, written from SPEC §3 (and seeds/002, 004), not
from ``permissions.py``. Every key is bound to the client ``acme/newsletters``: "in" targets
that client (or a user below it), "out" targets the sibling client ``acme/events`` — or, where
a request names no scope, a contact of another group (``globex``), which must stay invisible.

    admin   everything within its scope (group-wide acts need a group admin: lifting a
            suppression, keyword sets, the outbox, the confirmation sweep); never speaks for
            the contact (delivering a STOP or a confirmation is a sender's job)
    staff   view and add contacts, opt in with evidence, request confirmation, check/audiences
    viewer  read only: view, check
    sender  check, audiences, bounces/complaints, deliver the contact's own messages, read
            and acknowledge the outbox (the group's: a client-bound sender is out of scope)
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from consentry.core.channels import Channel
from consentry.core.contacts import ContactDetails
from consentry.core.evidence import Attachment
from consentry.core.links import LinkClaims, LinkPurpose
from consentry.ledger import Ledger
from tests.api.conftest import Api, Caller, error_code
from tests.factories import WRITTEN, system

ROLES = ("admin", "staff", "viewer", "sender")
KEY_SCOPE = "acme/newsletters"
IN, OUT = "acme/newsletters/ada", "acme/events"
VIEW = {"admin", "staff", "viewer"}
CHECK = {"admin", "staff", "viewer", "sender"}
STATUS = {
    "forbidden": 403,
    "out_of_scope": 403,
    "contact_not_found": 404,
    "number_not_found": 404,
    "import_job_not_found": 404,
}
#: Group-wide acts: no key bound to the client acme/newsletters may do them.
GROUP_ONLY = ("out_of_scope", "out_of_scope")


@dataclass(frozen=True)
class Case:
    """One endpoint: the roles SPEC §3 lets through, and what "out of scope" must answer."""

    name: str
    method: str
    path: str
    allowed: set[str]
    ok: int = 200
    out: str | None = "out_of_scope"  # None: the endpoint has no out-of-scope variant
    body: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    state: str | None = None
    override: dict[str, tuple[str, str]] = field(default_factory=dict)
    form: dict[str, Any] | None = None  # a multipart upload: these fields and a small file


IMPORT_MAPPING = {"Email": "email"}
IMPORT_FILE = ("people.csv", b"Email\nperson@example.com\n", "text/csv")
HOOK_URL = "http://127.0.0.1:9/hooks"
RULE_BODY = {
    "scope": "{scope}", "trigger": "list_joined", "name": "nobody", "channel": "sms",
    "status": "opted_out",
}  # fmt: skip

JOURNEY_BODY = {
    "contact_id": "{contact}", "channel": "email", "scope": "{scope}", "journey": "birthday",
    "message_id": "m-{email}",
}  # fmt: skip
SENDS_BODY = {"sends": [{
    "contact": "{contact}", "channel": "email", "scope": "{scope}", "message_id": "m-{email}",
    "sent_at": "2026-01-05T09:00:00Z",
}]}  # fmt: skip
SCHEDULED_BODY = {"scope": "{scope}", "name": "Birthday", "channel": "email", "attribute": "bd"}


def consent(**more: Any) -> dict[str, Any]:
    return {"channel": "email", "scope": "{scope}", **more}


CASES = [
    Case("list scopes", "GET", "/v1/scopes", VIEW, out=None),
    Case("add scope", "POST", "/v1/scopes", {"admin"}, 201, body={"id": "{client}/carol"}),
    Case("get scope", "GET", "/v1/scopes/{scope}", VIEW),
    Case(
        "create key",
        "POST",
        "/v1/keys",
        {"admin"},
        201,
        body={"role": "sender", "scope": "{scope}"},
    ),
    Case("list keys", "GET", "/v1/keys", {"admin"}, out=None),
    Case("revoke key", "DELETE", "/v1/keys/{key}", {"admin"}, state="key"),
    Case(
        "add contact",
        "POST",
        "/v1/contacts",
        {"admin", "staff"},
        201,
        out=None,
        body={"email": "new-{email}"},
    ),
    Case("list contacts", "GET", "/v1/contacts", VIEW, out=None),
    Case(
        "find contact",
        "GET",
        "/v1/contacts/find",
        VIEW,
        out="contact_not_found",
        params={"email": "{email}"},
    ),
    Case("get contact", "GET", "/v1/contacts/{contact}", VIEW, out="contact_not_found"),
    Case(  # erasure is group-wide (decision 072): no key bound to a client may erase
        "erase contact",
        "POST",
        "/v1/contacts/{contact}/erase",
        set(),
        out="contact_not_found",
        override={"admin": ("out_of_scope", "contact_not_found")},
    ),
    Case(
        "update contact",
        "PATCH",
        "/v1/contacts/{contact}",
        {"admin", "staff"},
        out="contact_not_found",
        body={"name": "Ada"},
    ),
    Case(
        "opt in",
        "POST",
        "/v1/contacts/{contact}/consent/opt-in",
        {"admin", "staff"},
        201,
        body=consent(evidence=WRITTEN),
    ),
    Case(
        "opt out",
        "POST",
        "/v1/contacts/{contact}/consent/opt-out",
        {"admin"},
        201,
        body=consent(),
    ),
    Case(
        "resubscribe",
        "POST",
        "/v1/contacts/{contact}/consent/resubscribe",
        {"admin"},
        201,
        body=consent(reason="contact_asked", evidence=WRITTEN),
        state="soft",
    ),
    Case(
        "request confirmation",
        "POST",
        "/v1/contacts/{contact}/consent/request-confirmation",
        {"admin", "staff"},
        201,
        body=consent(),
    ),
    Case(
        "deliver confirmation",
        "POST",
        "/v1/contacts/{contact}/consent/confirm",
        {"sender"},
        201,
        body=consent(evidence={"ip": "192.0.2.1"}, token="{token}"),
        state="pending",
    ),
    Case(
        "deliver STOP",
        "POST",
        "/v1/contacts/{contact}/consent/opt-out",
        {"sender"},
        201,
        body=consent(channel="sms", source="sms_keyword", evidence={"inbound": "STOP"}),
    ),
    Case(
        "report bounce",
        "POST",
        "/v1/contacts/{contact}/bounces",
        {"admin", "sender"},
        201,
        out="contact_not_found",
        body={"channel": "email"},
    ),
    Case(
        "report complaint",
        "POST",
        "/v1/contacts/{contact}/complaints",
        {"admin", "sender"},
        201,
        out="contact_not_found",
        body={"channel": "email"},
    ),
    # Suppressions are about an address, group-wide: lifting one needs a group admin.
    Case(
        "clear suppression",
        "POST",
        "/v1/contacts/{contact}/suppressions/clear",
        set(),
        201,
        out="contact_not_found",
        body={"channel": "email", "suppression": "bounced", "evidence": WRITTEN},
        override={"admin": ("out_of_scope", "out_of_scope")},
    ),
    Case("history", "GET", "/v1/contacts/{contact}/events", VIEW, out="contact_not_found"),
    Case(
        "status at",
        "GET",
        "/v1/contacts/{contact}/status",
        VIEW,
        params={"channel": "email", "scope": "{scope}"},
    ),
    Case("proof of consent", "GET", "/v1/contacts/{contact}/proof", VIEW, out="contact_not_found"),
    Case(
        "kept evidence file",
        "GET",
        "/v1/contacts/{contact}/evidence/{sha256}",
        VIEW,
        out="contact_not_found",
        state="evidence_file",
    ),
    Case(
        "eligibility proof",
        "GET",
        "/v1/contacts/{contact}/proof/eligibility",
        VIEW,
        params={"channel": "email", "scope": "{scope}"},
    ),
    Case(
        "check",
        "GET",
        "/v1/eligibility",
        CHECK,
        params={"contact": "{contact}", "channel": "email", "scope": "{scope}"},
    ),
    Case(
        "batch check",
        "POST",
        "/v1/eligibility/batch",
        CHECK,
        body={"checks": [{"contact": "{contact}", "channel": "email", "scope": "{scope}"}]},
    ),
    Case(
        "audience",
        "POST",
        "/v1/audiences/resolve",
        CHECK,
        body={"channel": "email", "scope": "{scope}"},
    ),
    Case(
        "campaign check",
        "POST",
        "/v1/campaigns/check",
        CHECK,
        body={"channel": "email", "scope": "{scope}", "segment": {"emails": ["{email}"]}},
    ),
    Case(
        "unsubscribe headers",
        "GET",
        "/v1/contacts/{contact}/unsubscribe-headers",
        CHECK,
        params={"scope": "{scope}", "mailto": "unsubscribe@example.com"},
    ),
    Case("list numbers", "GET", "/v1/numbers", VIEW, out=None),
    Case(
        "configure number",
        "PUT",
        "/v1/numbers/{number}",
        {"admin"},
        body={"scope": "{scope}", "channels": ["sms", "voice"], "help_text": "Acme help"},
    ),
    Case("get number", "GET", "/v1/numbers/{number}", VIEW, out="number_not_found", state="number"),
    Case("keyword set", "GET", "/v1/keyword-sets/{name}", VIEW, out=None),
    Case(
        "add keyword",
        "POST",
        "/v1/keyword-sets/{name}/words",
        set(),
        out=None,
        body={"kind": "opt_out", "word": "enough", "language": "en"},
        override={"admin": GROUP_ONLY},
    ),
    Case(
        "remove keyword",
        "DELETE",
        "/v1/keyword-sets/{name}/words",
        set(),
        out=None,
        params={"kind": "opt_in", "word": "yes"},
        override={"admin": GROUP_ONLY},
    ),
    Case(
        "list outbox",
        "GET",
        "/v1/outbox",
        set(),
        out=None,
        override={"admin": GROUP_ONLY, "sender": GROUP_ONLY},
    ),
    Case(
        "mark sent",
        "POST",
        "/v1/outbox/{outbox_id}/sent",
        set(),
        out=None,
        override={"admin": GROUP_ONLY, "sender": GROUP_ONLY},
    ),
    Case(
        "expire confirmations",
        "POST",
        "/v1/confirmations/expire",
        set(),
        out=None,
        override={"admin": GROUP_ONLY},
    ),
    Case("transactional policy", "GET", "/v1/policies/transactional", VIEW, out=None),
    Case(  # the group's own policy (decision 075): no key bound to a client may set it
        "set transactional policy",
        "PUT",
        "/v1/policies/transactional/{channel}",
        set(),
        out=None,
        body={"bypass": True},
        override={"admin": GROUP_ONLY},
    ),
    Case("trends", "GET", "/v1/trends", VIEW, params={"scope": "{scope}", "days": 30}),
    Case("verify ledger", "GET", "/v1/ledger/verify", {"admin"}, out=None),
    Case("ledger digest", "GET", "/v1/ledger/digest", {"admin"}, out=None),
    # Exports cover the key's group, seen from its scope (decision 068): nothing is out of reach.
    Case("export contacts", "GET", "/v1/exports/contacts", VIEW, out=None),
    Case("export consents", "GET", "/v1/exports/consents", VIEW, out=None),
    Case("export ledger", "GET", "/v1/exports/ledger", VIEW, out=None),
    # Imports (decision 071): admins; saved mappings belong to the group.
    Case(
        "save import mapping",
        "PUT",
        "/v1/import-mappings/{name}",
        {"admin"},
        out=None,
        body={"mapping": IMPORT_MAPPING},
    ),
    Case("list import mappings", "GET", "/v1/import-mappings", {"admin"}, out=None),
    Case(
        "get import mapping",
        "GET",
        "/v1/import-mappings/{name}",
        {"admin"},
        out=None,
        state="mapping",
    ),
    Case(
        "start import",
        "POST",
        "/v1/imports",
        {"admin"},
        202,
        form={
            "scope": "{scope}",
            "mapping": json.dumps(IMPORT_MAPPING).replace("{", "{{").replace("}", "}}"),
        },
    ),
    Case("get import", "GET", "/v1/imports/{job_id}", {"admin"}, state="import_job"),
    Case("import report", "GET", "/v1/imports/{job_id}/report", {"admin"}, state="import_job"),
    # Outbound webhooks (decision 076): admins, within their scope.
    Case(
        "create webhook",
        "POST",
        "/v1/webhooks",
        {"admin"},
        201,
        body={"scope": "{scope}", "url": HOOK_URL, "event_types": ["consent.opted_out"]},
    ),
    Case("list webhooks", "GET", "/v1/webhooks", {"admin"}, out=None),
    Case("get webhook", "GET", "/v1/webhooks/{webhook_id}", {"admin"}, state="webhook"),
    Case(
        "update webhook",
        "PATCH",
        "/v1/webhooks/{webhook_id}",
        {"admin"},
        body={"enabled": False},
        state="webhook",
    ),
    Case("delete webhook", "DELETE", "/v1/webhooks/{webhook_id}", {"admin"}, state="webhook"),
    Case(
        "replay webhook",
        "POST",
        "/v1/webhooks/{webhook_id}/replay",
        {"admin"},
        202,
        body={"since": "2026-01-05T08:00:00Z"},
        state="webhook",
    ),
    # Lifecycle rules (decision 077): admins, within their scope (on a list nobody joins here).
    Case("create rule", "POST", "/v1/rules", {"admin"}, 201, body=RULE_BODY),
    Case("list rules", "GET", "/v1/rules", {"admin"}, out=None),
    Case("get rule", "GET", "/v1/rules/{rule_id}", {"admin"}, state="rule"),
    Case(
        "update rule",
        "PATCH",
        "/v1/rules/{rule_id}",
        {"admin"},
        body={"name": "nobody-else"},
        state="rule",
    ),
    Case("delete rule", "DELETE", "/v1/rules/{rule_id}", {"admin"}, state="rule"),
    # Journeys (decision 078): senders report; staff see the missed and ask for a re-send;
    # admins define scheduled journeys.
    Case(
        "report journey message",
        "POST",
        "/v1/journey-messages",
        {"admin", "sender"},
        201,
        body=JOURNEY_BODY,
    ),
    Case(
        "missed messages", "GET", "/v1/journey-messages/missed", VIEW, params={"scope": "{scope}"}
    ),
    Case(
        "contact missed messages",
        "GET",
        "/v1/contacts/{contact}/missed-messages",
        VIEW,
        out="contact_not_found",
    ),
    Case(
        "get journey message",
        "GET",
        "/v1/journey-messages/{journey_message_id}",
        VIEW,
        state="missed",
    ),
    Case(
        "request resend",
        "POST",
        "/v1/journey-messages/{journey_message_id}/resend",
        {"admin", "staff"},
        state="missed",
    ),
    Case("create journey", "POST", "/v1/journeys", {"admin"}, 201, body=SCHEDULED_BODY),
    Case("list journeys", "GET", "/v1/journeys", {"admin"}, out=None),
    Case("get journey", "GET", "/v1/journeys/{journey_id}", {"admin"}, state="journey"),
    Case("delete journey", "DELETE", "/v1/journeys/{journey_id}", {"admin"}, state="journey"),
    # Send reports (decision 079): senders (and admins) report; an item out of the key's scope
    # is refused within the 200 answer; staff and viewers read violations and the report.
    Case("report sends", "POST", "/v1/sends", {"admin", "sender"}, out=None, body=SENDS_BODY),
    Case("list violations", "GET", "/v1/violations", VIEW, params={"scope": "{scope}"}),
    Case("compliance report", "GET", "/v1/compliance/report", VIEW, params={"scope": "{scope}"}),
]


def expected(case: Case, role: str, where: str) -> int | str:
    """The status (allowed) or error code (refused) the table demands."""
    if role in case.override:
        return case.override[role][0 if where == "in" else 1]
    if role not in case.allowed:
        return "forbidden"
    return case.ok if where == "in" else str(case.out)


class World:
    """Fresh targets for each request, so no case depends on another."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.serial = itertools.count()

    def targets(self, case: Case, where: str) -> dict[str, str]:
        n = next(self.serial)
        group = "globex" if where == "out" and case.out == "contact_not_found" else "acme"
        email = f"person{n}@example.com"
        contact = self.ledger.add_contact(system(group), _details(email, f"+4477009{n:05d}")).id
        scope = IN if where == "in" else OUT
        client = KEY_SCOPE if where == "in" else OUT
        values = {"contact": contact, "email": email, "scope": scope, "client": client}
        values["group"] = group
        values |= {"number": f"ACME{n}", "name": "default", "outbox_id": f"ob_{n:04d}"}
        values["channel"] = "sms"
        self._prepare(case.state, values)
        return values

    def _prepare(self, state: str | None, values: dict[str, str]) -> None:
        op = system("acme")
        if state == "soft":
            self.ledger.opt_out(op, values["contact"], "email", values["scope"])
        elif state == "pending":
            self.ledger.request_confirmation(op, values["contact"], "email", values["scope"])
            # a relayed confirmation carries the signed link the contact followed (054)
            assert self.ledger.signer is not None
            claims = LinkClaims(
                LinkPurpose.CONFIRM,
                values["contact"],
                values["scope"],
                (Channel.EMAIL,),
                self.ledger.clock.now() + timedelta(days=7),
            )
            values["token"] = self.ledger.signer.sign(claims)
        elif state == "number":
            self.ledger.configure_number(op, values["number"], values["scope"], channels=["sms"])
        elif state == "mapping":
            self.ledger.save_import_mapping(op, values["name"], IMPORT_MAPPING)
        elif state == "import_job":
            job = self.ledger.start_import(
                op, values["scope"], file_format="csv", mapping=IMPORT_MAPPING
            )
            values["job_id"] = job.id
        elif state == "evidence_file":
            copy = Attachment("form.pdf", "application/pdf", b"%PDF-1.4 signed form")
            group = values["group"]  # "out": another group's contact
            self.ledger.opt_in(
                system(group), values["contact"], "email", group, evidence=WRITTEN,
                attachment=copy,
            )  # fmt: skip
            values["sha256"] = hashlib.sha256(copy.data).hexdigest()
        elif state == "webhook":
            sub, _ = self.ledger.create_webhook(
                op, values["scope"], HOOK_URL, event_types=["consent.opted_out"]
            )
            values["webhook_id"] = sub.id
        elif state == "rule":
            rule = self.ledger.create_rule(
                op, values["scope"], trigger="list_joined", name="nobody", channel="sms",
                status="opted_out",
            )  # fmt: skip
            values["rule_id"] = rule.id
        elif state == "missed":  # missed while it had no consent; eligible now (a re-send)
            found = self.ledger.report_journey_message(
                op, values["contact"], "email", values["scope"], journey="birthday",
                message_id="m-1",
            )  # fmt: skip
            self.ledger.opt_in(op, values["contact"], "email", values["scope"], evidence=WRITTEN)
            values["journey_message_id"] = found.id
        elif state == "journey":
            journey = self.ledger.create_journey(
                op, values["scope"], name="Birthday", channel="email", attribute="bd"
            )
            values["journey_id"] = journey.id
        elif state == "key":
            key, _ = self.ledger.create_api_key(op, "viewer", values["scope"], name="to revoke")
            values["key"] = key.id


def _details(email: str, mobile: str) -> ContactDetails:
    return ContactDetails(email=email, mobile=mobile)


def fill(value: Any, values: dict[str, str]) -> Any:
    """Put the targets into a path, body or query template."""
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    return value


def outcome(response: Any) -> int | str:
    if response.status_code < 400:
        return int(response.status_code)
    code = error_code(response)
    assert STATUS.get(code, response.status_code) == response.status_code, response.text
    return code


def call(caller: Caller, case: Case, values: dict[str, str]) -> Any:
    if case.form is not None:
        form = fill(case.form, values)
        return caller.post(fill(case.path, values), data=form, files={"file": IMPORT_FILE})
    return caller.request(
        case.method,
        fill(case.path, values),
        json=fill(case.body, values),
        params=fill(case.params, values),
    )


def test_every_endpoint_for_every_role_in_and_out_of_scope(api: Api, ledger: Ledger) -> None:
    callers = {role: api.as_(role, KEY_SCOPE) for role in ROLES}
    world = World(ledger)
    wrong: list[str] = []
    for case in CASES:
        for role in ROLES:
            for where in ("in", "out") if case.out else ("in",):
                values = world.targets(case, where)
                got = outcome(call(callers[role], case, values))
                want = expected(case, role, where)
                if got != want:
                    wrong.append(f"{case.name} as {role} ({where}): got {got}, want {want}")
    app: Any = api.client.app
    app.state.imports.join(30)  # the import jobs started in scope
    assert not wrong, "\n".join(wrong)


def test_the_table_covers_every_route_of_the_app(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    routes = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    covered = {(c.method, c.path.replace("{scope}", "{scope_id}")) for c in CASES}
    covered = {
        (m, p.replace("{contact}", "{contact_id}").replace("{key}", "{key_id}")) for m, p in covered
    }
    assert routes <= covered, sorted(routes - covered)
