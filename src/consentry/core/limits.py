"""Input limits: how long a text may be and what it may hold, how big a JSON value or a
collection may be, and which instants the store can keep (docs/decisions/050).

Every edge checks its inputs with these once: the API's request models and parameters, the
inbound webhooks, the hosted pages' forms, and the use cases themselves for library users. So a
value gets the same refusal (an ``Invalid`` with a stable code, nothing written) wherever it comes
in, and SQLite and PostgreSQL never see a value only one of them would store. The lengths are the
store's column widths; the rest keep every read of what was written working.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Sized
from datetime import UTC, datetime
from typing import Any

from consentry.core.errors import (
    Invalid,
    InvalidText,
    InvalidTime,
    TextTooLong,
    TooManyItems,
)

# ── texts: the longest each may be (characters) ──
ID = 64  #: contact, key, event and outbox ids, and the page cursors made of them
SCOPE_ID = 200  #: a scope id: up to three slugs of 63
NAME = 200  #: names of contacts, scopes and keys; external ids; list and attribute names
EMAIL = 320
MOBILE = 40  #: as typed (stored in E.164)
LOCALE = 35
POSTAL_ADDRESS = 2000
PUSH_TOKEN = 4096
REASON = 64
TOKEN = 4096  #: a signed link's token
WORD = 32  #: an enum's value as text: channel, source, category, role, kind, action
LANGUAGE = 8  #: a keyword language: ``en``, ``fr``, …, or ``*`` for all
KEYWORD = 200  #: a keyword as typed (at most 100 letters or digits once normalised)
KEYWORD_SET = 64
NUMBER = 64  #: a receiving number or sender id, with its channel prefix
REPLY_TEXT = 1600  #: a number's HELP, opt-out and opt-in replies
ATTRIBUTE_VALUE = 1000  #: an attribute value a segment filters on
MESSAGE_BODY = 10_000  #: an inbound message's text
PROVIDER = 32
MESSAGE_ID = 200
CALL_ID = 160
DIGITS = 32
MEDIA_TYPE = 255  #: an uploaded file's media type, as the browser named it

# ── collections: the most items each may hold ──
MAX_LISTS = 100  #: lists one contact joins
MAX_LANGUAGES = 16
MAX_CHANNELS = 8
MAX_UPLOAD = 500_000  #: ids or addresses uploaded in one segment (``batch_too_large``, 413)
MAX_SEGMENT_ATTRIBUTES = 8  #: attribute pairs one segment narrows on, all of them (AND)

# ── files ──
MAX_EVIDENCE_FILE = 10 * 1024 * 1024  #: bytes of an uploaded copy of written permission (067)

# ── JSON documents (evidence, attributes) ──
MAX_DEPTH = 16  #: objects and arrays nested in one another
MAX_MEMBERS = 1_000  #: keys and elements, at every level together
MAX_ATTRIBUTES_BYTES = 16 * 1024  #: UTF-8 bytes of the canonical JSON (evidence: 64 KiB, events.py)
MAX_INT = 2**63 - 1  #: integers fit 64 bits signed

# ── instants, after conversion to UTC (to_micros and the ISO form round-trip in this range) ──
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)

#: C0 and C1 control characters, DEL, and surrogates (never valid alone in UTF-8).
_NOT_IN_A_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
#: The same, but tab, line feed and carriage return are allowed (help texts, postal addresses).
_NOT_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
#: In a JSON document's string values (kept verbatim, as proof): only NUL and surrogates.
_NOT_IN_DATA = re.compile("[\x00\ud800-\udfff]")


def text(value: str, *, field: str, max_length: int, multiline: bool = False) -> str:
    """``value`` if it is text of at most ``max_length`` characters with no control characters.

    NUL, other C0 and C1 control characters, DEL and unpaired surrogates are refused
    (``invalid_text``); ``multiline`` allows tab, line feed and carriage return. A longer text
    is ``text_too_long``.
    """
    if not isinstance(value, str):
        raise Invalid(f"{field} must be text", field=field)
    if len(value) > max_length:
        raise TextTooLong(
            f"{field} is longer than {max_length:,} characters",
            field=field,
            limit=max_length,
            length=len(value),
        )
    bad = (_NOT_IN_TEXT if multiline else _NOT_IN_A_LINE).search(value)
    if bad is not None:
        raise _invalid_text(field, bad)
    return value


def optional_text(
    value: str | None, *, field: str, max_length: int, multiline: bool = False
) -> str | None:
    """``text`` for a value that may be absent (``None`` passes)."""
    if value is None:
        return None
    return text(value, field=field, max_length=max_length, multiline=multiline)


def texts(
    values: Collection[str],
    *,
    field: str,
    max_items: int,
    max_length: int,
    error: type[Invalid] = TooManyItems,
) -> None:
    """A collection of at most ``max_items`` texts, each checked by ``text``."""
    items(values, field=field, max_items=max_items, error=error)
    for value in values:
        text(value, field=field, max_length=max_length)


def items(
    values: Sized, *, field: str, max_items: int, error: type[Invalid] = TooManyItems
) -> None:
    """Refuse a collection of more than ``max_items`` (``too_many_items`` unless ``error``)."""
    if len(values) > max_items:
        raise error(
            f"{field} holds more than {max_items:,} items",
            field=field,
            limit=max_items,
            given=len(values),
        )


def instant(moment: datetime, *, field: str) -> datetime:
    """``moment`` if it is aware and between 1970-01-01 and 9999-12-31 UTC (``invalid_time``).

    A time without a zone stays plain ``invalid``, as ``to_micros`` has always refused it.
    """
    if not isinstance(moment, datetime):
        raise Invalid(f"{field} must be a time", field=field)
    if moment.utcoffset() is None:
        raise Invalid(
            f"{field} {moment.isoformat()} has no time zone; give an aware time (e.g. UTC)",
            field=field,
        )
    try:
        utc: datetime | None = moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+14:00 is before year 1 in UTC
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise InvalidTime(
            f"{field} must lie between {EARLIEST.isoformat()} and {LATEST.isoformat()}",
            field=field,
            earliest=EARLIEST.isoformat(),
            latest=LATEST.isoformat(),
        )
    return moment


def bounded_json(
    value: Any,
    *,
    field: str,
    error: type[Invalid],
    max_bytes: int,
    max_depth: int = MAX_DEPTH,
    max_members: int = MAX_MEMBERS,
) -> str:
    """The canonical JSON text of a JSON object, refusing what cannot be stored or read back.

    Refused with ``error`` (its ``details["reason"]`` says why): a value that is not a mapping
    with text keys or not JSON (``not_json``), nested deeper than ``max_depth`` (``too_deep``),
    with more than ``max_members`` keys and elements (``too_many_members``), NaN or an infinity
    (``not_finite``), an integer beyond 64 bits (``out_of_range``), a key that is not a line of
    at most ``NAME`` characters or a string holding NUL or a surrogate (``invalid_text``), or
    more than ``max_bytes`` (``too_large``).
    """

    def refuse(reason: str, message: str, **more: Any) -> Invalid:
        return error(f"{field} {message}", field=field, reason=reason, **more)

    if not isinstance(value, dict):
        raise refuse("not_json", "must be a mapping with text keys")
    if len(value) <= max_members and all(type(v) is str for v in value.values()):
        return _flat(value, refuse, max_bytes)  # most evidence and attributes: text by key
    members = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list, tuple)):
            if depth > max_depth:
                raise refuse("too_deep", f"nests deeper than {max_depth} levels", limit=max_depth)
            members += len(node)
            if members > max_members:
                raise refuse(
                    "too_many_members", f"holds more than {max_members:,} keys and elements",
                    limit=max_members,
                )  # fmt: skip
            if isinstance(node, dict):
                for key in node:
                    if not isinstance(key, str):
                        raise refuse("not_json", "must have text keys")
                    _data_key(key, refuse)
                stack.extend((child, depth + 1) for child in node.values())
            else:
                stack.extend((child, depth + 1) for child in node)
        elif isinstance(node, str):
            if len(node) > max_bytes:
                raise refuse("too_large", f"is larger than {max_bytes:,} bytes", limit=max_bytes)
            if _NOT_IN_DATA.search(node) is not None:
                raise refuse("invalid_text", "holds a NUL or an unpaired surrogate")
        elif node is None or isinstance(node, bool):
            continue
        elif isinstance(node, int):
            if abs(node) > MAX_INT:
                raise refuse("out_of_range", "holds an integer beyond 64 bits")
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise refuse("not_finite", f"holds {node}, which JSON cannot carry")
        else:
            raise refuse(
                "not_json", f"holds a value of type {type(node).__name__}, which is not JSON"
            )
    encoded = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    if len(encoded.encode()) > max_bytes:
        raise refuse("too_large", f"is larger than {max_bytes:,} bytes", limit=max_bytes)
    return encoded


def _flat(value: dict[str, str], refuse: Any, max_bytes: int) -> str:
    """``bounded_json`` of a mapping whose values are all text: the same checks, one pass."""
    for key, text in value.items():
        if not isinstance(key, str):
            raise refuse("not_json", "must have text keys")
        _data_key(key, refuse)
        if _NOT_IN_DATA.search(text) is not None:
            raise refuse("invalid_text", "holds a NUL or an unpaired surrogate")
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if len(encoded) > max_bytes and len(encoded.encode()) > max_bytes:
        raise refuse("too_large", f"is larger than {max_bytes:,} bytes", limit=max_bytes)
    return encoded


def _data_key(key: str, refuse: Any) -> None:
    if len(key) > NAME:
        raise refuse("invalid_text", f"has a key longer than {NAME} characters", limit=NAME)
    if _NOT_IN_A_LINE.search(key) is not None:
        raise refuse("invalid_text", "has a key holding a control character")


def _invalid_text(field: str, bad: re.Match[str]) -> InvalidText:
    char = f"U+{ord(bad.group()):04X}"
    kind = "an unpaired surrogate" if "\ud800" <= bad.group() <= "\udfff" else "a control character"
    return InvalidText(
        f"{field} holds {kind} ({char}) at position {bad.start()}",
        field=field,
        character=char,
        position=bad.start(),
    )
