"""The chained payload written directly is byte for byte the JSON encoder's (``chain.payload``).

Every stored chain was hashed over ``json.JSONEncoder(separators=(",", ":")).encode`` of
``[version, previous hash, *fields]``; the direct writer must give the same bytes for every value
a stored event can hold, or stored ledgers stop verifying. SQLite keeps any value in any
column, so a tampered row may hold a number, None, bytes or a float where text belongs: those
are encoded too (or refused, as the encoder refuses bytes).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from consentry.core.chain import VERSION, ChainFields, link, payload
from consentry.core.events import CHAIN_COLUMNS

ENCODE = json.JSONEncoder(separators=(",", ":")).encode
INTS = ("seq", "occurred_at", "recorded_at")
NULLABLE = ("reason", "expires_at")
#: an event as the store keeps it (the benchmark data set's first event)
STORED: dict[str, Any] = {
    "id": "ev_01a23d3003ef48708679176a927c95b1",
    "contact_id": "ct_01a23d3003db5f5a395574cc18fa3f4d",
    "group_id": "bench",
    "seq": 1,
    "channel": "email",
    "scope_id": "bench/c3/u4",
    "action": "opted_in",
    "strength": "soft",
    "actor_kind": "system",
    "actor_id": "bench",
    "recorded_by": "bench",
    "source": "api",
    "reason": None,
    "occurred_at": 1796322886639089,
    "recorded_at": 1796322886639089,
    "expires_at": None,
    "evidence_commitment": "75e1240f90537b84dd3044fa7c77a14fff778731197fd50c719c8e32d136661a",
}
PREV = "bf712da08298c64a3a50695167f8a7fdfac8340cca148f435b957a9a96797b1d"

#: text of every kind the encoder escapes: non-ASCII, quotes, backslashes, control characters
texts = st.text(
    st.one_of(
        st.characters(),
        st.sampled_from(['"', "\\", "\x00", "\x1f", "\x7f", "\x80", "é", "\u2028", "😀", "\ud800"]),
    ),
    max_size=40,
)
ints = st.integers(min_value=-(2**70), max_value=2**70)


def fields_of(values: dict[str, Any]) -> ChainFields:
    return tuple(values[name] for name in CHAIN_COLUMNS)


def encoder(prev_hash: str, fields: ChainFields) -> bytes:
    return ENCODE([VERSION, prev_hash, *fields]).encode()


@st.composite
def stored_fields(draw: st.DrawFn) -> ChainFields:
    """Fields of the types each column holds: text, whole numbers, None where it may be."""
    values: dict[str, Any] = {}
    for name in CHAIN_COLUMNS:
        kind = ints if name in INTS or name == "expires_at" else texts
        values[name] = draw(st.none() | kind) if name in NULLABLE else draw(kind)
    return fields_of(values)


@settings(max_examples=500)
@given(texts, stored_fields())
@example(PREV, fields_of(STORED))
@example(PREV, fields_of({**STORED, "reason": 'say "stop" \\ now\n', "expires_at": 0}))
@example(PREV, fields_of({**STORED, "scope_id": "café/ünïcode", "actor_id": "\x7f"}))
def test_the_payload_is_the_encoders_for_every_stored_event(prev: str, fields: ChainFields) -> None:
    assert payload(prev, fields) == encoder(prev, fields)


#: what a tampered SQLite row can hold in any column
anything = st.one_of(
    st.none(), st.booleans(), ints, st.floats(allow_nan=True), texts, st.just("plain")
)


@settings(max_examples=500)
@given(st.lists(anything, min_size=len(CHAIN_COLUMNS), max_size=len(CHAIN_COLUMNS)))
def test_any_value_in_any_column_is_written_as_the_encoder_writes_it(values: list[Any]) -> None:
    fields = tuple(values)
    assert payload(PREV, fields) == encoder(PREV, fields)


@given(st.lists(anything, max_size=len(CHAIN_COLUMNS) + 2))
def test_fields_that_are_not_an_events_are_encoded_as_they_are(values: list[Any]) -> None:
    fields = tuple(values)
    assert payload(PREV, fields) == encoder(PREV, fields)


@pytest.mark.parametrize("name", ["group_id", "evidence_commitment", "reason", "seq"])
def test_bytes_in_a_column_are_refused_as_the_encoder_refuses_them(name: str) -> None:
    fields = fields_of({**STORED, name: b"blob"})
    with pytest.raises(TypeError):
        encoder(PREV, fields)
    with pytest.raises(TypeError):
        payload(PREV, fields)


def test_link_is_sha256_of_the_payload_of_a_stored_event() -> None:
    fields = fields_of(STORED)
    expected = hashlib.sha256(ENCODE([VERSION, PREV, *fields]).encode()).hexdigest()
    assert link(PREV, fields) == expected
