"""The sweep of expired confirmation requests (double opt-in, opting back in)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consentry.core.eligibility import Reason
from consentry.core.errors import Forbidden, OutOfScope
from tests.factories import admin, make_contact, sender, staff, system

ADA = "acme/newsletters/ada"


def test_only_a_group_admin_or_the_system_sweeps_expired_confirmations(ledger):
    assert ledger.expire_confirmations(admin()) == 0
    with pytest.raises(OutOfScope) as out_of_scope:
        ledger.expire_confirmations(admin("acme/newsletters"))
    assert out_of_scope.value.code == "out_of_scope"
    with pytest.raises(Forbidden) as forbidden:
        ledger.expire_confirmations(staff())
    assert forbidden.value.code == "forbidden"


def test_the_sweep_leaves_open_requests_alone(ledger, inbox, clock):
    ada = make_contact(ledger)
    ledger.request_double_opt_in(staff(), ada.id, "email", ADA)
    clock.set(clock.now() + timedelta(days=6))
    assert ledger.expire_confirmations(system()) == 0
    assert ledger.check(sender("acme"), ada.id, "email", ADA).reason is Reason.PENDING
    inbox.wait_for(1)
