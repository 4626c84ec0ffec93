"""The contacts' status filter (decision 067): the contacts whose Opt-In Status on a channel, as a
marketing send from a scope would get it, is one of the reasons asked for; exactly what an
eligibility check answers, page by page, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from consentry.adapters.clock import FixedClock
from consentry.adapters.store import contacts_sql
from consentry.core.channels import Channel
from consentry.core.contacts import STATUS_REASONS, ContactDetails, ContactFilter, StatusFilter
from consentry.core.eligibility import Reason
from consentry.core.errors import Forbidden, Invalid, OutOfScope, ScopeNotFound
from consentry.core.events import Source
from consentry.ledger import Ledger
from tests.factories import (
    WRITTEN,
    admin,
    as_contact,
    make_contact,
    sender,
    staff,
    system,
    viewer,
)

SCOPES = ("acme", "acme/newsletters", "acme/newsletters/ada", "acme/events")


@dataclass
class People:
    """One contact in each situation on SMS, by name."""

    ids: dict[str, str]

    def named(self, ids: list[str]) -> set[str]:
        names = {v: k for k, v in self.ids.items()}
        return {names[i] for i in ids}


def people(ledger: Ledger, clock: FixedClock) -> People:
    """Contacts whose SMS status differs by scope (acme → newsletters → ada; events)."""
    n = iter(range(100, 200))

    def contact(**more: str) -> str:
        k = next(n)
        found = make_contact(ledger, email=f"p{k}@example.com", mobile=f"+447700900{k}", **more)
        return found.id

    ids = {name: contact() for name in (
        "subscribed", "client_hard", "group_soft", "user_opt_in", "expired", "pending",
        "bounced", "complained", "nothing",
    )}  # fmt: skip
    ids["no_mobile"] = make_contact(ledger, email="nomobile@example.com", mobile=None).id
    for name in ("subscribed", "client_hard", "bounced", "no_mobile"):
        ledger.opt_in(admin(), ids[name], "sms", "acme", evidence=WRITTEN)
    hard = ids["client_hard"]
    ledger.opt_out(
        as_contact(ledger.get_contact(admin(), hard)), hard, "sms", "acme/newsletters",
        source=Source.UNSUBSCRIBE_LINK,
    )  # fmt: skip
    ledger.opt_out(admin(), ids["group_soft"], "sms", "acme")
    ledger.opt_in(admin(), ids["user_opt_in"], "sms", "acme/newsletters/ada", evidence=WRITTEN)
    ledger.request_confirmation(staff(), ids["expired"], "sms", "acme/newsletters")
    clock.set(clock.now() + ledger.context.confirmation_ttl + timedelta(hours=1))
    ledger.request_confirmation(staff(), ids["pending"], "sms", "acme/newsletters")
    ledger.record_bounce(sender(), ids["bounced"], "sms")
    ledger.record_complaint(sender(), ids["complained"], "sms")
    return People(ids)


def filtered(ledger: Ledger, reasons: set[Reason], scope: str | None, **more: object) -> list[str]:
    where = ContactFilter(status=StatusFilter(Channel.SMS, frozenset(reasons), scope), **more)  # type: ignore[arg-type]
    return [c.id for c in ledger.list_contacts(admin(), where)]


def test_the_filter_is_exactly_the_eligibility_answer_at_every_scope(ledger, clock):
    who = people(ledger, clock)
    for scope in SCOPES:
        answers = {i: ledger.check(admin(), i, "sms", scope).reason for i in who.ids.values()}
        seen: list[str] = []
        for reason in sorted(STATUS_REASONS):
            found = filtered(ledger, {reason}, scope)
            assert found == sorted(i for i, r in answers.items() if r is reason), (scope, reason)
            seen += found
        assert sorted(seen) == sorted(who.ids.values()), scope  # each contact exactly once


def test_what_each_scope_sees(ledger, clock):
    who = people(ledger, clock)
    at_client = {r: who.named(filtered(ledger, {r}, "acme/newsletters")) for r in STATUS_REASONS}
    assert at_client == {
        Reason.OPTED_IN: {"subscribed"},
        Reason.HARD_OPT_OUT: {"client_hard"},
        Reason.SOFT_OPT_OUT: {"group_soft"},  # the group's opt-out filters down
        Reason.PENDING: {"pending"},
        Reason.NO_CONSENT: {"nothing", "expired", "user_opt_in"},  # ada's opt-in is below
        Reason.BOUNCED: {"bounced"},
        Reason.COMPLAINED: {"complained"},
        Reason.NO_ADDRESS: {"no_mobile"},
    }
    at_group = who.named(filtered(ledger, {Reason.OPTED_IN}, "acme"))
    assert at_group == {"subscribed", "client_hard"}  # the client's opt-out stays below
    at_user = who.named(filtered(ledger, {Reason.OPTED_IN}, "acme/newsletters/ada"))
    assert at_user == {"subscribed", "user_opt_in"}
    both = who.named(filtered(ledger, {Reason.BOUNCED, Reason.COMPLAINED}, None))
    assert both == {"bounced", "complained"}  # the look "bounced or complained"


def test_the_status_is_judged_at_the_callers_own_scope_unless_given(ledger, clock):
    who = people(ledger, clock)
    where = ContactFilter(status=StatusFilter(Channel.SMS, frozenset({Reason.HARD_OPT_OUT})))
    mine = ledger.list_contacts(viewer("acme/newsletters"), where)
    assert who.named([c.id for c in mine]) == {"client_hard"}
    assert ledger.list_contacts(viewer("acme"), where) == []
    with pytest.raises(OutOfScope) as above:  # a client's viewer may not ask from the group
        ledger.list_contacts(
            viewer("acme/newsletters"),
            ContactFilter(status=StatusFilter(Channel.SMS, frozenset({Reason.OPTED_IN}), "acme")),
        )
    assert above.value.code == "out_of_scope"
    with pytest.raises(ScopeNotFound) as other:
        filtered(ledger, {Reason.OPTED_IN}, "globex")
    assert other.value.code == "scope_not_found"
    with pytest.raises(Forbidden) as refused:  # a sending key lists no contacts
        ledger.list_contacts(sender(), where)
    assert refused.value.code == "forbidden"


def test_the_filter_narrows_the_other_filters(ledger, clock):
    who = people(ledger, clock)
    hard = ledger.get_contact(admin(), who.ids["client_hard"])
    by_email = filtered(ledger, {Reason.HARD_OPT_OUT}, "acme/newsletters", email=hard.email)
    assert by_email == [hard.id]
    assert filtered(ledger, {Reason.OPTED_IN}, "acme/newsletters", email=hard.email) == []
    unsubscribed = filtered(ledger, {Reason.OPTED_IN}, "acme", opted_out_channel=Channel.SMS)
    assert who.named(unsubscribed) == {"client_hard"}  # subscribed here, opted out below
    ledger.update_contact(system(), who.ids["nothing"], ContactDetails(lists=["vip"]))
    listed = filtered(ledger, {Reason.NO_CONSENT}, "acme", list_name="vip")
    assert who.named(listed) == {"nothing"}


@pytest.mark.parametrize(
    "reasons", [set(), {Reason.TRANSACTIONAL}, {"opted_out"}, {Reason.OPTED_IN, "nonsense"}]
)
def test_a_status_filter_asks_for_an_answer_of_a_marketing_send(ledger, reasons):
    with pytest.raises(Invalid) as refused:
        filtered(ledger, reasons, None)
    assert refused.value.code == "invalid"
    assert refused.value.details["field"] == "status"


def test_reasons_may_be_given_as_their_words(ledger, clock):
    who = people(ledger, clock)
    words = StatusFilter("sms", frozenset({"hard_opt_out"}), "acme/newsletters")  # type: ignore[arg-type]
    found = ledger.list_contacts(admin(), ContactFilter(status=words))
    assert who.named([c.id for c in found]) == {"client_hard"}


def pages(ledger: Ledger, where: ContactFilter) -> tuple[list[str], list[int]]:
    """Every page of the filter, joined, and the size of each page."""
    ids: list[str] = []
    sizes: list[int] = []
    after = None
    while True:
        page = ledger.contact_page(admin(), replace(where, after=after))
        assert len(page.contacts) <= where.limit
        ids += [c.id for c in page.contacts]
        sizes.append(len(page.contacts))
        if page.next_after is None:
            return ids, sizes
        assert page.next_after >= (ids[-1] if ids else "")
        after = page.next_after


@pytest.mark.parametrize(
    ("reasons", "cut_short"),
    [
        ({Reason.OPTED_IN}, True),
        ({Reason.NO_CONSENT}, True),
        ({Reason.BOUNCED, Reason.COMPLAINED}, False),
    ],
    ids=["indexed", "walked", "suppressed"],
)
def test_pages_join_to_the_whole_list_with_small_reads(
    ledger, clock, monkeypatch, reasons, cut_short
):
    """Small reads make every step of the page's walk happen: candidates merged from several
    indexes (one per scope of ada's path), pages cut short at the read limit, and continued."""
    k = iter(range(100, 200))
    for n in range(13):
        clock.set(clock.now() + timedelta(seconds=1))  # ids in the order made
        c = make_contact(ledger, email=f"m{n}@example.com", mobile=f"+447700900{next(k)}")
        scope = SCOPES[n % 3]  # acme, newsletters or ada: all on ada's path
        if n % 4:  # opted in at one level or another, most of them bounced: rejected
            ledger.opt_in(admin(), c.id, "sms", scope, evidence=WRITTEN)
            if n % 2:
                ledger.record_bounce(sender(), c.id, "sms")
            if n == 6:
                ledger.record_complaint(sender(), c.id, "sms")
    where = ContactFilter(
        status=StatusFilter(Channel.SMS, frozenset(reasons), "acme/newsletters/ada"), limit=2
    )
    everything = ledger.list_contacts(admin(), ContactFilter(status=where.status))
    expected = [c.id for c in everything]
    assert len(expected) >= 2
    assert pages(ledger, where)[0] == expected
    monkeypatch.setattr(contacts_sql, "STATUS_CHUNK", 2)
    monkeypatch.setattr(contacts_sql, "STATUS_SCAN", 3)
    joined, sizes = pages(ledger, where)
    assert joined == expected
    assert any(size < 2 for size in sizes[:-1]) is cut_short  # stopped at the read limit
    assert [c.id for c in ledger.list_contacts(admin(), ContactFilter(status=where.status))] == (
        expected
    )  # the library's list reads on to the end


def test_a_page_without_a_status_filter_ends_where_it_is_short(ledger):
    made = [make_contact(ledger, email=f"x{n}@example.com", mobile=None).id for n in range(3)]
    first = ledger.contact_page(admin(), ContactFilter(limit=2))
    assert [c.id for c in first.contacts] == sorted(made)[:2]
    assert first.next_after == sorted(made)[1]
    last = ledger.contact_page(admin(), ContactFilter(limit=2, after=first.next_after))
    assert [c.id for c in last.contacts] == sorted(made)[2:] and last.next_after is None
