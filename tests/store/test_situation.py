"""The eligibility lookup gives the same answer in a transaction as on the bare read path."""

from __future__ import annotations

from consentry.core.channels import Channel
from consentry.core.scopes import path_to_root
from consentry.core.status import Status, Suppression
from tests.factories import WRITTEN, make_contact, sender, staff


def test_a_situation_read_in_a_transaction_equals_the_one_read_on_the_bare_path(ledger):
    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "sms", "acme/newsletters", evidence=WRITTEN)
    ledger.record_bounce(sender(), ada.id, "sms")
    path = path_to_root("acme/newsletters/ada")
    with ledger.store.reader() as reader:
        bare = reader.situation("acme", ada.id, Channel.SMS, path)
    with ledger.store.transaction(write=False) as tx:
        in_tx = tx.situation("acme", ada.id, Channel.SMS, path)
        nobody = tx.situation("acme", "ct_nobody", Channel.SMS, path)
    assert in_tx == bare and nobody is None
    assert in_tx is not None and in_tx.has_address
    assert in_tx.suppression is Suppression.BOUNCED
    assert in_tx.consents["acme/newsletters"].status is Status.OPTED_IN
