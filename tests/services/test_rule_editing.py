"""Editing a lifecycle rule (issue 10; decision 077) on both databases: each edit is a new
version of the same rule, which fires from then on; the fields not given stay, a new trigger
drops the old one's list or attribute, an opt-out rule carries no permission, and an edit that
changes nothing makes no version."""

from __future__ import annotations

import threading

import pytest

from consentry.core.contacts import ContactDetails
from consentry.core.errors import EvidenceRequired, Forbidden, Invalid, OutOfScope, RuleNotFound
from consentry.core.events import Source
from consentry.core.rules import RuleStatus, Trigger, TriggerKind
from consentry.ledger import Ledger
from tests.factories import WRITTEN, admin, make_contact, sql, staff, system

NEWS = "acme/newsletters"
PERMISSION = {**WRITTEN, "reference": "VIP form: joining means yes to email"}


def vip_opt_out(ledger: Ledger) -> str:
    rule = ledger.create_rule(
        admin(), NEWS, trigger="list_joined", name="vip", channel="email", status="opted_out"
    )
    return rule.id


def versions(ledger: Ledger, rule_id: str) -> list[tuple[int, bool]]:
    rows = sql(
        ledger,
        "SELECT version, is_current FROM lifecycle_rules WHERE id = :i ORDER BY version",
        i=rule_id,
    )
    return [(int(v), bool(c)) for v, c in rows]


def test_an_edit_is_a_new_version_that_fires_and_its_events_name_it(ledger):
    rule_id = vip_opt_out(ledger)
    edited = ledger.update_rule(admin(), rule_id, channel="sms")
    assert (edited.id, edited.version, edited.channel.value) == (rule_id, 2, "sms")
    assert edited.trigger == Trigger(TriggerKind.LIST_JOINED, "vip")  # what was not given stays
    assert versions(ledger, rule_id) == [(1, False), (2, True)]
    ada = make_contact(ledger, lists=["vip"])
    [event] = [e for e in ledger.history(system(), ada.id) if e.source is Source.LIFECYCLE_RULE]
    assert event.channel.value == "sms" and event.evidence is not None
    assert '"rule_version":2' in event.evidence and f'"rule_id":"{rule_id}"' in event.evidence
    assert ledger.get_rule(admin(), rule_id).rule.version == 2


def test_a_new_trigger_drops_the_old_ones_name_and_value(ledger):
    rule = ledger.create_rule(
        admin(), NEWS, trigger="attribute_changed", name="tier", value="gold", channel="email",
        status="opted_out",
    )  # fmt: skip
    created = ledger.update_rule(admin(), rule.id, trigger="created")
    assert created.trigger == Trigger(TriggerKind.CREATED)
    joined = ledger.update_rule(admin(), rule.id, trigger="list_joined", name="vip")
    assert joined.trigger == Trigger(TriggerKind.LIST_JOINED, "vip")
    with pytest.raises(Invalid):
        ledger.update_rule(admin(), rule.id, trigger="attribute_changed")  # names nothing
    valued = ledger.update_rule(
        admin(), rule.id, trigger="attribute_changed", name="tier", value="gold"
    )
    assert valued.trigger == Trigger(TriggerKind.ATTRIBUTE_CHANGED, "tier", "gold")
    cleared = ledger.update_rule(admin(), rule.id, clear=["value"])
    assert cleared.trigger == Trigger(TriggerKind.ATTRIBUTE_CHANGED, "tier")
    assert cleared.version == 5


def test_a_status_change_keeps_decision_056(ledger):
    rule_id = vip_opt_out(ledger)
    with pytest.raises(EvidenceRequired):
        ledger.update_rule(admin(), rule_id, status="opted_in")  # no record of permission
    opted_in = ledger.update_rule(admin(), rule_id, status="opted_in", permission=PERMISSION)
    assert opted_in.status is RuleStatus.OPTED_IN and opted_in.permission == PERMISSION
    renamed = ledger.update_rule(admin(), rule_id, name="gold")  # the permission stays
    assert renamed.permission == PERMISSION and renamed.trigger.name == "gold"
    with pytest.raises(EvidenceRequired):
        ledger.update_rule(admin(), rule_id, clear=["permission"])
    back = ledger.update_rule(admin(), rule_id, status="opted_out")  # drops the permission
    assert back.permission is None and back.version == 4
    with pytest.raises(Invalid):
        ledger.update_rule(admin(), rule_id, permission=PERMISSION)  # an opt-out carries none


def test_an_edit_that_changes_nothing_makes_no_version(ledger):
    rule_id = vip_opt_out(ledger)
    same = ledger.update_rule(admin(), rule_id, name="vip", channel="email")
    assert same.version == 1 and versions(ledger, rule_id) == [(1, True)]
    assert ledger.update_rule(admin(), rule_id).version == 1


def test_edits_are_refused_as_the_rest_of_rules_are(ledger):
    rule_id = vip_opt_out(ledger)
    with pytest.raises(Invalid) as unknown:
        ledger.update_rule(admin(), rule_id, clear=["scope"])
    assert unknown.value.details == {"field": "clear"}
    with pytest.raises(Invalid):
        ledger.update_rule(admin(), rule_id, status="maybe")
    with pytest.raises(Forbidden):
        ledger.update_rule(staff(), rule_id, channel="sms")
    with pytest.raises(OutOfScope):
        ledger.update_rule(admin("acme/events"), rule_id, channel="sms")
    with pytest.raises(RuleNotFound):
        ledger.update_rule(admin("globex"), rule_id, channel="sms")
    ledger.delete_rule(admin(), rule_id)
    with pytest.raises(RuleNotFound):
        ledger.update_rule(admin(), rule_id, channel="sms")  # a deleted rule stays deleted
    ada = make_contact(ledger)
    ledger.update_contact(staff(), ada.id, ContactDetails(lists=["vip"]))
    assert not [e for e in ledger.history(system(), ada.id) if e.source is Source.LIFECYCLE_RULE]


def test_two_concurrent_edits_of_one_rule_both_make_a_version(ledger):
    rule_id = vip_opt_out(ledger)
    failures: list[BaseException] = []

    def edit(channel: str) -> None:
        try:
            for n in range(4):
                ledger.update_rule(admin(), rule_id, name=f"{channel}-{n}", channel=channel)
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=edit, args=(c,)) for c in ("sms", "email")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert versions(ledger, rule_id) == [(v, v == 9) for v in range(1, 10)]
