"""Only Consentry's errors come out of the store's ports; the driver's error is chained."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from consentry.adapters.store import SqlStore, open_store
from consentry.adapters.store.failures import translate, translated_rows
from consentry.core.access import ApiKey
from consentry.core.errors import ContactNotFound, InternalError, Unavailable
from consentry.core.events import Action
from consentry.core.permissions import Role
from consentry.core.status import Consent, ConsentUpdate, Status
from tests.factories import T0, make_event


@pytest.fixture
def store(db_url) -> Iterator[SqlStore]:
    opened = open_store(db_url, migrate=False)
    yield opened
    opened.close()


def test_locking_the_chain_of_a_contact_without_one_raises_contact_not_found(store):
    with store.transaction() as tx, pytest.raises(ContactNotFound) as info:
        tx.lock_chain("ct_nobody")
    assert info.value.code == "contact_not_found"
    assert info.value.details == {"contact_id": "ct_nobody"}


def test_an_unexpected_database_refusal_is_an_internal_error_chained_to_the_driver(store):
    key = ApiKey("key_1", "acme", Role.ADMIN, "acme", "ops", T0)
    with store.transaction() as tx:
        tx.add_api_key(key, "ab" * 32)
        with pytest.raises(InternalError) as info:
            tx.add_api_key(key, "cd" * 32)  # the same id again
    assert info.value.code == "internal_error"
    assert isinstance(info.value.__cause__, IntegrityError)


def test_a_driver_statement_refused_on_the_hot_path_is_translated_too(store):
    event = make_event(Action.OPTED_OUT)
    update = ConsentUpdate(Consent(Status.SOFT_OPT_OUT, event.id))
    with store.transaction() as tx:
        tx.append(event, update)
        with pytest.raises(InternalError) as info:
            tx.append(event, update)  # the same (contact, seq) again
    assert isinstance(info.value.__cause__, IntegrityError)


def test_an_unreachable_or_lost_database_is_unavailable():
    unreachable = translate(OperationalError("SELECT 1", {}, Exception("refused")))
    lost = translate(DBAPIError("SELECT 1", {}, Exception("reset"), connection_invalidated=True))
    assert isinstance(unreachable, Unavailable) and "refused" in unreachable.message
    assert (
        isinstance(lost, Unavailable) and lost.message == "the database connection was lost; retry"
    )


def test_a_stream_failing_midway_raises_ours():
    def rows():
        yield 1
        raise OperationalError("SELECT", {}, Exception("gone"))

    stream = translated_rows(rows())
    assert next(stream) == 1
    with pytest.raises(Unavailable) as info:
        next(stream)
    assert isinstance(info.value.__cause__, OperationalError)
