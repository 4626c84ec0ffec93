"""Scopes: a group, its clients, their users (SPEC §1; docs/decisions/001)."""

from __future__ import annotations

from consentry.core import limits
from consentry.core.errors import Forbidden, OutOfScope
from consentry.core.permissions import Capability, Principal, Role, authorise, can_read_scope
from consentry.core.scopes import Scope, parent_of, parse_scope_id
from consentry.ledger.context import Context
from consentry.ledger.steps import load_scope


def add_scope(
    ctx: Context, principal: Principal, scope_id: str, *, name: str | None = None
) -> Scope:
    """Add a group (system only), a client under a group, or a user under a client."""
    sid = parse_scope_id(limits.text(scope_id, field="id", max_length=limits.SCOPE_ID))
    limits.optional_text(name, field="name", max_length=limits.NAME)
    scope = Scope(sid, (name or sid.rsplit("/", 1)[-1]).strip())
    parent = parent_of(sid)
    with ctx.store.transaction() as tx:
        if parent is None:
            if principal.role is not Role.SYSTEM:
                raise Forbidden("only the deployment's operator adds groups")
            authorise(principal, Capability.MANAGE_SCOPES, sid)
        else:
            authorise(principal, Capability.MANAGE_SCOPES, parent)
            load_scope(ctx, tx, principal, parent)
        tx.add_scope(scope, ctx.clock.now())
        tx.commit()
    return scope


def get_scope(ctx: Context, principal: Principal, scope_id: str) -> Scope:
    """One scope of the principal's group, at, above or below the principal's scope."""
    authorise(principal, Capability.VIEW)
    with ctx.store.transaction(write=False) as tx:
        scope = load_scope(ctx, tx, principal, scope_id)
    if not can_read_scope(principal, scope.id):
        raise OutOfScope(f"scope {scope.id!r} is outside {principal.scope_id!r}")
    return scope


def list_scopes(ctx: Context, principal: Principal) -> list[Scope]:
    """The scopes at and below the principal's scope."""
    authorise(principal, Capability.VIEW)
    with ctx.store.transaction(write=False) as tx:
        return tx.list_scopes(principal.scope_id)
