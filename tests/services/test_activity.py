"""Activity → Opt-outs (seeds/004, decision 062): every opt-out at a scope and below it, soft and
hard, with its level; never above or beside the caller's scope; by recorded time and channel,
newest first, a page at a time — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consentry.core.activity import OptOut
from consentry.core.channels import Channel
from consentry.core.errors import ConsentryError, Forbidden, OutOfScope
from consentry.core.events import ActorKind, Source, Strength
from consentry.core.scopes import ScopeKind
from tests.factories import (
    T0,
    WRITTEN,
    admin,
    as_contact,
    make_contact,
    sender,
    staff,
    viewer,
)


def minutes(clock, n: int) -> None:
    clock.set(T0 + timedelta(minutes=n))


def seed(ledger, clock) -> dict[str, str]:
    """Opt-outs at every level of acme and one in globex, a minute apart; name → event id."""
    ada = make_contact(ledger, name="Ada")
    bob = make_contact(ledger, email="bob@example.com", mobile="+447700900124")
    gx = make_contact(ledger, email="gx@example.com", mobile=None, group="globex")
    ledger.opt_in(admin(), ada.id, "sms", "acme", evidence=WRITTEN)  # not an opt-out
    done = {}
    steps = [
        ("group", lambda: ledger.opt_out(admin(), ada.id, "email", "acme")),
        ("client", lambda: ledger.opt_out(
            as_contact(bob), bob.id, "sms", "acme/newsletters", source=Source.UNSUBSCRIBE_LINK
        )),
        ("user", lambda: ledger.opt_out(admin(), ada.id, "email", "acme/newsletters/ada")),
        ("beside", lambda: ledger.opt_out(admin(), bob.id, "email", "acme/events")),
        ("beside_user", lambda: ledger.opt_out(
            as_contact(ada), ada.id, "sms", "acme/events/bob", source=Source.UNSUBSCRIBE_LINK
        )),
        ("globex", lambda: ledger.opt_out(admin("globex"), gx.id, "email", "globex")),
    ]  # fmt: skip
    for n, (name, act) in enumerate(steps, start=1):
        minutes(clock, n)
        done[name] = act().id
    return done


def ids(rows: list[OptOut]) -> list[str]:
    return [r.event_id for r in rows]


def test_soft_and_hard_opt_outs_are_listed_newest_first_with_their_level(ledger, clock):
    made = seed(ledger, clock)
    rows = ledger.opt_outs(admin())
    assert ids(rows) == [made[n] for n in ("beside_user", "beside", "user", "client", "group")]
    by_id = {r.event_id: r for r in rows}
    client = by_id[made["client"]]
    assert (client.level, client.strength, client.hard) == (ScopeKind.CLIENT, Strength.HARD, True)
    assert (client.channel, client.scope_id, client.source) == (
        Channel.SMS, "acme/newsletters", Source.UNSUBSCRIBE_LINK,
    )  # fmt: skip
    assert client.actor_kind is ActorKind.CONTACT
    assert client.recorded_at == client.occurred_at == T0 + timedelta(minutes=2)
    group = by_id[made["group"]]
    assert (group.level, group.strength, group.hard) == (ScopeKind.GROUP, Strength.SOFT, False)
    assert (group.actor_kind, group.recorded_by) == (ActorKind.ADMIN, "admin@acme")
    assert by_id[made["user"]].level is ScopeKind.USER


def test_a_scope_filter_includes_the_scopes_below_and_never_those_above_or_beside(ledger, clock):
    made = seed(ledger, clock)
    news = ledger.opt_outs(admin(), scope_id="acme/newsletters")
    assert ids(news) == [made["user"], made["client"]]
    user = ledger.opt_outs(admin(), scope_id="acme/newsletters/ada")
    assert ids(user) == [made["user"]]
    assert ledger.opt_outs(admin(), scope_id="acme/newsletters/alan") == []


def test_a_client_admin_sees_only_its_own_subtree(ledger, clock):
    made = seed(ledger, clock)
    client_admin = admin("acme/newsletters")
    assert ids(ledger.opt_outs(client_admin)) == [made["user"], made["client"]]
    for above_or_beside in ("acme", "acme/events", "acme/events/bob"):
        with pytest.raises(OutOfScope) as refused:
            ledger.opt_outs(client_admin, scope_id=above_or_beside)
        assert refused.value.code == "out_of_scope"


def test_a_user_level_admin_sees_only_its_own_scope(ledger, clock):
    made = seed(ledger, clock)
    assert ids(ledger.opt_outs(admin("acme/newsletters/ada"))) == [made["user"]]


def test_another_groups_opt_outs_never_appear(ledger, clock):
    made = seed(ledger, clock)
    assert ids(ledger.opt_outs(admin("globex"))) == [made["globex"]]
    assert made["globex"] not in ids(ledger.opt_outs(admin()))
    with pytest.raises(OutOfScope):
        ledger.opt_outs(admin(), scope_id="globex")
    with pytest.raises(OutOfScope):
        ledger.opt_outs(admin("globex"), scope_id="acme/newsletters")


def test_staff_and_viewers_may_read_it_and_a_sending_key_may_not(ledger, clock):
    made = seed(ledger, clock)
    assert len(ledger.opt_outs(staff())) == len(ledger.opt_outs(viewer())) == 5
    assert made["client"] in ids(ledger.opt_outs(viewer("acme/newsletters")))
    with pytest.raises(Forbidden) as refused:
        ledger.opt_outs(sender())
    assert refused.value.code == "forbidden"


def test_recorded_time_filters_from_since_up_to_but_not_including_until(ledger, clock):
    made = seed(ledger, clock)
    window = ledger.opt_outs(
        admin(), since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=4)
    )
    assert ids(window) == [made["user"], made["client"]]
    assert ids(ledger.opt_outs(admin(), since=T0 + timedelta(minutes=5))) == [made["beside_user"]]
    assert ids(ledger.opt_outs(admin(), until=T0 + timedelta(minutes=2))) == [made["group"]]


def test_the_channel_filter(ledger, clock):
    made = seed(ledger, clock)
    sms = ledger.opt_outs(admin(), channel="sms")
    assert ids(sms) == [made["beside_user"], made["client"]]
    assert ids(ledger.opt_outs(admin(), channel=Channel.EMAIL, scope_id="acme/events")) == [
        made["beside"]
    ]
    assert ledger.opt_outs(admin(), channel="voice") == []


def test_pages_follow_one_another_without_duplicates_or_gaps(ledger, clock):
    contacts = [make_contact(ledger, email=f"p{n}@example.com", mobile=None) for n in range(7)]
    made = []
    for n, contact in enumerate(contacts):
        minutes(clock, n // 3)  # three opt-outs share each instant: the id breaks the tie
        made.append(ledger.opt_out(admin(), contact.id, "email", "acme/events").id)
    seen: list[str] = []
    after = None
    while True:
        page = ledger.opt_outs(admin(), after=after, limit=3)
        assert len(page) <= 3
        seen += ids(page)
        if len(page) < 3:
            break
        after = page[-1].event_id
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen)) == 7
    times = [r.recorded_at for r in ledger.opt_outs(admin(), limit=1000)]
    assert times == sorted(times, reverse=True)


def test_an_unknown_cursor_gives_an_empty_page(ledger, clock):
    seed(ledger, clock)
    assert ledger.opt_outs(admin(), after="ev_nothing") == []


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"scope_id": "Acme!"}, "invalid_scope"),
        ({"scope_id": "acme/nowhere"}, "scope_not_found"),
        ({"channel": "pigeon"}, "invalid_channel"),
        ({"channel": "sms\x00"}, "invalid_text"),
        ({"after": "x" * 65}, "text_too_long"),
        ({"since": T0.replace(tzinfo=None)}, "invalid"),
        ({"until": T0.replace(year=1969)}, "invalid_time"),
        ({"since": T0, "until": T0}, "invalid"),
        ({"limit": 0}, "invalid"),
        ({"limit": 1001}, "invalid"),
        ({"limit": True}, "invalid"),
    ],
)
def test_bad_options_are_refused_with_their_code(ledger, options, expected):
    with pytest.raises(ConsentryError) as refused:
        ledger.opt_outs(admin(), **options)
    assert refused.value.code == expected
