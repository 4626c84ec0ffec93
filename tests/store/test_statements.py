"""Every named driver statement of the store parses and binds on SQLite and on PostgreSQL.

The statements are found, not listed: every module-level UPPERCASE ``str`` constant of a store
module that starts with an SQL verb. Each runs through the store's own driver path
(``Db.run``, so through ``Dialect.driver_sql``) against a migrated, empty database, with
plausible parameters; a template (``{scopes}``, ``{address}``) runs at every path length and
address column, an ``{ids}`` list with one and with three ids. A new statement runs here
without anyone listing it; a new parameter name needs a plausible value below, or the test
says so.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

import pytest

import consentry.adapters.store as store_package
from consentry.adapters.store import open_store
from consentry.adapters.store.dialect import PARAM, of
from consentry.adapters.store.driver import on_path
from consentry.adapters.store.engine import make_engine
from consentry.adapters.store.schema import metadata
from consentry.core.channels import Channel

SQL = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)
PATH = ("acme", "acme/newsletters", "acme/newsletters/ada")
ADDRESS_COLUMNS = sorted({str(channel.address_field) for channel in Channel})

#: parameters that are not named after their column, and columns whose name means two things
PLAUSIBLE: dict[str, Any] = {
    "cid": "ct_ada",
    "gid": "acme",
    "ch": "sms",
    "kind": "mobile",
    "d": "ab" * 32,
    "name": "default",
    "number": "+441632960999",
    "status": "opted_in",
    "id": "ev_0001",
    "channel": "sms",
    "contact_id": "ct_ada",
    "group_id": "acme",
    "scope_id": "acme/newsletters",
    "provider": "twilio",
    "message_id": "SM0001",
    "to": "+447700900123",
    "body": "You are unsubscribed.",
    "pattern": "%ct!_ada%",  # erasure_sql.DELETE_REPLAYS: a LIKE pattern of a contact id
    "bypass": True,  # policies_sql.PUT_SETTING
    "by": "admin@acme",
    "at": 1,
    "due_at": 1,  # webhooks_sql.DUE: deliveries due by then
    "batch": 10,  # webhooks_sql: how many rows a page or a claim takes
    "claim": "claim_0001",
    "attempt_no": 1,  # webhooks_sql.INSERT_ATTEMPT: the attempt's number
    "url": "https://crm.example.com/hooks",
    "event_types": ",consent.opted_out,",
    "version": 1,  # rules_sql: a lifecycle rule's version
    "trigger_kind": "list_joined",
    "rule_version": 1,
    "trigger_label": "list_joined:vip",
}


def _defined_constants(module: Any) -> Iterator[tuple[str, Any]]:
    """The module-level names a module assigns itself (not the ones it imports)."""
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, ast.Assign):
            targets = [t for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            targets = [node.target]
        else:
            continue
        for target in targets:
            yield target.id, getattr(module, target.id)


ONLY_ON: dict[str, str] = {}  #: ``module.NAME`` → the one database it runs on (``ONLY_ON``)


def driver_statements() -> dict[str, str]:
    """``module.NAME`` → text of every named driver statement in the store's modules."""
    found: dict[str, str] = {}
    for info in pkgutil.iter_modules(store_package.__path__):
        if info.ispkg:  # migrations: Alembic's, not statements of the store
            continue
        module = importlib.import_module(f"{store_package.__name__}.{info.name}")
        for name, value in _defined_constants(module):
            if name.isupper() and isinstance(value, str) and SQL.match(value):
                found[f"{info.name}.{name}"] = value
                if hasattr(module, "ONLY_ON"):
                    ONLY_ON[f"{info.name}.{name}"] = module.ONLY_ON
    return found


STATEMENTS = driver_statements()


def _column_default(name: str) -> Any:
    kinds = {
        column.type.python_type
        for table in metadata.tables.values()
        for column in table.columns
        if column.name == name
    }
    assert len(kinds) == 1, f"no plausible value for :{name}: add one to PLAUSIBLE"
    return {int: 1, bool: False, str: "x", dict: "{}", bytes: b"x"}[kinds.pop()]


def plausible(sql: str) -> dict[str, Any]:
    """A value for every parameter of ``sql``, of its column's type."""
    params: dict[str, Any] = {}
    for name in PARAM.findall(sql):
        if re.fullmatch(r"s\d", name):
            params[name] = PATH[int(name[1:])]
        elif re.fullmatch(r"i\d+", name):  # an import batch's ``{ids}`` list (bulk_sql)
            params[name] = f"id{name[1:]}"
        else:
            params[name] = PLAUSIBLE[name] if name in PLAUSIBLE else _column_default(name)
    return params


def expansions(template: str) -> list[str]:
    """The statement as the store runs it: a template at every path length and address."""
    if "{" not in template:
        return [template]
    if "{ids}" in template and "{{ids}}" not in template:  # a chunked IN list of ids, digests
        return [template.format(ids=", ".join(f":i{n}" for n in range(n_ids))) for n_ids in (1, 3)]
    expanded = (
        on_path(template, levels, address)
        for levels in range(1, len(PATH) + 1)
        for address in ADDRESS_COLUMNS
    )
    found = list(dict.fromkeys(expanded))
    if "{{ids}}" in template:  # a path and a list of contacts (eligibility_sql.SITUATIONS)
        return [sql for each in found for sql in expansions(each)]
    return found


def test_the_statements_are_found_in_every_module_that_runs_driver_sql():
    modules = {label.split(".")[0] for label in STATEMENTS}
    assert {"scopes_sql", "contacts_sql", "ledger_sql", "eligibility_sql"} <= modules
    assert {"inbound_sql", "outbox_sql"} <= modules
    assert "ledger_sql.LOCK_CHAIN" in STATEMENTS and "eligibility_sql.SITUATION" in STATEMENTS


@pytest.mark.parametrize("label", sorted(STATEMENTS))
def test_every_driver_statement_parses_and_binds(db_url, label):
    if ONLY_ON.get(label, db_url.split(":")[0]) != db_url.split(":")[0]:
        pytest.skip(f"{label} runs on {ONLY_ON[label]} only")
    store = open_store(db_url, migrate=False)
    try:
        with store.transaction() as tx:  # rolled back: never committed
            for sql in expansions(STATEMENTS[label]):
                cursor = tx.db.run(sql, plausible(sql), write=True)
                if cursor.description is not None:
                    cursor.fetchall()
    finally:
        store.close()


def test_the_dialect_statements_run_on_their_database(db_url):
    engine = make_engine(db_url)
    dialect = of(engine)
    try:
        with engine.connect() as conn:
            dialect.begin_snapshot(conn)
        with engine.connect() as conn:
            if dialect.migration_lock is not None:
                conn.exec_driver_sql(dialect.migration_lock)
    finally:
        engine.dispose()
