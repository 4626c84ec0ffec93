"""An optional hash-partitioned ``events`` table on plain PostgreSQL (issue 12; decision 083).

``partition_events(engine, partitions=N)`` turns a migrated database's ``events`` into a table
declared ``PARTITION BY HASH (contact_id)`` with ``N`` partitions, in one transaction: the table
is renamed aside, the partitioned one created with the same columns, keys and indexes (read from
the catalogue, so columns and indexes added by later migrations come along), the rows copied, the
old table dropped. Every key of ``events`` begins with ``contact_id`` (the primary key is
``(contact_id, seq)``), which is what both declarative partitioning and Citus need: a contact's
chain lives in one partition (one shard), and no statement of the store changes.

It is a one-off operator step (``consentry db partition-events``), not a migration: an existing
deployment chooses it, and a partitioned database migrates as any other (``ALTER TABLE`` on the
parent reaches every partition). SQLite has no partitioning: refused there.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine

from consentry.core.errors import Invalid

ONLY_ON = "postgresql"  #: the database these statements run on (tests/store/test_statements.py)
MAX_PARTITIONS = 256
ASIDE = "events_unpartitioned"

CONSTRAINTS = (  # the old table's primary key and unique constraints, with their definitions
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE conrelid = 'events'::regclass AND contype IN ('p', 'u') ORDER BY conname"
)
INDEXES = (  # … and its other indexes (those behind no constraint)
    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
    "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = 'events'::regclass "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
    "WHERE c.conindid = x.indexrelid) ORDER BY i.relname"
)
KIND = "SELECT relkind FROM pg_class WHERE oid = 'events'::regclass"
PARTS = "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass"


def partition_count(conn: Connection) -> int:
    """How many partitions ``events`` has: 0 when it is a plain table."""
    if conn.exec_driver_sql(KIND).scalar_one() != "p":
        return 0
    return int(conn.exec_driver_sql(PARTS).scalar_one())


def partition_events(engine: Engine, *, partitions: int) -> bool:
    """Make ``events`` hash-partitioned by ``contact_id`` into ``partitions`` parts; False when it
    already is (nothing done)."""
    if engine.dialect.name != "postgresql":
        raise Invalid("only PostgreSQL partitions the events table", field="database")
    if not 2 <= partitions <= MAX_PARTITIONS:
        raise Invalid(f"partitions is 2 to {MAX_PARTITIONS}", field="partitions")
    with engine.begin() as conn:
        conn.exec_driver_sql("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
        if partition_count(conn):
            return False
        _convert(conn, partitions)
    return True


def _convert(conn: Connection, partitions: int) -> None:
    constraints = conn.exec_driver_sql(CONSTRAINTS).all()
    indexes = conn.exec_driver_sql(INDEXES).all()
    conn.exec_driver_sql(f"ALTER TABLE events RENAME TO {ASIDE}")
    for name, _ in constraints:
        conn.exec_driver_sql(f'ALTER TABLE {ASIDE} RENAME CONSTRAINT "{name}" TO "{name}_aside"')
    for name, _ in indexes:
        conn.exec_driver_sql(f'ALTER INDEX "{name}" RENAME TO "{name}_aside"')
    conn.exec_driver_sql(
        f"CREATE TABLE events (LIKE {ASIDE} INCLUDING DEFAULTS INCLUDING STORAGE) "
        "PARTITION BY HASH (contact_id)"
    )
    for name, definition in constraints:
        conn.exec_driver_sql(f'ALTER TABLE events ADD CONSTRAINT "{name}" {definition}')
    for name, definition in indexes:
        unique = "UNIQUE " if definition.startswith("CREATE UNIQUE") else ""
        method = definition.split(" USING ", 1)[1]  # e.g. "btree (id)"
        conn.exec_driver_sql(f'CREATE {unique}INDEX "{name}" ON events USING {method}')
    for part in range(partitions):
        conn.exec_driver_sql(
            f"CREATE TABLE events_p{part:03d} PARTITION OF events "
            f"FOR VALUES WITH (MODULUS {partitions}, REMAINDER {part})"
        )
    conn.exec_driver_sql(f"INSERT INTO events SELECT * FROM {ASIDE}")
    conn.exec_driver_sql(f"DROP TABLE {ASIDE}")
    conn.exec_driver_sql("ANALYZE events")
