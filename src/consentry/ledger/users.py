"""Staff users and their sessions: create, list and disable users; sign in, read a session,
sign out (issue 9; docs/decisions/061).

``create_user``, ``list_users`` and ``disable_user`` are on the ``Ledger`` facade. ``sign_in``,
``session_of`` and ``sign_out`` are for entrypoints (the staff web app), like
``keys.authenticate``: they take no principal, since they are how one is found.

Who may manage users is the same rule set as everything else (``core/permissions.py``): the
``manage_users`` capability, which admins and the operator hold, at a scope within the caller's.
The operator (role system) lists and disables users across the deployment, as its ``verify``
checks every group's chains.

Signing in counts the attempt per email address and per client IP in the database first
(shared by every app server), then checks the password; an unknown email address is checked
against a dummy hash, so the answer and its timing are the same for an unknown address, a wrong
password and a disabled user: ``sign_in_failed``. A session's token (256 random bits) is the
cookie's value, shown once; the store keeps its SHA-256. The CSRF token is an HMAC of a constant
under the session's token: derived, never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from consentry.core import limits
from consentry.core.channels import AddressKind
from consentry.core.errors import (
    Invalid,
    InvalidEmail,
    SignInFailed,
    SignInRateLimited,
    Unauthenticated,
    UserNotFound,
)
from consentry.core.ids import new_id
from consentry.core.permissions import Capability, Principal, Role, authorise
from consentry.core.scopes import group_of, is_within, parse_scope_id
from consentry.core.users import (
    MAX_PASSWORD,
    SESSION_TTL,
    STAFF_ROLES,
    StaffSession,
    User,
    check_password,
)
from consentry.ledger.context import Context
from consentry.ledger.ports import PasswordHasher
from consentry.ledger.steps import load_scope

#: Sign-in attempts counted in fixed windows, per email address and per client IP.
RATE_WINDOW = timedelta(minutes=15)
PER_EMAIL_LIMIT = 10
PER_IP_LIMIT = 50
TOKEN_BYTES = 32
MAX_TOKEN = 128  #: a cookie value longer than this is no token of ours
CSRF_CONTEXT = b"consentry-csrf"


def hash_token(token: str) -> str:
    """The stored form of a session's token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(token: str) -> str:
    """The CSRF token of the session whose cookie holds ``token`` (stable, and unguessable
    without the token)."""
    return hmac.new(token.encode(), CSRF_CONTEXT, hashlib.sha256).hexdigest()


# ── managing users (on the facade) ──────────────────────────────────────────
def create_user(
    ctx: Context,
    principal: Principal,
    email: str,
    *,
    name: str,
    role: Role,
    scope_id: str,
    password: str,
) -> User:
    """A new user with a staff role at a scope within the caller's; the password is hashed."""
    hasher = _hasher(ctx)
    authorise(principal, Capability.MANAGE_USERS)  # the role first, then the input
    user_role = _user_role(role)
    address = ctx.addresses.email(limits.text(email, field="email", max_length=limits.EMAIL))
    full_name = _name(name)
    sid = parse_scope_id(limits.text(scope_id, field="scope", max_length=limits.SCOPE_ID))
    authorise(principal, Capability.MANAGE_USERS, sid)
    password_hash = hasher.hash(check_password(password))  # slow: before the write lock
    now = ctx.clock.now()
    with ctx.store.transaction() as tx:
        scope = load_scope(ctx, tx, principal, sid)
        user = User(new_id("us", now), address, full_name, user_role, scope.id, now)
        tx.add_user(user, password_hash)
        tx.commit()
    return user


def list_users(ctx: Context, principal: Principal, *, scope_id: str | None = None) -> list[User]:
    """The users at and below the caller's scope (or ``scope_id``, within it), by email."""
    under = _reach(principal)
    if scope_id is not None:
        under = parse_scope_id(limits.text(scope_id, field="scope", max_length=limits.SCOPE_ID))
        if principal.role is not Role.SYSTEM:
            authorise(principal, Capability.MANAGE_USERS, under)
    with ctx.store.transaction(write=False) as tx:
        users = tx.list_users(None if under is None else group_of(under))
    return [u for u in users if under is None or is_within(u.scope_id, under)]


def disable_user(ctx: Context, principal: Principal, user_id: str) -> User:
    """Disable a user within the caller's scope and end their sessions, in one transaction.

    Disabling twice is harmless; a disabled user stays, so the history keeps their name.
    """
    reach = _reach(principal)
    limits.text(user_id, field="user", max_length=limits.ID)
    with ctx.store.transaction() as tx:
        user = tx.get_user(user_id)
        if user is None or (reach is not None and user.group_id != principal.group_id):
            raise UserNotFound(f"no user {user_id!r}", user_id=user_id)
        if reach is not None:
            authorise(principal, Capability.MANAGE_USERS, user.scope_id)
        tx.disable_user(user.id, ctx.clock.now())
        tx.delete_sessions(user.id)
        after = tx.get_user(user.id)
        tx.commit()
    assert after is not None
    return after


# ── signing in and out (for entrypoints) ────────────────────────────────────
def sign_in(
    ctx: Context,
    email: str,
    password: str,
    *,
    client_ip: str,
    previous_token: str | None = None,
) -> tuple[StaffSession, str]:
    """A new session for the right email and password; the session and its token (the cookie
    value, shown once). The session ``previous_token`` names is ended (rotation on sign-in)."""
    hasher = _hasher(ctx)
    address = _sign_in_name(ctx, email)
    _count_attempt(ctx, address, client_ip)
    user, stored = _checked(ctx, hasher, address, password)
    rehashed = hasher.hash(password) if hasher.needs_rehash(stored) else None
    now = ctx.clock.now()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = now + SESSION_TTL
    with ctx.store.transaction() as tx:
        if rehashed is not None:
            tx.set_password_hash(user.id, rehashed)
        if previous_token is not None and _plausible(previous_token):
            tx.delete_session(hash_token(previous_token))
        tx.delete_sessions(user.id, expired_by=now)
        tx.add_session(hash_token(token), user.id, now, expires_at)
        tx.commit()
    return StaffSession(user, expires_at, csrf_token(token)), token


def session_of(ctx: Context, token: str) -> StaffSession:
    """The live session whose cookie holds ``token``; ``Unauthenticated`` when there is none,
    it has expired or its user is disabled."""
    if not _plausible(token):
        raise Unauthenticated("not signed in")
    with ctx.store.transaction(write=False) as tx:
        found = tx.get_session(hash_token(token))
    if found is None:
        raise Unauthenticated("the session has ended: sign in again")
    user, expires_at = found
    if expires_at <= ctx.clock.now():
        raise Unauthenticated("the session has expired: sign in again")
    if user.disabled_at is not None:
        raise Unauthenticated("the session has ended: sign in again")
    return StaffSession(user, expires_at, csrf_token(token))


def sign_out(ctx: Context, token: str) -> None:
    """End the session whose cookie holds ``token`` (nothing when it is gone already)."""
    if not _plausible(token):
        return
    with ctx.store.transaction() as tx:
        tx.delete_session(hash_token(token))
        tx.commit()


# ── the steps ───────────────────────────────────────────────────────────────
def _hasher(ctx: Context) -> PasswordHasher:
    if ctx.passwords is None:
        raise Invalid("this ledger has no password hasher (build it with bootstrap.build)")
    return ctx.passwords


def _user_role(role: Role) -> Role:
    try:
        value = Role(str(role).strip().lower())
    except ValueError:
        value = None
    if value not in STAFF_ROLES:
        allowed = ", ".join(r.value for r in STAFF_ROLES)
        raise Invalid(f"a user's role is one of {allowed}", role=str(role), allowed=allowed)
    assert value is not None
    return value


def _name(name: str) -> str:
    text = limits.text(name, field="name", max_length=limits.NAME).strip()
    if not text:
        raise Invalid("a user needs a name", field="name")
    return text


def _reach(principal: Principal) -> str | None:
    """The scope under which the caller manages users; ``None``: the whole deployment."""
    authorise(principal, Capability.MANAGE_USERS)
    return None if principal.role is Role.SYSTEM else principal.scope_id


def _sign_in_name(ctx: Context, email: str) -> str:
    """The email address as stored; one that is not valid is looked up as typed (and not found),
    so it is answered like any other unknown address."""
    limits.text(email, field="email", max_length=limits.EMAIL)
    try:
        return ctx.addresses.email(email)
    except InvalidEmail:
        return email.strip().lower()


def _count_attempt(ctx: Context, address: str, client_ip: str) -> None:
    """Count one attempt for the address and for the client IP; ``SignInRateLimited`` past
    either limit. Committed at once, so failed attempts count too."""
    now = ctx.clock.now()
    window = _window_start(now)
    by_email = ctx.addresses.digest(AddressKind.EMAIL, f"sign-in:{address}")
    by_ip = ctx.addresses.digest(AddressKind.EMAIL, f"sign-in-ip:{client_ip}")
    with ctx.store.transaction() as tx:
        email_hits = tx.hit_rate_limit(f"se:{by_email}", window)
        ip_hits = tx.hit_rate_limit(f"si:{by_ip}", window)
        tx.commit()
    if email_hits > PER_EMAIL_LIMIT or ip_hits > PER_IP_LIMIT:
        wait = int((window + RATE_WINDOW - now).total_seconds()) + 1
        raise SignInRateLimited(
            f"too many sign-in attempts; try again in {(wait + 59) // 60} minutes",
            retry_after=wait,
        )


def _checked(ctx: Context, hasher: PasswordHasher, address: str, password: str) -> tuple[User, str]:
    """The user and their stored hash when the password is right and the user is enabled."""
    with ctx.store.transaction(write=False) as tx:
        found = tx.find_user(address)
    stored = found[1] if found is not None else _dummy_hash(ctx, hasher)
    given = password if len(password) <= MAX_PASSWORD else ""  # longer was never accepted
    matches = hasher.verify(stored, given)
    if found is None or not matches or found[0].disabled_at is not None:
        raise SignInFailed("the email address or the password is wrong")
    return found


def _dummy_hash(ctx: Context, hasher: PasswordHasher) -> str:
    """A hash no password is known for, made once per context (its parameters are the real
    ones, so checking against it takes as long)."""
    if ctx.memo.dummy_password_hash is None:
        ctx.memo.dummy_password_hash = hasher.hash(secrets.token_urlsafe(TOKEN_BYTES))
    return ctx.memo.dummy_password_hash


def _plausible(token: str) -> bool:
    """Could this be one of our tokens? (Anything else is no session, without a look-up.)"""
    return isinstance(token, str) and 0 < len(token) <= MAX_TOKEN and token.isascii()


def _window_start(now: datetime) -> datetime:
    """The start of the fixed rate-limit window that holds ``now``."""
    seconds = int(RATE_WINDOW.total_seconds())
    return datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, now.tzinfo)
