"""Signed, expiring link tokens: HMAC-SHA256 with a key id, so keys can rotate (decision 030).

A token is three base64url parts joined by dots::

    kid . payload . signature        signature = HMAC-SHA256(key[kid], "kid.payload")

The payload is compact JSON: purpose ``p``, contact ``c``, scope ``s``, channels ``ch`` and the
expiry ``e`` (Unix seconds). The newest key signs; every configured key verifies, so a link
signed before a rotation keeps working until the old key is removed. A token that is altered,
malformed or signed with an unknown key is ``link_invalid``; a genuine one past its expiry is
``link_expired`` (checked only after the signature, so an expiry is never told to a forger).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime

from consentry.core.channels import Channel
from consentry.core.errors import Invalid, LinkExpired, LinkInvalid
from consentry.core.links import LinkClaims, LinkPurpose

KID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
MIN_KEY_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise LinkInvalid("the link is malformed")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise LinkInvalid("the link is malformed") from exc


def parse_keys(text: str) -> list[tuple[str, bytes]]:
    """Read ``kid:hex,kid:hex`` (newest first) into (kid, key) pairs."""
    keys: list[tuple[str, bytes]] = []
    for item in (part.strip() for part in text.split(",")):
        kid, _, hexkey = item.partition(":")
        try:
            key = bytes.fromhex(hexkey)
        except ValueError:
            key = b""
        if not KID.match(kid) or len(key) < MIN_KEY_BYTES:
            raise Invalid(
                "CONSENTRY_SECRET_KEYS must be 'kid:hex,…' with kids of letters, digits, '-' "
                f"or '_' and keys of at least {MIN_KEY_BYTES} bytes"
            )
        keys.append((kid, key))
    if len({kid for kid, _ in keys}) != len(keys):
        raise Invalid("CONSENTRY_SECRET_KEYS names a key id twice")
    return keys


class LinkSigner:
    """Signs and verifies link tokens with a ring of keys; the first key signs."""

    def __init__(self, keys: Sequence[tuple[str, bytes]], base_url: str = "") -> None:
        if not keys:
            raise Invalid("a link signer needs at least one key")
        self._signing = keys[0]
        self._keys = dict(keys)
        self.base_url = base_url.rstrip("/")

    def url(self, claims: LinkClaims) -> str:
        """The hosted page for a new token: ``/confirm/…`` for confirmations, else ``/u/…``."""
        page = "confirm" if claims.purpose is LinkPurpose.CONFIRM else "u"
        return f"{self.base_url}/{page}/{self.sign(claims)}"

    def sign(self, claims: LinkClaims) -> str:
        """A token carrying ``claims``, signed with the newest key."""
        kid, key = self._signing
        body = {
            "p": claims.purpose.value,
            "c": claims.contact_id,
            "s": claims.scope_id,
            "ch": [c.value for c in claims.channels],
            "e": int(claims.expires_at.timestamp()),
        }
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{kid}.{payload}.{_b64(_mac(key, kid, payload))}"

    def verify(self, token: str, now: datetime) -> LinkClaims:
        """The claims of a genuine, unexpired token; ``link_invalid`` / ``link_expired``."""
        parts = token.split(".")
        if len(parts) != 3:
            raise LinkInvalid("the link is malformed")
        kid, payload, signature = parts
        key = self._keys.get(kid)
        if key is None:
            raise LinkInvalid("the link was signed with an unknown key")
        if not hmac.compare_digest(_mac(key, kid, payload), _unb64(signature)):
            raise LinkInvalid("the link was altered")
        claims = _claims(_unb64(payload))
        if now >= claims.expires_at:
            raise LinkExpired("the link has expired", expired_at=claims.expires_at.isoformat())
        return claims


def _mac(key: bytes, kid: str, payload: str) -> bytes:
    return hmac.new(key, f"{kid}.{payload}".encode(), hashlib.sha256).digest()


def _claims(raw: bytes) -> LinkClaims:
    """Decode a signed payload (it is genuine, but still checked for shape)."""
    try:
        body = json.loads(raw)
        return LinkClaims(
            purpose=LinkPurpose(body["p"]),
            contact_id=str(body["c"]),
            scope_id=str(body["s"]),
            channels=tuple(Channel(c) for c in body["ch"]),
            expires_at=datetime.fromtimestamp(int(body["e"]), UTC),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise LinkInvalid("the link's content is not understood") from exc
