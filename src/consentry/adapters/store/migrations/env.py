"""Alembic environment: runs on the engine handed over in ``config.attributes``."""

from __future__ import annotations

from alembic import context

from consentry.adapters.store.dialect import of
from consentry.adapters.store.schema import metadata

config = context.config
engine = config.attributes["engine"]

dialect = of(engine)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=dialect.batch_migrations,
    )
    with context.begin_transaction():
        if dialect.migration_lock is not None:  # one migrator at a time
            connection.exec_driver_sql(dialect.migration_lock)
        context.run_migrations()
    connection.commit()
