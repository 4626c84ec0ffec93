"""The statements behind scopes: the group → client → user tree, whose ids are paths.

``GET_SCOPE`` is driver SQL: the eligibility read (``reader.py``) and every consent write look a
scope up; adding and listing scopes are Core.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from consentry.adapters.store import schema as t
from consentry.adapters.store.driver import Db
from consentry.core.errors import ScopeExists
from consentry.core.events import to_micros
from consentry.core.scopes import Scope, group_of

GET_SCOPE = "SELECT id, name FROM scopes WHERE id = :id"


def scope_from_row(row: tuple[str, str] | None) -> Scope | None:
    """A scope from a ``GET_SCOPE`` row (``None``: no such scope)."""
    if row is None:
        return None
    scope_id, name = row
    return Scope(scope_id, name)


def get_scope(db: Db, scope_id: str) -> Scope | None:
    """One scope by id."""
    return scope_from_row(db.one(GET_SCOPE, {"id": scope_id}))


def add_scope(db: Db, scope: Scope, created_at: datetime) -> None:
    """A new scope; ``ScopeExists`` when the id is taken."""
    values = {
        "id": scope.id,
        "group_id": scope.group_id,
        "kind": scope.kind.value,
        "name": scope.name,
        "created_at": to_micros(created_at),
    }
    try:
        with db.conn.begin_nested():
            db.conn.execute(insert(t.scopes).values(**values))
    except IntegrityError as exc:
        raise ScopeExists(f"scope {scope.id!r} already exists", scope=scope.id) from exc


def list_scopes(db: Db, under: str) -> list[Scope]:
    """The scope ``under`` and every scope below it, in id order."""
    s = t.scopes.c
    query = select(s.id, s.name).where(s.group_id == group_of(under)).order_by(s.id)
    rows = db.conn.execute(query).all()
    return [Scope(r.id, r.name) for r in rows if r.id == under or r.id.startswith(under + "/")]
