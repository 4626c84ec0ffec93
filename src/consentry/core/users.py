"""The people who sign in to the staff web app: users and their sessions (docs/decisions/061).

A ``User`` is a person with an email address (the sign-in name), a staff role and a scope, the
same pair an API key carries; they act in the ledger under their email address. A
``StaffSession`` is one signed-in browser: absolute, ``SESSION_TTL`` from sign-in. Its cookie
value is shown once and kept only as a hash; its CSRF token is derived from it, never stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from consentry.core import limits
from consentry.core.errors import WeakPassword
from consentry.core.permissions import Principal, Role
from consentry.core.scopes import group_of

#: The roles a user may hold (the sending services, the contact and the operator never sign in).
STAFF_ROLES = (Role.ADMIN, Role.STAFF, Role.VIEWER)
#: The shortest and the longest password accepted (NIST SP 800-63B: length, not composition).
MIN_PASSWORD = 12
MAX_PASSWORD = 256
#: How long a session lasts from sign-in, however busy it is (no sliding expiry).
SESSION_TTL = timedelta(hours=8)


@dataclass(frozen=True, slots=True)
class User:
    """A person who signs in: who they are, what they may do and where. Never the password."""

    id: str
    email: str
    name: str
    role: Role
    scope_id: str
    created_at: datetime
    disabled_at: datetime | None = None

    @property
    def group_id(self) -> str:
        """The group the user belongs to; they never see another."""
        return group_of(self.scope_id)

    def principal(self) -> Principal:
        """The caller this user is: their role at their scope, recorded under their email."""
        return Principal(self.role, self.scope_id, self.email)


@dataclass(frozen=True, slots=True)
class StaffSession:
    """One signed-in browser: whose it is, until when, and the token its forms must carry."""

    user: User
    expires_at: datetime
    csrf_token: str


def check_password(password: str) -> str:
    """``password`` if it is ``MIN_PASSWORD``..``MAX_PASSWORD`` characters of one line of text.

    Shorter is ``weak_password``; longer is ``text_too_long``; a control character is
    ``invalid_text``. The messages never repeat the password.
    """
    limits.text(password, field="password", max_length=MAX_PASSWORD)
    if len(password) < MIN_PASSWORD:
        raise WeakPassword(
            f"a password needs at least {MIN_PASSWORD} characters; a few unrelated words make "
            "a long one that is easy to remember",
            field="password",
            min_length=MIN_PASSWORD,
        )
    return password
