from consentry.core.eligibility import Reason
from tests.factories import WRITTEN, admin, make_contact, staff


def test_staff_opt_in_with_evidence_makes_contact_eligible(ledger):
    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN)
    decision = ledger.check(admin(), ada.id, "sms", "acme/newsletters/ada")
    assert decision.allowed and decision.reason is Reason.OPTED_IN
