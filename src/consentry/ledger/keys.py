"""API keys: create (the secret shown once), list, revoke; and authenticate a token (SPEC §3).

``authenticate`` is for entrypoints (the API's bearer check), not on the ``Ledger`` facade.

A key is ``csk_<key id>_<secret>``: the id finds the row, the secret (256 random bits, hex)
is checked against its stored SHA-256 in constant time. Only the hash is kept, so a copy of
the database cannot be used to call the API. A key carries a role and a scope, and acts
in the ledger as ``api_key:<key id>``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from consentry.core import limits
from consentry.core.access import ApiKey
from consentry.core.errors import ApiKeyNotFound, Invalid, Unauthenticated
from consentry.core.ids import new_id
from consentry.core.permissions import Capability, Principal, Role, authorise
from consentry.core.scopes import is_within
from consentry.ledger.context import Context
from consentry.ledger.steps import load_scope

PREFIX = "csk_"
#: The roles a key may carry (the contact and the operator never hold keys).
KEY_ROLES = (Role.ADMIN, Role.STAFF, Role.VIEWER, Role.SENDER)


def hash_secret(secret: str) -> str:
    """The stored form of a key's secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def split_token(token: str) -> tuple[str, str] | None:
    """``csk_<key id>_<secret>`` → (key id, secret), or ``None`` when malformed."""
    if not token.startswith(PREFIX):
        return None
    key_id, sep, secret = token[len(PREFIX) :].rpartition("_")
    if not sep or not key_id or not secret:
        return None
    return key_id, secret


def create_api_key(
    ctx: Context, principal: Principal, role: str | Role, scope_id: str, *, name: str = ""
) -> tuple[ApiKey, str]:
    """A new key with a role at a scope; returns it and the token, shown this once."""
    key_role = _key_role(role)
    now = ctx.clock.now()
    with ctx.store.transaction() as tx:
        scope = load_scope(ctx, tx, principal, scope_id)
        authorise(principal, Capability.MANAGE_KEYS, scope.id)
        key = ApiKey(
            id=new_id("key", now),
            group_id=scope.group_id,
            role=key_role,
            scope_id=scope.id,
            name=limits.text(
                (name or f"{key_role.value} key").strip(), field="name", max_length=limits.NAME
            ),
            created_at=now,
        )
        secret = secrets.token_hex(32)
        tx.add_api_key(key, hash_secret(secret))
        tx.commit()
    return key, f"{PREFIX}{key.id}_{secret}"


def list_api_keys(ctx: Context, principal: Principal) -> list[ApiKey]:
    """The keys at and below the principal's scope, revoked ones included."""
    authorise(principal, Capability.MANAGE_KEYS)
    with ctx.store.transaction(write=False) as tx:
        keys = tx.list_api_keys(principal.group_id)
    return [k for k in keys if is_within(k.scope_id, principal.scope_id)]


def revoke_api_key(ctx: Context, principal: Principal, key_id: str) -> ApiKey:
    """Revoke a key at once; revoking twice is harmless."""
    authorise(principal, Capability.MANAGE_KEYS)
    limits.text(key_id, field="key", max_length=limits.ID)
    with ctx.store.transaction() as tx:
        found = tx.get_api_key(key_id)
        if found is None or found[0].group_id != principal.group_id:
            raise ApiKeyNotFound(f"no API key {key_id!r}", key_id=key_id)
        authorise(principal, Capability.MANAGE_KEYS, found[0].scope_id)
        tx.revoke_api_key(key_id, ctx.clock.now())
        after = tx.get_api_key(key_id)
        tx.commit()
    assert after is not None
    return after[0]


def authenticate(ctx: Context, token: str) -> Principal:
    """The principal a key token speaks for; ``Unauthenticated`` unless valid and live."""
    parts = split_token(token.strip())
    if parts is None:
        raise Unauthenticated("the API key is malformed: expected csk_<id>_<secret>")
    key_id, secret = parts
    with ctx.store.reader() as reader:  # one statement, no transaction round trips (issue 12)
        found = reader.get_api_key(key_id)
    given = hash_secret(secret)
    stored = found[1] if found else hash_secret("")
    if found is None or not hmac.compare_digest(given, stored):
        raise Unauthenticated("the API key is not valid")
    key = found[0]
    if key.revoked_at is not None:
        raise Unauthenticated("the API key was revoked", key_id=key.id)
    return Principal(key.role, key.scope_id, key.id, via_key=True)


def _key_role(role: str | Role) -> Role:
    try:
        value = Role(str(role).strip().lower())
    except ValueError:
        value = None
    if value not in KEY_ROLES:
        allowed = ", ".join(r.value for r in KEY_ROLES)
        raise Invalid(f"a key's role is one of {allowed}", role=str(role), allowed=allowed)
    assert value is not None
    return value
