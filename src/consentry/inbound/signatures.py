"""Webhook signatures: Twilio's HMAC-SHA1 scheme and Consentry's own HMAC-SHA256 scheme.

Twilio (twilio.com/docs/usage/webhooks/webhooks-security): ``X-Twilio-Signature`` is
Base64(HMAC-SHA1(auth token, the full URL Twilio called + every POST parameter's name and
value, sorted by name, no separators)). The URL is the *public* one: behind a TLS-terminating
proxy the request the app sees has another scheme, host or port, so the base URL comes from
configuration. Twilio's SDKs accept the URL with and without the default port; so do we.

Generic JSON (ours, Stripe-style): ``X-Consentry-Timestamp: <unix seconds>`` and
``X-Consentry-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>``. A
timestamp more than ``tolerance`` seconds away from now is refused, so a captured request
cannot be replayed later; within the window the message id deduplicates.

Several secrets may be configured at once (rotation): any one of them verifies. Every
comparison is constant-time (``hmac.compare_digest``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit, urlunsplit

from consentry.core.errors import SignatureInvalid

DEFAULT_PORTS = {"https": 443, "http": 80}


def twilio_signature(token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The signature Twilio sends for a form POST to ``url`` with ``params``."""
    data = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def url_variants(url: str) -> list[str]:
    """The URL as given, and with its default port added or removed."""
    parts = urlsplit(url)
    port = DEFAULT_PORTS.get(parts.scheme)
    host = parts.hostname or ""
    if port is None or not host:
        return [url]
    if parts.port == port:
        other = parts._replace(netloc=host)
    elif parts.port is None:
        other = parts._replace(netloc=f"{host}:{port}")
    else:
        return [url]
    return [url, urlunsplit(other)]


def verify_twilio(
    tokens: Sequence[str], url: str, params: Sequence[tuple[str, str]], signature: str | None
) -> None:
    """Refuse a Twilio request whose signature matches no configured token."""
    if not tokens:
        raise SignatureInvalid("no Twilio auth token is configured on this deployment")
    if not signature:
        raise SignatureInvalid("the X-Twilio-Signature header is missing")
    for token in tokens:
        for candidate in url_variants(url):
            expected = twilio_signature(token, candidate, params)
            if hmac.compare_digest(expected.encode(), signature.strip().encode()):
                return
    raise SignatureInvalid("the X-Twilio-Signature header does not match the request")


def hmac_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` over ``"<timestamp>." + body``: the generic webhook's signature."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_hmac(
    secrets: Sequence[str],
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
    tolerance: int = 300,
) -> None:
    """Refuse a generic webhook with a missing, stale or wrong signature."""
    if not secrets:
        raise SignatureInvalid("no inbound webhook secret is configured on this deployment")
    if not timestamp or not signature:
        raise SignatureInvalid("X-Consentry-Timestamp and X-Consentry-Signature are required")
    try:
        sent = int(timestamp)
    except ValueError:
        raise SignatureInvalid("X-Consentry-Timestamp must be Unix seconds") from None
    if abs(now - sent) > tolerance:
        raise SignatureInvalid("the request's timestamp is too old or in the future")
    for secret in secrets:
        expected = hmac_signature(secret, timestamp, body)
        if hmac.compare_digest(expected.encode(), signature.strip().encode()):
            return
    raise SignatureInvalid("X-Consentry-Signature does not match the request")
