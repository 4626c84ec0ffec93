"""The statements behind staff users and their sessions (SQLAlchemy Core, off the hot paths).

A user's password is kept only as its hash (``ports.PasswordHasher``), a session only as a
SHA-256 of its token: a copy of the database signs no one in. A session is read together with
its user in one statement, so a disabled user's session ends at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from consentry.adapters.store import schema as t
from consentry.adapters.store.driver import Db
from consentry.core.errors import UserExists
from consentry.core.events import from_micros, to_micros
from consentry.core.permissions import Role
from consentry.core.users import User

_U = t.users.c
_S = t.staff_sessions.c
_USER = (_U.id, _U.email, _U.name, _U.role, _U.scope_id, _U.created_at, _U.disabled_at)


# ── users ───────────────────────────────────────────────────────────────────
def add_user(db: Db, user: User, password_hash: str) -> None:
    """A new user; ``UserExists`` when the email address is taken."""
    values = {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role.value,
        "scope_id": user.scope_id,
        "group_id": user.group_id,
        "password_hash": password_hash,
        "created_at": to_micros(user.created_at),
        "disabled_at": to_micros(user.disabled_at),
    }
    try:
        with db.conn.begin_nested():
            db.conn.execute(insert(t.users).values(**values))
    except IntegrityError as exc:
        raise UserExists(f"a user with email {user.email!r} exists", email=user.email) from exc


def get_user(db: Db, user_id: str) -> User | None:
    """One user by id, or None."""
    row = db.conn.execute(select(*_USER).where(_U.id == user_id)).first()
    return None if row is None else _user(row)


def find_user(db: Db, email: str) -> tuple[User, str] | None:
    """The user with this email address and their password hash, or None."""
    row = db.conn.execute(select(*_USER, _U.password_hash).where(_U.email == email)).first()
    return None if row is None else (_user(row), row.password_hash)


def list_users(db: Db, group_id: str | None) -> list[User]:
    """A group's users, or every group's (``None``), ordered by email address."""
    query = select(*_USER).order_by(_U.email)
    if group_id is not None:
        query = query.where(_U.group_id == group_id)
    return [_user(r) for r in db.conn.execute(query)]


def disable_user(db: Db, user_id: str, disabled_at: datetime) -> None:
    """Disable a user (a disabled user stays disabled at its first time)."""
    query = update(t.users).where(_U.id == user_id, _U.disabled_at.is_(None))
    db.conn.execute(query.values(disabled_at=to_micros(disabled_at)))


def set_password_hash(db: Db, user_id: str, password_hash: str) -> None:
    """Replace a user's password hash (a rehash with the hasher's current parameters)."""
    query = update(t.users).where(_U.id == user_id).values(password_hash=password_hash)
    db.conn.execute(query)


def _user(row: Any) -> User:
    created_at = from_micros(row.created_at)
    assert created_at is not None
    return User(
        id=row.id,
        email=row.email,
        name=row.name,
        role=Role(row.role),
        scope_id=row.scope_id,
        created_at=created_at,
        disabled_at=from_micros(row.disabled_at),
    )


# ── sessions (only a SHA-256 of the token is kept) ─────────────────────────
def add_session(
    db: Db, token_hash: str, user_id: str, created_at: datetime, expires_at: datetime
) -> None:
    """A new session of a user."""
    values = {
        "token_hash": token_hash,
        "user_id": user_id,
        "created_at": to_micros(created_at),
        "expires_at": to_micros(expires_at),
    }
    db.conn.execute(insert(t.staff_sessions).values(**values))


def get_session(db: Db, token_hash: str) -> tuple[User, datetime] | None:
    """The session's user and its expiry, by the hash of its token, or None."""
    query = (
        select(*_USER, _S.expires_at.label("session_expires_at"))
        .join(t.staff_sessions, _S.user_id == _U.id)
        .where(_S.token_hash == token_hash)
    )
    row = db.conn.execute(query).first()
    if row is None:
        return None
    expires_at = from_micros(row.session_expires_at)
    assert expires_at is not None
    return _user(row), expires_at


def delete_session(db: Db, token_hash: str) -> None:
    """End one session (nothing when it is gone already)."""
    db.conn.execute(delete(t.staff_sessions).where(_S.token_hash == token_hash))


def delete_sessions(db: Db, user_id: str, expired_by: datetime | None = None) -> int:
    """End a user's sessions, or only those expired by a moment; how many ended."""
    query = delete(t.staff_sessions).where(_S.user_id == user_id)
    if expired_by is not None:
        query = query.where(_S.expires_at <= to_micros(expired_by))
    return len(db.conn.execute(query.returning(_S.token_hash)).all())
