"""Inbound dedupe is scoped to the receiving number and the sender (issue 8, item 1; decision 023).

A provider's retry repeats the number, the provider, the message id and the sender; two gateways
(or two groups' numbers on one provider) may reuse an id, and none of them may lose a STOP or
read another group's outcome. Also the migration that changed the key (0006), with its data.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from consentry.adapters.store.engine import make_engine
from consentry.adapters.store.migrate import downgrade, upgrade
from consentry.adapters.store.schema import inbound_messages
from consentry.core.eligibility import Reason
from consentry.core.messaging import InboundOutcome as Outcome
from consentry.ledger.numbers import inbound_principal
from tests.conftest import PG_SERVER, _server_engine
from tests.factories import ADA_MOBILE, EVENTS, NEWS, admin, make_contact, sender, sql

GLOBEX = "+447700900902"  # globex/sales receives SMS here
GINA_MOBILE = "+447700900456"


@pytest.fixture
def two_groups(numbers):
    """acme's two numbers and one of globex's, on the same ledger."""
    numbers.configure_number(admin("globex"), GLOBEX, "globex/sales")
    return numbers


def text_to(ledger, to, sid, body="STOP", *, provider="twilio", sender_number=ADA_MOBILE):
    """One text message to ``to``, as the gateway ``provider`` delivers it."""
    principal = inbound_principal(ledger.context, provider, to)
    return ledger.receive_message(principal, provider, sid, sender_number, to, body)


def hard_out(ledger, contact, scope, group="acme"):
    return ledger.check(admin(group), contact.id, "sms", scope).reason is Reason.HARD_OPT_OUT


def inbound_rows(ledger):
    return sql(ledger, "SELECT number, provider, message_id, group_id, contact_id FROM "
               "inbound_messages ORDER BY number")  # fmt: skip


@pytest.mark.parametrize("gina_mobile", [GINA_MOBILE, ADA_MOBILE], ids=["own-mobile", "same"])
def test_two_groups_numbers_reusing_a_message_id_both_record_their_stop(two_groups, gina_mobile):
    ada = make_contact(two_groups)
    gina = make_contact(two_groups, "gina@example.com", gina_mobile, group="globex")

    first = text_to(two_groups, NEWS, "SM1")
    second = text_to(two_groups, GLOBEX, "SM1", sender_number=gina_mobile)

    assert not first.replayed and not second.replayed
    assert (first.outcome, first.contact_id) == (Outcome.OPTED_OUT, ada.id)
    assert (second.outcome, second.contact_id) == (Outcome.OPTED_OUT, gina.id)
    assert set(second.event_ids).isdisjoint(first.event_ids)  # never the other group's events
    assert hard_out(two_groups, ada, "acme/newsletters")
    assert hard_out(two_groups, gina, "globex/sales", "globex")
    assert [e.id for e in two_groups.history(admin("globex"), gina.id)] == list(second.event_ids)
    assert len(two_groups.list_outbox(sender("acme"))) == 1
    assert len(two_groups.list_outbox(sender("globex"))) == 1
    assert [(r[0], r[3], r[4]) for r in inbound_rows(two_groups)] == [
        (NEWS, "acme", ada.id),
        (GLOBEX, "globex", gina.id),
    ]


def test_two_gateways_reusing_ids_keep_their_own_outcomes_on_retry(two_groups):
    ada = make_contact(two_groups)
    gina = make_contact(two_groups, "gina@example.com", GINA_MOBILE, group="globex")
    for n in range(3):  # each gateway numbers its messages 1, 2, 3 …
        text_to(two_groups, NEWS, str(n), "hello", provider="generic")
        text_to(two_groups, GLOBEX, str(n), "hello", provider="generic", sender_number=GINA_MOBILE)
    a = text_to(two_groups, NEWS, "3", provider="generic")
    g = text_to(two_groups, GLOBEX, "3", provider="generic", sender_number=GINA_MOBILE)
    again_g = text_to(two_groups, GLOBEX, "3", provider="generic", sender_number=GINA_MOBILE)
    again_a = text_to(two_groups, NEWS, "3", provider="generic")

    assert again_a.replayed and again_g.replayed
    assert (again_a.contact_id, again_a.event_ids) == (ada.id, a.event_ids)
    assert (again_g.contact_id, again_g.event_ids) == (gina.id, g.event_ids)
    assert len(two_groups.history(admin(), ada.id)) == 1
    assert len(two_groups.history(admin("globex"), gina.id)) == 1
    assert len(inbound_rows(two_groups)) == 8


def test_the_same_id_from_another_sender_to_the_same_number_is_a_new_message(numbers):
    ada = make_contact(numbers)
    bob = make_contact(numbers, "bob@example.com", GINA_MOBILE)
    first = text_to(numbers, NEWS, "SM1")
    other = text_to(numbers, NEWS, "SM1", sender_number=GINA_MOBILE)

    assert not other.replayed and other.contact_id == bob.id
    assert hard_out(numbers, ada, "acme/newsletters") and hard_out(numbers, bob, "acme/newsletters")
    assert text_to(numbers, NEWS, "SM1").event_ids == first.event_ids  # ada's retry: hers
    assert text_to(numbers, NEWS, "SM1", sender_number=GINA_MOBILE).event_ids == other.event_ids
    assert len(numbers.list_outbox(sender())) == 2


def test_the_same_id_to_another_number_of_the_group_is_a_new_message(numbers):
    ada = make_contact(numbers)
    first = text_to(numbers, NEWS, "SM1")
    other = text_to(numbers, EVENTS, "SM1")

    assert not other.replayed and other.contact_id == ada.id
    assert set(other.event_ids).isdisjoint(first.event_ids)
    assert hard_out(numbers, ada, "acme/newsletters") and hard_out(numbers, ada, "acme/events")


def test_a_retry_repeats_number_and_sender_and_is_answered_from_the_first(numbers):
    ada = make_contact(numbers)
    first = text_to(numbers, NEWS, "SM1")
    again = text_to(numbers, NEWS, "SM1", "START")  # a retry carries the first body; not read
    assert again.replayed and again.outcome is Outcome.OPTED_OUT
    assert again.event_ids == first.event_ids and again.reply_id == first.reply_id
    assert len(numbers.history(admin(), ada.id)) == 1
    [(stored_sender,)] = sql(numbers, "SELECT sender FROM inbound_messages")
    assert len(stored_sender) == 64 and ADA_MOBILE not in stored_sender  # a keyed hash


def test_a_row_kept_from_before_0006_still_answers_a_retry_to_its_number(numbers):
    ada = make_contact(numbers)
    text_to(numbers, NEWS, "SM1")
    sql(numbers, "UPDATE inbound_messages SET sender = ''")  # as 0006 left the rows it kept

    again = text_to(numbers, NEWS, "SM1")
    assert again.replayed and again.contact_id == ada.id
    assert len(numbers.history(admin(), ada.id)) == 1
    elsewhere = text_to(numbers, EVENTS, "SM1")  # another number: a message of its own
    assert not elsewhere.replayed and hard_out(numbers, ada, "acme/events")


# ── the migration (0006) ────────────────────────────────────────────────────
OLD_ROW = (
    "INSERT INTO inbound_messages (provider, message_id, group_id, number, channel, contact_id,"
    " received_at, recorded_at, outcome, rule, event_ids, reply_id) VALUES (:p, :m, 'acme', :n,"
    " 'sms', 'ct_1', 1, :at, 'opted_out', 'keyword:stop', 'ev_1,ev_2', 'ob_1')"
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (nothing migrated) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    name = f"consentry_m_{uuid.uuid4().hex[:12]}"
    try:
        server = _server_engine()
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is not there
        pytest.skip(f"no PostgreSQL at {PG_SERVER}: {exc}")
    yield PG_SERVER.rsplit("/", 1)[0] + "/" + name
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def test_0006_keeps_every_row_and_keys_them_by_number_and_sender(empty_url):
    engine = make_engine(empty_url)
    try:
        upgrade(engine, "0005")
        with engine.begin() as conn:
            conn.execute(text(OLD_ROW), {"p": "twilio", "m": "SM1", "n": NEWS, "at": 5})
            conn.execute(text(OLD_ROW), {"p": "twilio", "m": "SM2", "n": EVENTS, "at": 6})
        upgrade(engine, "0006")
        key = inspect(engine).get_pk_constraint("inbound_messages")
        assert key["constrained_columns"] == [c.name for c in inbound_messages.primary_key]
        assert key["constrained_columns"] == ["number", "provider", "message_id", "sender"]
        with engine.begin() as conn:
            rows = conn.execute(
                text(
                    "SELECT message_id, number, sender, contact_id, event_ids, reply_id FROM "
                    "inbound_messages ORDER BY message_id"
                )
            ).all()
            assert [tuple(r) for r in rows] == [
                ("SM1", NEWS, "", "ct_1", "ev_1,ev_2", "ob_1"),
                ("SM2", EVENTS, "", "ct_1", "ev_1,ev_2", "ob_1"),
            ]
            # the new key holds two gateways' (or numbers') messages of one id
            new_row = OLD_ROW.replace("(provider,", "(sender, provider,").replace("(:p", "('h', :p")
            conn.execute(text(new_row), {"p": "twilio", "m": "SM1", "n": GLOBEX, "at": 7})
        downgrade(engine, "0005")  # one row per (provider, message id): the earliest
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT message_id, number FROM inbound_messages ORDER BY message_id")
            ).all()
            assert [tuple(r) for r in rows] == [("SM1", NEWS), ("SM2", EVENTS)]
        key = inspect(engine).get_pk_constraint("inbound_messages")
        assert key["constrained_columns"] == ["provider", "message_id"]
        upgrade(engine)
    finally:
        engine.dispose()
