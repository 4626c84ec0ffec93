"""What a distributed PostgreSQL (Citus) needs of the schema, checked on every run (issue 12;
docs/scaling.md; decision 083): every table placed on purpose — distributed by the contact and
co-located, distributed by a key of its own, or a small reference table copied to every node —
every key of a contact table includes the contact, and no foreign key crosses contacts."""

from __future__ import annotations

from sqlalchemy import Table, UniqueConstraint

from consentry.adapters.store import schema as t

#: distributed by the contact and co-located: a contact's rows are on one node (the column)
BY_CONTACT = {
    "contacts": "id",
    "events": "contact_id",
    "consents": "contact_id",
    "chain_heads": "contact_id",
    "suppressions": "contact_id",
    "contact_lists": "contact_id",
    "evidence_files": "contact_id",
    "lifecycle_rule_skips": "contact_id",
    "violations": "contact_id",  # a reported send that was not eligible (079)
    "journey_messages": "contact_id",  # a reported or scheduled journey message (078)
}
#: distributed by a key of their own: looked up by it, never joined to a contact's rows on it
BY_OWN_KEY = {
    "contact_keys": "digest",  # an address's keyed hash → its contact: one lookup by digest
    "feed_events": "event_id",  # a provider's event, deduplicated by its id
    "inbound_messages": "message_id",  # a gateway's message, deduplicated by its id
    "send_reports": "message_id",  # a sender's message, deduplicated by its id (079)
    "outbox": "id",
    "import_job_rows": "job_id",
    "idempotency_keys": "key",
    "webhook_deliveries": "id",
    "webhook_attempts": "delivery_id",
    "webhook_notices": "id",
    "trend_days": "group_id",
}
#: small, read on every request, written rarely: reference tables (a copy on each node)
REFERENCE = {
    "scopes", "numbers", "keyword_sets", "transactional_policies", "lifecycle_rules",
    "webhook_subscriptions", "meta", "api_keys", "users", "staff_sessions", "rate_limits",
    "import_jobs", "import_mappings", "scheduled_journeys", "journey_runs",
}  # fmt: skip


def tables() -> dict[str, Table]:
    return {table.name: table for table in t.metadata.sorted_tables}


def keys(table: Table) -> list[set[str]]:
    """The column sets of the primary key and every unique constraint or index."""
    found = [{c.name for c in table.primary_key.columns}]
    found += [
        {c.name for c in con.columns}
        for con in table.constraints
        if isinstance(con, UniqueConstraint)
    ]
    found += [{c.name for c in index.columns} for index in table.indexes if index.unique]
    return found


def test_every_table_is_placed_on_purpose() -> None:
    placed = [*BY_CONTACT, *BY_OWN_KEY, *REFERENCE]
    assert len(placed) == len(set(placed)), "a table is placed twice"
    assert set(placed) == set(tables()), "place a new table in BY_CONTACT, BY_OWN_KEY or REFERENCE"


def test_every_key_of_a_distributed_table_includes_its_distribution_column() -> None:
    for name, column in {**BY_CONTACT, **BY_OWN_KEY}.items():
        table = tables()[name]
        assert column in table.columns, f"{name} has no {column}"
        for key in keys(table):
            assert column in key, f"{name}: the key {sorted(key)} leaves out {column}"


def test_a_table_holding_a_contact_id_is_distributed() -> None:
    for name, table in tables().items():
        if "contact_id" in table.columns:
            assert name not in REFERENCE, f"{name} holds contacts: it is no reference table"


def test_no_foreign_key_crosses_contacts() -> None:
    for name, table in tables().items():
        for fk in table.foreign_keys:
            target = fk.column.table.name
            assert name in REFERENCE and target in REFERENCE, (
                f"{name} → {target}: only reference tables may refer to each other"
            )
