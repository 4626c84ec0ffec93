"""The statements behind the deliverability feeds: claim a provider's report once (decision 074).

``claim_feed_event`` is one ``INSERT … ON CONFLICT DO NOTHING`` on (feed, group, the provider's
event id, the keyed hash of the address), the pattern of ``inbound_sql.claim_inbound``: on
PostgreSQL a concurrent claimer of the same key waits until the first commits and then sees its
row; SQLite writers are serialised by ``BEGIN IMMEDIATE``. Whoever inserted the row owns the
report and finishes it in the same transaction as the ledger events it records; everyone else
gets the stored record back and records nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consentry.adapters.store.driver import Db
from consentry.core.events import from_micros, to_micros
from consentry.core.feeds import Feed, FeedKind, FeedOutcome, FeedRecord

FEED_COLUMNS = (
    "feed", "group_id", "event_id", "address", "kind", "outcome", "contact_id", "event_ids",
    "detail", "occurred_at", "recorded_at",
)  # fmt: skip
FEED_KEY = ("feed", "group_id", "event_id", "address")
_THE_REPORT = " AND ".join(f"{c} = :{c}" for c in FEED_KEY)
CLAIM_FEED_EVENT = (
    f"INSERT INTO feed_events ({', '.join(FEED_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in FEED_COLUMNS)}) "
    "ON CONFLICT DO NOTHING RETURNING feed"
)
GET_FEED_EVENT = f"SELECT {', '.join(FEED_COLUMNS)} FROM feed_events WHERE {_THE_REPORT}"
FINISH_FEED_EVENT = (
    "UPDATE feed_events SET outcome = :outcome, contact_id = :contact_id, "
    f"event_ids = :event_ids, detail = :detail WHERE {_THE_REPORT}"
)


def claim_feed_event(db: Db, record: FeedRecord) -> FeedRecord | None:
    """Claim a new report (None); the stored record instead when it was claimed before."""
    values = _values(record)
    if db.one(CLAIM_FEED_EVENT, values, write=True) is not None:
        return None
    stored = db.one(GET_FEED_EVENT, {c: values[c] for c in FEED_KEY})
    assert stored is not None  # the conflicting row: it is never deleted
    return _from_row(dict(zip(FEED_COLUMNS, stored, strict=True)))


def finish_feed_event(db: Db, record: FeedRecord) -> None:
    """Store what the claimed report did (outcome, contact, events, detail)."""
    values = _values(record)
    changed = ("outcome", "contact_id", "event_ids", "detail", *FEED_KEY)
    db.run(FINISH_FEED_EVENT, {c: values[c] for c in changed}, write=True)


def _values(record: FeedRecord) -> dict[str, Any]:
    return {
        "feed": record.feed.value,
        "group_id": record.group_id,
        "event_id": record.event_id,
        "address": record.address,
        "kind": record.kind.value,
        "outcome": record.outcome.value,
        "contact_id": record.contact_id,
        "event_ids": ",".join(record.event_ids) or None,
        "detail": record.detail,
        "occurred_at": to_micros(record.occurred_at),
        "recorded_at": to_micros(record.recorded_at),
    }


def _from_row(row: Mapping[str, Any]) -> FeedRecord:
    return FeedRecord(
        feed=Feed(row["feed"]),
        group_id=row["group_id"],
        event_id=row["event_id"],
        address=row["address"],
        kind=FeedKind(row["kind"]),
        outcome=FeedOutcome(row["outcome"]),
        occurred_at=from_micros(row["occurred_at"]),  # type: ignore[arg-type]
        recorded_at=from_micros(row["recorded_at"]),  # type: ignore[arg-type]
        contact_id=row["contact_id"],
        event_ids=tuple(v for v in (row["event_ids"] or "").split(",") if v),
        detail=row["detail"],
    )
