"""Staff users' passwords: Argon2id through ``argon2-cffi`` (the ``PasswordHasher`` port).

Argon2id is OWASP's first recommendation for password storage; ``argon2-cffi`` wraps the
reference implementation and its defaults follow RFC 9106's recommended profile. A stored hash
names its own parameters, so raising them later only makes ``needs_rehash`` say yes, and the
next sign-in stores a new hash (``ledger.users.sign_in``). Docs: docs/decisions/061.
"""

from __future__ import annotations

import argon2
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Passwords:
    """Argon2id hashes with ``argon2-cffi``'s default parameters (or the hasher given)."""

    def __init__(self, hasher: argon2.PasswordHasher | None = None) -> None:
        self._hasher = hasher or argon2.PasswordHasher()

    def hash(self, password: str) -> str:
        """A new salted hash of the password, in the PHC string format."""
        return self._hasher.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        """True when the password matches; False for a mismatch or a malformed hash."""
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """True when the hash was made with other parameters than this hasher's."""
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True
