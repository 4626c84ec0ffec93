"""The send report statements on both databases (decision 079): a send is recorded once per
(group, message id); a second insert writes nothing and hands back the first."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from consentry.core.channels import Channel
from consentry.core.eligibility import Category, Reason
from consentry.core.sends import Send
from tests.factories import T0, make_contact


def test_the_first_send_under_a_message_id_stands(ledger):
    ada = make_contact(ledger)
    send = Send(
        id="sd_1", group_id="acme", message_id="SM1", contact_id=ada.id, channel=Channel.SMS,
        scope_id="acme", category=Category.MARKETING, sent_at=T0, reported_at=T0,
        reported_by="key-acme", reason=Reason.NO_CONSENT, event_id=None, violation_id="vi_1",
    )  # fmt: skip
    racing = replace(send, id="sd_2", sent_at=T0 + timedelta(seconds=1))
    with ledger.store.transaction() as tx:
        assert tx.sends().add_send(send) == send
        assert tx.sends().add_send(racing) == send
        assert tx.sends().known_contacts("acme", [ada.id, "ct_nobody"]) == {ada.id}
        assert tx.sends().known_contacts("globex", [ada.id]) == set()
        tx.commit()
    with ledger.store.transaction(write=False) as tx:
        assert tx.sends().sends_by_message("acme", ["SM1", "SM2"]) == {"SM1": send}
