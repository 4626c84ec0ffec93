"""The migration scripts have one head (decision 041), and databases at the old heads reach it."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from consentry.adapters.store.engine import make_engine
from consentry.adapters.store.migrate import MIGRATIONS, upgrade
from consentry.adapters.store.schema import metadata


def scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def test_the_migration_scripts_have_exactly_one_head():
    heads = scripts().get_heads()
    assert len(heads) == 1, (
        f"migration heads {sorted(heads)}: join them with a merge revision "
        "(alembic merge heads; decision 041)"
    )


def test_a_database_at_the_three_old_heads_upgrades_to_the_one_head(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        for old_head in ("0002", "0003", "0004"):  # as `upgrade heads` left every database
            upgrade(engine, old_head)
        with engine.connect() as conn:
            assert set(MigrationContext.configure(conn).get_current_heads()) == {
                "0002",
                "0003",
                "0004",
            }
        upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn)
            assert context.get_current_heads() == tuple(scripts().get_heads())
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()
