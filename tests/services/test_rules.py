"""Lifecycle rules (issue 10; decision 077) on both databases: they fire with the contact change
that triggers them, in its transaction; they never lift the contact's own STOP."""

from __future__ import annotations

from typing import Any

import pytest

from consentry.core.contacts import ContactDetails
from consentry.core.errors import EvidenceRequired, Forbidden, Invalid, OutOfScope, RuleNotFound
from consentry.core.events import Action, ActorKind, ConsentEvent, Source
from consentry.core.rules import SkipReason
from consentry.ledger import Ledger, contacts, rules
from tests.factories import (
    WRITTEN,
    admin,
    as_contact,
    make_contact,
    sql,
    staff,
    system,
)

NEWS = "acme/newsletters"


@pytest.fixture
def acme(ledger: Ledger) -> Ledger:
    return ledger  # the fixture's ledger has the acme and globex scopes


def _status(ledger: Ledger, contact_id: str, channel: str, scope_id: str) -> str | None:
    rows = sql(
        ledger,
        "SELECT status FROM consents WHERE contact_id = :c AND channel = :ch AND scope_id = :s",
        c=contact_id,
        ch=channel,
        s=scope_id,
    )
    return rows[0][0] if rows else None


def _rule_events(ledger: Ledger, contact_id: str) -> list[ConsentEvent]:
    events = ledger.history(system(), contact_id)
    return [e for e in events if e.source is Source.LIFECYCLE_RULE]


def _vip_opt_in(ledger: Ledger, **more: Any) -> Any:
    return ledger.create_rule(
        admin(), NEWS, trigger="list_joined", name="vip", channel="email", status="opted_in",
        permission={**WRITTEN, "reference": "VIP form: joining means yes to email"}, **more,
    )  # fmt: skip


def test_a_rule_fires_on_list_join_in_the_same_transaction(acme):
    rule = _vip_opt_in(acme)
    ada = make_contact(acme)
    assert _rule_events(acme, ada.id) == []
    acme.update_contact(staff(), ada.id, ContactDetails(lists=["vip"]))
    [event] = _rule_events(acme, ada.id)
    assert event.action is Action.OPTED_IN
    assert (event.actor.kind, event.actor.id) == (ActorKind.RULE, rule.id)
    assert event.scope_id == NEWS and event.recorded_by == "staff@acme"
    assert _status(acme, ada.id, "email", NEWS) == "opted_in"
    acme.update_contact(staff(), ada.id, ContactDetails(name="Ada"))  # still in vip: no firing
    assert len(_rule_events(acme, ada.id)) == 1
    assert acme.verify(system()).ok


def test_the_event_names_the_rule_its_version_and_the_trigger(acme):
    rule = _vip_opt_in(acme)
    newer = acme.update_rule(
        admin(), rule.id, trigger="list_joined", name="vip", channel="email",
        status="opted_out",
    )  # fmt: skip
    assert (newer.id, newer.version) == (rule.id, 2)
    ada = make_contact(acme, lists=["vip"])
    [event] = _rule_events(acme, ada.id)
    assert event.action is Action.OPTED_OUT
    evidence = acme.history(system(), ada.id)[-1].evidence
    assert evidence is not None
    assert '"rule_version":2' in evidence and '"trigger":"list_joined:vip"' in evidence
    assert f'"rule_id":"{rule.id}"' in evidence
    assert [r.version for r in acme.list_rules(admin())] == [2]


def test_a_failing_change_rolls_the_rules_event_back_too(acme, monkeypatch):
    _vip_opt_in(acme)
    ada = make_contact(acme)
    real = rules.apply_rules

    def then_fail(*args: Any) -> None:
        real(*args)
        raise Invalid("the change fails after the rule fired")

    monkeypatch.setattr(contacts, "apply_rules", then_fail)
    with pytest.raises(Invalid):
        acme.update_contact(staff(), ada.id, ContactDetails(lists=["vip"]))
    assert _rule_events(acme, ada.id) == []
    assert acme.get_contact(staff(), ada.id).lists == frozenset()
    assert _status(acme, ada.id, "email", NEWS) is None


def test_a_rule_fires_on_creation(acme):
    acme.create_rule(admin(), "acme", trigger="created", channel="sms", status="opted_out")
    ada = make_contact(acme)
    [event] = _rule_events(acme, ada.id)
    assert (event.action, event.channel.value, event.scope_id) == (Action.OPTED_OUT, "sms", "acme")
    assert _status(acme, ada.id, "sms", "acme") == "soft_opt_out"


def test_a_rule_fires_on_an_attribute_change_to_its_value(acme):
    acme.create_rule(
        admin(), NEWS, trigger="attribute_changed", name="tier", value="gold", channel="email",
        status="opted_out",
    )  # fmt: skip
    ada = make_contact(acme, attributes={"tier": "silver"})
    assert _rule_events(acme, ada.id) == []
    acme.update_contact(staff(), ada.id, ContactDetails(attributes={"tier": "gold"}))
    assert len(_rule_events(acme, ada.id)) == 1
    acme.update_contact(staff(), ada.id, ContactDetails(attributes={"tier": "gold", "x": 1}))
    assert len(_rule_events(acme, ada.id)) == 1  # unchanged: no second firing


def test_an_opt_out_rule_does_nothing_when_already_opted_out(acme):
    acme.create_rule(admin(), NEWS, trigger="created", channel="email", status="opted_out")
    ada = make_contact(acme)
    acme.create_rule(
        admin(), NEWS, trigger="list_joined", name="vip", channel="email", status="opted_out"
    )
    acme.update_contact(staff(), ada.id, ContactDetails(lists=["vip"]))
    assert len(_rule_events(acme, ada.id)) == 1


def test_a_revalidate_rule_re_subscribes_a_soft_opt_out(acme):
    _vip_opt_in(acme)
    ada = make_contact(acme)
    acme.opt_out(admin(), ada.id, "email", NEWS)
    acme.update_contact(staff(), ada.id, ContactDetails(lists=["vip"]))
    [event] = _rule_events(acme, ada.id)
    assert event.action is Action.RESUBSCRIBED
    assert _status(acme, ada.id, "email", NEWS) == "opted_in"


def test_a_rule_never_lifts_a_hard_opt_out_and_the_skip_is_recorded(acme):
    rule = _vip_opt_in(acme)
    ada = make_contact(acme)
    acme.opt_out(as_contact(ada), ada.id, "email", NEWS, source=Source.UNSUBSCRIBE_LINK)
    changed = acme.update_contact(staff(), ada.id, ContactDetails(lists=["vip"]))
    assert changed.lists == frozenset({"vip"})  # the change itself succeeds
    assert _rule_events(acme, ada.id) == []
    assert _status(acme, ada.id, "email", NEWS) == "hard_opt_out"
    [skip] = acme.get_rule(admin(), rule.id).skips
    assert (skip.reason, skip.contact_id, skip.rule_version) == (
        SkipReason.HARD_OPT_OUT_LOCKED, ada.id, 1,
    )  # fmt: skip
    assert skip.trigger == "list_joined:vip"
    assert acme.verify(system()).ok


def test_a_hard_opt_out_above_the_rules_scope_is_not_lifted_either(acme):
    rule = _vip_opt_in(acme)
    ada = make_contact(acme)
    acme.opt_out(as_contact(ada), ada.id, "email", "acme", source=Source.UNSUBSCRIBE_LINK)
    acme.update_contact(staff(), ada.id, ContactDetails(lists=["vip"]))
    assert _rule_events(acme, ada.id) == []
    assert [s.reason for s in acme.get_rule(admin(), rule.id).skips] == [
        SkipReason.HARD_OPT_OUT_LOCKED
    ]


def test_an_opt_in_rule_needs_the_admins_record_of_permission(acme):
    with pytest.raises(EvidenceRequired):
        acme.create_rule(
            admin(), NEWS, trigger="list_joined", name="vip", channel="email", status="opted_in"
        )
    with pytest.raises(Invalid):
        acme.create_rule(admin(), NEWS, trigger="list_joined", channel="email", status="opted_out")
    with pytest.raises(Invalid):
        acme.create_rule(admin(), NEWS, trigger="joined", name="vip", channel="email",
                         status="opted_out")  # fmt: skip


def test_staff_may_not_manage_rules_and_a_client_admin_stays_in_its_scope(acme):
    with pytest.raises(Forbidden):
        acme.create_rule(staff(), NEWS, trigger="created", channel="email", status="opted_out")
    with pytest.raises(OutOfScope):
        acme.create_rule(
            admin(NEWS), "acme", trigger="created", channel="email", status="opted_out"
        )
    rule = acme.create_rule(admin(), "acme", trigger="created", channel="sms", status="opted_out")
    with pytest.raises(OutOfScope):
        acme.get_rule(admin(NEWS), rule.id)
    assert acme.list_rules(admin(NEWS)) == []
    with pytest.raises(RuleNotFound):
        acme.get_rule(admin("globex"), rule.id)


def test_a_deleted_rule_fires_no_more(acme):
    rule = acme.create_rule(admin(), "acme", trigger="created", channel="sms", status="opted_out")
    assert acme.delete_rule(admin(), rule.id).id == rule.id
    ada = make_contact(acme)
    assert _rule_events(acme, ada.id) == []
    with pytest.raises(RuleNotFound):
        acme.get_rule(admin(), rule.id)


def test_a_soft_opt_out_above_is_skipped_and_an_opted_in_contact_left_alone(acme):
    rule = _vip_opt_in(acme)
    ada = make_contact(acme)
    acme.opt_out(admin(), ada.id, "email", "acme")
    acme.update_contact(staff(), ada.id, ContactDetails(lists=["vip"]))
    assert [s.reason for s in acme.get_rule(admin(), rule.id).skips] == [SkipReason.OPTED_OUT_ABOVE]
    alan = make_contact(acme, email="alan@example.com", mobile=None)
    acme.opt_in(admin(), alan.id, "email", NEWS, evidence=WRITTEN)
    acme.update_contact(staff(), alan.id, ContactDetails(lists=["vip"]))
    assert _rule_events(acme, alan.id) == []


def test_a_new_contact_fires_list_and_attribute_rules_it_already_meets(acme):
    acme.create_rule(
        admin(), NEWS, trigger="attribute_changed", name="tier", channel="sms", status="opted_out"
    )
    ada = make_contact(acme, attributes={"tier": 3})
    assert len(_rule_events(acme, ada.id)) == 1


@pytest.mark.parametrize(
    "more",
    [
        {"trigger": "created", "name": "vip", "status": "opted_out"},
        {"trigger": "list_joined", "name": "vip", "value": "x", "status": "opted_out"},
        {"trigger": "created", "status": "maybe"},
        {"trigger": "created", "status": "opted_out", "permission": WRITTEN},
    ],
)
def test_a_rule_that_does_not_make_sense_is_invalid(acme, more):
    with pytest.raises(Invalid):
        acme.create_rule(admin(), NEWS, channel="email", **more)
