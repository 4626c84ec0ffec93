"""The statements behind an import's batches: set-based reads, then one bulk write.

A batch reads what its rows name in a few statements (address keys, external ids, contacts,
their chain heads — locked — and their consents rows, each as chunked ``IN`` lists), and writes
what it changed with the database's bulk path: ``COPY`` on PostgreSQL and ``executemany`` on
SQLite for the rows it inserts (``Dialect.insert_rows``), ``executemany`` for the upserts of
the projection, the moved chain heads and the day's trend counts. No statement per row, except
an update of an existing contact's details, which goes through the same statement an API edit
uses (imports mostly add contacts, and a second run of the same file changes nothing).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from consentry.adapters.store import contacts_sql, webhooks_sql
from consentry.adapters.store.contacts_sql import CONTACT_COLUMNS
from consentry.adapters.store.driver import Db
from consentry.adapters.store.failures import translated
from consentry.adapters.store.ledger_sql import (
    EVENT_COLUMNS,
    MOVE_HEAD,
    UPSERT_CONSENT,
    UPSERT_TREND,
)
from consentry.adapters.store.reads import ID_CHUNK
from consentry.adapters.store.rows import consent_from_values, contact_from_row
from consentry.core.bulk import BatchWrite, ContactWrite
from consentry.core.chain import ChainHead
from consentry.core.channels import AddressKind, Channel
from consentry.core.contacts import Contact
from consentry.core.events import ConsentEvent, to_micros
from consentry.core.status import Consent

#: A digest is keyed by its kind (addresses.digest), so it alone finds its row; the kinds are
#: named so that every column of the key's index bounds the search.
_KINDS = ", ".join(f"'{kind.value}'" for kind in AddressKind)
KEYS_BY_DIGEST = (
    "SELECT digest, contact_id FROM contact_keys "
    f"WHERE group_id = :gid AND kind IN ({_KINDS}) AND digest IN ({{ids}})"
)
BY_EXTERNAL_ID = (
    "SELECT external_id, id FROM contacts WHERE group_id = :gid AND external_id IN ({ids})"
)
CONTACTS = (
    f"SELECT {', '.join(CONTACT_COLUMNS)} FROM contacts WHERE group_id = :gid AND id IN ({{ids}})"
)
LISTS = "SELECT contact_id, list_name FROM contact_lists WHERE contact_id IN ({ids})"
LOCK_HEADS = "SELECT contact_id, seq, hash FROM chain_heads WHERE contact_id IN ({ids}) FOR UPDATE"
CONSENT_ROWS = (
    "SELECT contact_id, channel, scope_id, status, event_id, confirm_until FROM consents "
    "WHERE contact_id IN ({ids})"
)
ANALYZE = "ANALYZE contacts, contact_keys, contact_lists, chain_heads, events, consents"
CONSENT_COLUMNS = (
    "contact_id", "channel", "scope_id", "group_id", "status", "event_id", "confirm_until",
    "updated_at",
)  # fmt: skip


def _chunks(values: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
    """``{ids}`` lists of at most ``ID_CHUNK`` parameters each, with their parameters."""
    found = []
    for start in range(0, len(values), ID_CHUNK):
        chunk = values[start : start + ID_CHUNK]
        found.append(
            (
                ", ".join(f":i{n}" for n in range(len(chunk))),
                {f"i{n}": v for n, v in enumerate(chunk)},
            )
        )
    return found


class SqlBulk:
    """One import batch's transaction (the adapter behind ``ports.BulkTx``)."""

    def __init__(self, db: Db) -> None:
        self.db = db  # the unit of work's: it closes the cursor and rolls back what is left

    @translated
    def commit(self) -> None:
        """Make the batch durable."""
        self.db.conn.commit()

    @translated
    def analyze(self) -> None:
        """Refresh PostgreSQL's planner statistics of the tables an import grows, and commit.

        Without them (autovacuum off, or behind) the planner still believes the tables hold
        the few rows it last counted and filters every address key of the group by a batch's
        list of digests instead of searching the key's index for them: a batch's reads grow
        with the table. SQLite plans without statistics: nothing to do.
        """
        if self.db.dialect.name == "postgresql":
            self.db.run(ANALYZE, {}, write=True)
            self.db.conn.commit()

    def _select(self, template: str, values: Sequence[str], **params: Any) -> list[Any]:
        rows: list[Any] = []
        for ids, chunk in _chunks(sorted(set(values))):
            query = template.format(ids=ids)
            rows.extend(self.db.all(query, {**params, **chunk}, planned=False))
        return rows

    @translated
    def contacts_by_key(self, group_id: str, digests: Sequence[str]) -> dict[str, str]:
        """Address-key digest → contact id, for those of these digests the group has."""
        return dict(self._select(KEYS_BY_DIGEST, digests, gid=group_id))

    @translated
    def contacts_by_external_id(
        self, group_id: str, external_ids: Sequence[str]
    ) -> dict[str, list[str]]:
        """External id → the ids of the group's contacts that have it."""
        found: dict[str, list[str]] = {}
        for external_id, contact_id in self._select(BY_EXTERNAL_ID, external_ids, gid=group_id):
            found.setdefault(external_id, []).append(contact_id)
        return found

    @translated
    def contacts(self, group_id: str, contact_ids: Sequence[str]) -> dict[str, Contact]:
        """The group's contacts with these ids (erased ones too), with their lists."""
        lists: dict[str, set[str]] = {}
        for contact_id, name in self._select(LISTS, contact_ids):
            lists.setdefault(contact_id, set()).add(name)
        found = {}
        for row in self._select(CONTACTS, contact_ids, gid=group_id):
            values = dict(zip(CONTACT_COLUMNS, row, strict=True))
            found[values["id"]] = contact_from_row(values, frozenset(lists.get(values["id"], ())))
        return found

    @translated
    def lock_heads(self, contact_ids: Sequence[str]) -> dict[str, ChainHead]:
        """These contacts' chain heads, locked until the end of the transaction."""
        return {
            cid: ChainHead(seq, head) for cid, seq, head in self._select(LOCK_HEADS, contact_ids)
        }

    @translated
    def consent_rows(
        self, contact_ids: Sequence[str]
    ) -> dict[str, dict[tuple[Channel, str], Consent]]:
        """Every consents row of these contacts, by contact, then (channel, scope)."""
        found: dict[str, dict[tuple[Channel, str], Consent]] = {}
        for cid, channel, scope_id, status, event_id, until in self._select(
            CONSENT_ROWS, contact_ids
        ):
            found.setdefault(cid, {})[Channel(channel), scope_id] = consent_from_values(
                status, event_id, until
            )
        return found

    @translated
    def write(self, batch: BatchWrite) -> None:
        """Insert and update everything the batch changes, in bulk, in this transaction."""
        new = [w for w in batch.contacts if w.new]
        self.db.insert_rows("contacts", CONTACT_COLUMNS, [_contact_row(w.contact) for w in new])
        self.db.insert_rows("contact_keys", ("group_id", "kind", "digest", "contact_id"), [
            (w.contact.group_id, kind.value, digest, w.contact.id)
            for w in new for kind, digest in w.keys.items()
        ])  # fmt: skip
        self.db.insert_rows("contact_lists", ("contact_id", "list_name", "group_id"), [
            (w.contact.id, name, w.contact.group_id)
            for w in new for name in sorted(w.contact.lists)
        ])  # fmt: skip
        for changed in batch.contacts:
            if not changed.new:
                self._update(changed)
        self.db.insert_rows("events", EVENT_COLUMNS, [_event_row(e) for e in batch.events])
        webhooks_sql.enqueue_batch(self.db, batch.events)  # subscribed groups only (076)
        self._heads(batch)
        self._consents(batch, {w.contact.id for w in new})
        self.db.run_many(UPSERT_TREND, [
            {"group_id": group_id, "scope_id": scope_id, "channel": channel.value, "day": day,
             "subscribed_delta": counts.subscribed, "unsubscribed_delta": counts.unsubscribed,
             "opt_outs": counts.opt_outs}
            for (group_id, scope_id, channel, day), counts in sorted(batch.trends.items())
        ])  # fmt: skip

    def _update(self, changed: ContactWrite) -> None:
        contacts_sql.update_contact(self.db, changed.contact, changed.keys)

    def _heads(self, batch: BatchWrite) -> None:
        heads = sorted(batch.heads.items())
        self.db.insert_rows(
            "chain_heads",
            ("contact_id", "seq", "hash"),
            [(cid, head.seq, head.hash) for cid, (head, new) in heads if new],
        )
        self.db.run_many(MOVE_HEAD, [
            {"contact_id": cid, "seq": head.seq, "hash": head.hash}
            for cid, (head, new) in heads if not new
        ])  # fmt: skip

    def _consents(self, batch: BatchWrite, new: set[str]) -> None:
        inserted: list[tuple[Any, ...]] = []
        upserted: list[dict[str, Any]] = []
        updated_at = to_micros(batch.recorded_at)
        for (cid, channel, scope_id), (group_id, consent) in sorted(batch.consents.items()):
            row = (
                cid, channel.value, scope_id, group_id, consent.status.value, consent.event_id,
                to_micros(consent.confirm_until), updated_at,
            )  # fmt: skip
            if cid in new:
                inserted.append(row)
            else:
                upserted.append(dict(zip(CONSENT_COLUMNS, row, strict=True)))
        self.db.insert_rows("consents", CONSENT_COLUMNS, inserted)
        self.db.run_many(UPSERT_CONSENT, upserted)


def _contact_row(contact: Contact) -> tuple[Any, ...]:
    return (
        contact.id, contact.group_id, contact.email, contact.mobile, contact.external_id,
        contact.name, contact.locale, contact.postal_address, contact.push_token,
        json.dumps(dict(contact.attributes)), to_micros(contact.created_at),
        to_micros(contact.erased_at),
    )  # fmt: skip


def _event_row(event: ConsentEvent) -> tuple[Any, ...]:
    return (
        event.id, event.contact_id, event.group_id, event.seq, event.channel.value,
        event.scope_id, event.action.value, event.strength.value, event.actor.kind.value,
        event.actor.id, event.recorded_by, event.source.value, event.reason, event.evidence,
        event.evidence_salt, event.evidence_commitment, to_micros(event.occurred_at),
        to_micros(event.recorded_at), to_micros(event.expires_at), event.prev_hash, event.hash,
    )  # fmt: skip
