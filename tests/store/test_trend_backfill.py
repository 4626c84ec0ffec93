"""Migration 0008 backfills ``trend_days`` from what a database at 0007 holds (decision 066): the
current totals of each (group, scope, channel) on the migration's UTC day, and every past day's
opt-outs from the events — the same totals and opt-outs the write path keeps."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect

from consentry.adapters.store.migrate import downgrade, upgrade
from consentry.core.events import Source
from consentry.core.trends import day_number
from tests.factories import T0, WRITTEN, admin, as_contact, make_contact, sender, sql

ROWS = (
    "SELECT group_id, scope_id, channel, day, subscribed_delta, unsubscribed_delta, opt_outs "
    "FROM trend_days"
)


def seed(ledger, clock) -> None:
    """Three days of changes on two channels, three scopes and two groups."""
    people = [
        make_contact(ledger, email=f"p{n}@example.com", mobile=f"+44770090{n:04d}")
        for n in range(6)
    ]
    gx = make_contact(ledger, email="gx@example.com", mobile=None, group="globex")
    for n, p in enumerate(people):
        ledger.opt_in(admin(), p.id, "sms", "acme/newsletters", evidence=WRITTEN)
        if n % 2:
            ledger.opt_in(admin(), p.id, "email", "acme", evidence=WRITTEN)
    clock.set(T0 + timedelta(days=1))
    ledger.opt_out(admin(), people[0].id, "sms", "acme/newsletters")
    ledger.opt_out(
        as_contact(people[1]), people[1].id, "sms", "acme/newsletters",
        source=Source.UNSUBSCRIBE_LINK,
    )  # fmt: skip
    ledger.opt_out(admin(), people[2].id, "email", "acme/events/bob")
    ledger.request_confirmation(admin(), people[3].id, "sms", "acme/events")  # pending: no count
    ledger.record_bounce(sender(), people[4].id, "email")  # a suppression: no count
    clock.set(T0 + timedelta(days=2))
    ledger.opt_out(admin(), people[1].id, "sms", "acme/newsletters")  # soft under hard
    ledger.resubscribe(
        admin(), people[0].id, "sms", "acme/newsletters", reason="contact_asked", evidence=WRITTEN
    )
    ledger.opt_out(admin("globex"), gx.id, "email", "globex")


def totals(rows) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(group, scope, channel) → the sum of its subscribed and unsubscribed deltas, non-zero."""
    found: dict[tuple[str, str, str], tuple[int, int]] = {}
    for group, scope, channel, _, sub, unsub, _ in rows:
        was = found.get((group, scope, channel), (0, 0))
        found[(group, scope, channel)] = (was[0] + sub, was[1] + unsub)
    return {k: v for k, v in found.items() if v != (0, 0)}


def opt_outs(rows) -> Counter[tuple[str, str, str, int]]:
    """(group, scope, channel, day) → opt-outs."""
    return Counter({(g, s, c, d): n for g, s, c, d, _, _, n in rows if n})


def test_the_backfill_gives_the_totals_and_opt_outs_the_write_path_kept(ledger, clock):
    seed(ledger, clock)
    kept = sql(ledger, ROWS)
    before = ledger.trends(admin(), days=30)
    engine = ledger.store.engine
    try:
        downgrade(engine, "0007")
        assert "trend_days" not in inspect(engine).get_table_names()
        migration_day = day_number(datetime.now(UTC))
        upgrade(engine, "0008")
        filled = sql(ledger, ROWS)
    finally:
        upgrade(engine)
    assert (
        totals(filled)
        == totals(kept)
        == {
            ("acme", "acme/newsletters", "sms"): (5, 1),
            ("acme", "acme", "email"): (3, 0),
            ("acme", "acme/events/bob", "email"): (0, 1),
            ("globex", "globex", "email"): (0, 1),
        }
    )
    assert opt_outs(filled) == opt_outs(kept)
    day = day_number(T0)
    assert opt_outs(filled)[("acme", "acme/newsletters", "sms", day + 1)] == 2
    assert opt_outs(filled)[("acme", "acme/newsletters", "sms", day + 2)] == 1
    totals_days = {d for _, _, _, d, sub, unsub, _ in filled if sub or unsub}
    assert totals_days <= {migration_day, migration_day + 1}  # the migration's UTC day
    after = ledger.trends(admin(), days=30)  # the clock is at T0 + 2: later rows count as today
    now = [(c.channel, c.subscribed.now, c.unsubscribed.now) for c in after.channels]
    assert now == [(c.channel, c.subscribed.now, c.unsubscribed.now) for c in before.channels]


def test_the_backfill_of_an_empty_database_writes_nothing(ledger):
    engine = ledger.store.engine
    try:
        downgrade(engine, "0007")
        upgrade(engine, "0008")
    finally:
        upgrade(engine)
    assert sql(ledger, ROWS) == []
