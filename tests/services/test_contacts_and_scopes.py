"""Scopes and contacts: adding, finding, listing, updating, and the erased-address wall."""

from __future__ import annotations

import pytest

from consentry.core.audience import AudienceQuery, Segment
from consentry.core.channels import Channel
from consentry.core.contacts import ContactDetails, ContactFilter
from consentry.core.eligibility import Reason
from consentry.core.errors import ConsentryError
from consentry.core.scopes import Scope
from tests.factories import (
    WRITTEN,
    admin,
    count_rows,
    make_contact,
    sender,
    staff,
    system,
    viewer,
)


def code(call) -> str:
    with pytest.raises(ConsentryError) as info:
        call()
    return info.value.code


def test_only_the_operator_adds_groups_and_a_client_admin_adds_users_below_itself(ledger):
    assert code(lambda: ledger.add_scope(admin(), "initech")) == "forbidden"
    assert code(lambda: ledger.add_scope(system("acme"), "initech")) == "out_of_scope"
    assert ledger.add_scope(system("initech"), "initech", name=" Initech ") == Scope(
        "initech", "Initech"
    )
    news_admin = admin("acme/newsletters")
    assert ledger.add_scope(news_admin, "acme/newsletters/grace").name == "grace"
    assert code(lambda: ledger.add_scope(news_admin, "acme/events/eve")) == "out_of_scope"
    assert code(lambda: ledger.add_scope(staff(), "acme/tax")) == "forbidden"
    assert code(lambda: ledger.add_scope(admin(), "acme/tax/x")) == "scope_not_found"
    assert code(lambda: ledger.add_scope(admin(), "acme/events")) == "scope_exists"


def test_scopes_are_visible_on_the_principals_path_and_below(ledger):
    news = viewer("acme/newsletters")
    assert [s.id for s in ledger.list_scopes(news)] == [
        "acme/newsletters",
        "acme/newsletters/ada",
        "acme/newsletters/alan",
    ]
    assert ledger.get_scope(news, "acme").id == "acme"
    assert ledger.get_scope(news, "acme/newsletters/ada").kind.value == "user"
    assert code(lambda: ledger.get_scope(news, "acme/events")) == "out_of_scope"
    assert code(lambda: ledger.get_scope(news, "globex")) == "scope_not_found"
    assert code(lambda: ledger.list_scopes(sender())) == "forbidden"


def test_status_at_a_sibling_scope_is_out_of_scope(ledger):
    ada = make_contact(ledger)
    now = ledger.clock.now()
    assert (
        code(
            lambda: ledger.status_at(
                viewer("acme/newsletters"), ada.id, "sms", "acme/events", at=now
            )
        )
        == "out_of_scope"
    )


def test_contacts_list_filtered_by_address_list_and_opt_out(ledger):
    ada = make_contact(ledger, lists=["vip", " ", "news"], external_id=" crm-1 ")
    bob = make_contact(ledger, "bob@example.com", "+447700900456", lists=["news"])
    ledger.opt_out(admin(), bob.id, "sms", "acme")
    assert ada.lists == frozenset({"vip", "news"}) and ada.external_id == "crm-1"
    every = ledger.list_contacts(viewer(), ContactFilter())
    assert {c.id for c in every} == {ada.id, bob.id}
    assert ledger.list_contacts(viewer(), ContactFilter(email="ADA@example.com")) == [ada]
    assert ledger.list_contacts(viewer(), ContactFilter(mobile="+44 7700 900456")) == [bob]
    assert ledger.list_contacts(viewer(), ContactFilter(external_id="crm-1")) == [ada]
    assert ledger.list_contacts(viewer(), ContactFilter(list_name="vip")) == [ada]
    assert ledger.list_contacts(viewer(), ContactFilter(opted_out_channel=Channel.SMS)) == [bob]
    first = sorted(c.id for c in every)[0]
    page = ledger.list_contacts(viewer(), ContactFilter(after=first, limit=1))
    assert [c.id for c in page] == [sorted(c.id for c in every)[1]]
    assert ledger.list_contacts(viewer("globex"), ContactFilter()) == []
    assert code(lambda: ledger.list_contacts(sender(), ContactFilter())) == "forbidden"


def test_a_typed_address_lists_the_contact_its_key_names_and_nothing_else(ledger):
    ada = make_contact(ledger)
    bob = make_contact(ledger, "bob@example.com", "+447700900456")
    page = ledger.contact_page(viewer(), ContactFilter(mobile="+44 (0)7700 900456"))
    assert page.contacts == [bob] and page.next_after is None
    both = ContactFilter(email="bob@example.com", mobile="+44 7700 900456")
    assert ledger.list_contacts(viewer(), both) == [bob]
    crossed = ContactFilter(email="ada@example.com", mobile="+447700900456")
    assert ledger.list_contacts(viewer(), crossed) == []
    assert ledger.contact_page(viewer(), crossed).contacts == []
    assert ledger.list_contacts(viewer(), ContactFilter(email="eve@example.com")) == []
    named = ContactFilter(contact_id=ada.id, email="bob@example.com")
    assert ledger.list_contacts(viewer(), named) == []
    assert ledger.list_contacts(viewer(), ContactFilter(contact_id=ada.id)) == [ada]
    ledger.erase_contact(admin(), bob.id)
    assert ledger.list_contacts(viewer(), ContactFilter(email="bob@example.com")) == []


def test_updating_details_keeps_what_was_not_given_and_lifts_only_changed_addresses(ledger):
    ada = make_contact(ledger, attributes={"birthday": "12-10"})
    ledger.record_bounce(sender(), ada.id, "email")
    ledger.record_bounce(sender(), ada.id, "sms")
    changed = ledger.update_contact(
        staff(),
        ada.id,
        ContactDetails(
            mobile="+447700900999",
            name=" Ada Lovelace ",
            locale="en-GB",
            postal_address="1 Example Street",
            push_token="tok",
            attributes={"signup": "2026-01-01"},
            lists=["news"],
        ),
    )
    assert (changed.email, changed.mobile, changed.name) == (
        "ada@example.com",
        "+447700900999",
        "Ada Lovelace",
    )
    assert dict(changed.attributes) == {"birthday": "12-10", "signup": "2026-01-01"}
    assert ledger.get_contact(viewer(), ada.id) == changed
    assert ledger.check(sender(), ada.id, "email", "acme").reason is Reason.BOUNCED
    assert ledger.check(sender(), ada.id, "sms", "acme").reason is Reason.NO_CONSENT
    cleared = ledger.update_contact(staff(), ada.id, ContactDetails(email=""))
    assert cleared.email is None
    assert ledger.check(sender(), ada.id, "email", "acme").reason is Reason.NO_ADDRESS


def test_an_update_to_another_contacts_address_is_refused(ledger):
    make_contact(ledger)
    bob = make_contact(ledger, "bob@example.com", "+447700900456")
    before = count_rows(ledger)
    assert (
        code(
            lambda: ledger.update_contact(staff(), bob.id, ContactDetails(email="ada@example.com"))
        )
        == "contact_exists"
    )
    assert count_rows(ledger) == before
    assert ledger.get_contact(viewer(), bob.id).email == "bob@example.com"


def test_an_erased_contacts_address_stays_suppressed_on_reimport(ledger):
    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "email", "acme", evidence=WRITTEN)
    ledger.erase_contact(admin(), ada.id)
    before = count_rows(ledger)
    assert code(lambda: make_contact(ledger, "ADA@example.com", None)) == "contact_erased"
    assert count_rows(ledger) == before
    assert ledger.check(sender(), ada.id, "email", "acme").reason is Reason.NO_ADDRESS
    assert ledger.verify(system()).ok
    ledger.update_contact(staff(), ada.id, ContactDetails(name="erased"))
    assert code(lambda: make_contact(ledger, "ada@example.com", None)) == "contact_erased"


def test_an_audience_by_addresses_counts_the_unknown_and_narrows_by_list(ledger):
    ada = make_contact(ledger, lists=["vip"], attributes={"tier": "gold"})
    bob = make_contact(ledger, "bob@example.com", "+447700900456")
    for person in (ada, bob):
        ledger.opt_in(staff(), person.id, "email", "acme", evidence=WRITTEN)
    segment = Segment(emails=["ADA@example.com", "nobody@example.com"], mobiles=["+447700900456"])
    audience = ledger.resolve_audience(sender(), segment, "email", "acme")
    assert {r.contact_id for r in audience} == {ada.id, bob.id}
    assert audience.unknown == 1 and audience.eligible_count == 2
    vip = ledger.resolve_audience(sender(), Segment(list_name="vip"), "email", "acme")
    assert [r.address for r in vip] == ["ada@example.com"]
    gold = ledger.resolve_audience(sender(), Segment(attribute=("tier", "gold")), "email", "acme")
    assert [r.contact_id for r in gold] == [ada.id]
    assert code(
        lambda: ledger.resolve_audience(sender("acme/events"), Segment(), "email", "acme")
    ) == ("out_of_scope")


def test_a_large_audience_streams_in_pages_with_exact_counts(ledger):
    people = [make_contact(ledger, f"p{n}@example.com", None) for n in range(7)]
    for person in people[:4]:
        ledger.opt_in(staff(), person.id, "email", "acme", evidence=WRITTEN)
    query = AudienceQuery("acme", Channel.EMAIL, ("acme",), ledger.clock.now(), False, False)
    query_rows = list(ledger.store.audience(query, batch_size=3))
    assert [r.contact_id for r in query_rows] == sorted(p.id for p in people)
    audience = ledger.resolve_audience(sender(), Segment(), "email", "acme")
    assert len(list(audience)) == 4 and audience.excluded == {Reason.NO_CONSENT: 3}


def test_a_removed_address_no_longer_finds_the_contact_and_is_free_for_another(ledger):
    ada = make_contact(ledger)
    ledger.update_contact(staff(), ada.id, ContactDetails(email=""))
    assert code(lambda: ledger.find_contact(viewer(), email="ada@example.com")) == (
        "contact_not_found"
    )
    assert ledger.find_contact(viewer(), mobile="+447700900123").id == ada.id
    other = make_contact(ledger, "ada@example.com", None)
    assert ledger.find_contact(viewer(), email="ada@example.com").id == other.id
