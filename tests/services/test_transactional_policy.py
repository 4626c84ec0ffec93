"""A group's transactional policy per channel (seeds/003; decision 075), on both databases."""

from __future__ import annotations

import pytest

from consentry.core.audience import Segment
from consentry.core.eligibility import Reason, TransactionalPolicy
from consentry.core.errors import ConsentryError
from consentry.ledger import CheckRequest
from tests.factories import WRITTEN, admin, make_contact, sender, staff, viewer

P = TransactionalPolicy


def code(call) -> str:
    with pytest.raises(ConsentryError) as info:
        call()
    return info.value.code


def answer(ledger, contact_id: str, channel: str, category: str = "transactional"):
    decision = ledger.check(sender(), contact_id, channel, "acme/events", category=category)
    return decision.allowed, decision.reason, decision.policy


def test_the_default_the_groups_own_choice_and_back_again(ledger):
    ada = make_contact(ledger)
    for channel in ("email", "sms"):
        ledger.opt_in(staff(), ada.id, channel, "acme", evidence=WRITTEN)
        ledger.opt_out(admin(), ada.id, channel, "acme")
    assert answer(ledger, ada.id, "email") == (True, Reason.TRANSACTIONAL, P.DEPLOYMENT_BYPASS)
    assert answer(ledger, ada.id, "sms") == (False, Reason.SOFT_OPT_OUT, P.DEPLOYMENT_NO_BYPASS)
    assert answer(ledger, ada.id, "sms", "marketing") == (False, Reason.SOFT_OPT_OUT, None)

    email = ledger.set_transactional_policy(admin(), "email", bypass=False)
    assert (email.bypass, email.policy, email.updated_by) == (
        False,
        P.GROUP_NO_BYPASS,
        "admin@acme",
    )
    ledger.set_transactional_policy(admin(), "sms", bypass=True)
    assert answer(ledger, ada.id, "email") == (False, Reason.SOFT_OPT_OUT, P.GROUP_NO_BYPASS)
    assert answer(ledger, ada.id, "sms") == (True, Reason.TRANSACTIONAL, P.GROUP_BYPASS)
    globex = make_contact(ledger, group="globex")
    ledger.opt_out(admin("globex"), globex.id, "email", "globex")
    other = ledger.check(sender("globex"), globex.id, "email", "globex", category="transactional")
    assert (other.allowed, other.policy) == (True, P.DEPLOYMENT_BYPASS)  # its own group's

    rules = {r.channel.value: r for r in ledger.transactional_policy(viewer())}
    assert rules["email"].policy is P.GROUP_NO_BYPASS and rules["email"].updated_at is not None
    assert rules["post"].policy is P.DEPLOYMENT_BYPASS and rules["post"].updated_by is None
    back = ledger.set_transactional_policy(admin(), "email", bypass=None)
    assert (back.bypass, back.policy, back.updated_by) == (True, P.DEPLOYMENT_BYPASS, None)
    assert answer(ledger, ada.id, "email") == (True, Reason.TRANSACTIONAL, P.DEPLOYMENT_BYPASS)


def test_a_bounce_or_a_complaint_is_never_bypassed(ledger):
    ada = make_contact(ledger)
    ledger.set_transactional_policy(admin(), "sms", bypass=True)
    ledger.record_bounce(sender(), ada.id, "sms")
    ledger.record_complaint(sender(), ada.id, "email")
    assert answer(ledger, ada.id, "sms") == (False, Reason.BOUNCED, P.GROUP_BYPASS)
    assert answer(ledger, ada.id, "email") == (False, Reason.COMPLAINED, P.DEPLOYMENT_BYPASS)


def test_batches_and_audiences_judge_by_the_groups_policy(ledger):
    ada = make_contact(ledger)
    bob = make_contact(ledger, "bob@example.com", "+447700900456")
    ledger.opt_out(admin(), ada.id, "sms", "acme")
    ledger.set_transactional_policy(admin(), "sms", bypass=True)
    asked = [CheckRequest(c.id, "sms", "acme/events", "transactional") for c in (ada, bob)]
    asked.append(CheckRequest(ada.id, "sms", "acme/events"))
    answers = ledger.check_many(sender(), asked)
    assert [(d.reason, d.policy) for d in answers] == [
        (Reason.TRANSACTIONAL, P.GROUP_BYPASS), (Reason.TRANSACTIONAL, P.GROUP_BYPASS),
        (Reason.SOFT_OPT_OUT, None),
    ]  # fmt: skip
    audience = ledger.resolve_audience(sender(), Segment(), "sms", "acme", category="transactional")
    assert {row.contact_id for row in audience} == {ada.id, bob.id}
    ledger.set_transactional_policy(admin(), "sms", bypass=False)
    audience = ledger.resolve_audience(sender(), Segment(), "sms", "acme", category="transactional")
    assert [row.contact_id for row in audience] == [] and audience.excluded == {
        Reason.SOFT_OPT_OUT: 1, Reason.NO_CONSENT: 1,
    }  # fmt: skip


def test_only_an_admin_of_the_whole_group_sets_it(ledger):
    assert code(lambda: ledger.set_transactional_policy(staff(), "sms", bypass=True)) == "forbidden"
    client = admin("acme/newsletters")
    assert code(lambda: ledger.set_transactional_policy(client, "sms", bypass=True)) == (
        "out_of_scope"
    )
    assert code(lambda: ledger.set_transactional_policy(admin(), "fax", bypass=True)) == (
        "invalid_channel"
    )
    assert code(lambda: ledger.transactional_policy(sender())) == "forbidden"
    assert all(r.updated_by is None for r in ledger.transactional_policy(viewer()))
