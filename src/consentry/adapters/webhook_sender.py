"""Posting webhook deliveries, signed per the Standard Webhooks spec (decision 076).

``HttpSender`` posts one delivery with httpx: ``webhook-id`` (the delivery's id, the same on
every retry), ``webhook-timestamp`` (the moment of sending, Unix seconds, from the wall clock:
receivers refuse a timestamp more than 5 minutes off theirs) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, made by the ``standardwebhooks`` package).
It follows no redirect, reads no response body and never raises for the receiver: a timeout,
a refused connection or a non-2xx answer is a ``SendResult`` the worker records and retries.

Unless private addresses are allowed (``CONSENTRY_WEBHOOK_ALLOW_PRIVATE``, decision 080), the
client connects through ``PublicOnly``, an httpcore network backend: it resolves the host
itself, refuses the connection when any address it resolves to is not public
(``core.public_addresses.is_public``), and connects to the address it checked, so a name
that resolves to a public address for the check and a private one for the connection (DNS
rebinding) never gets through. The refusal is the attempt's error (``ConnectError:
webhook_url_not_public: …``). No proxy from the environment is used: the check would judge
the proxy, not the receiver.

``DerivedSecrets`` makes each subscription's ``whsec_…`` secret as HMAC-SHA256 of its id under
a key derived from the deployment's address key (decision 051 keeps it outside the database),
so no secret is stored anywhere: a copy of the database cannot sign a webhook.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import typing
from collections.abc import Callable, Iterable
from time import perf_counter

import httpcore
import httpx
from standardwebhooks.webhooks import Webhook

from consentry.adapters.clock import SystemClock
from consentry.core.public_addresses import is_public
from consentry.core.webhooks import SendResult, clipped
from consentry.ledger.ports import Clock

TIMEOUT = 10.0  #: seconds for connecting, and again for the answer
USER_AGENT = "Consentry-Webhooks/1"
_LABEL = b"consentry: webhook signing secrets v1"


class DerivedSecrets:
    """Each subscription's signing secret, derived from the deployment's key and its id."""

    def __init__(self, deployment_key: bytes) -> None:
        self._key = hmac.new(deployment_key, _LABEL, hashlib.sha256).digest()

    def secret(self, subscription_id: str) -> str:
        """The ``whsec_…`` secret (32 bytes, base64) of a subscription."""
        raw = hmac.new(self._key, subscription_id.encode(), hashlib.sha256).digest()
        return "whsec_" + base64.b64encode(raw).decode()


class HttpSender:
    """Posts signed deliveries with httpx (the adapter behind ``ports.WebhookSender``)."""

    def __init__(
        self,
        timeout: float = TIMEOUT,
        clock: Clock | None = None,
        client: httpx.Client | None = None,
        *,
        allow_private: bool = False,
    ) -> None:
        self.clock = clock or SystemClock()
        transport = None if allow_private else public_only_transport()
        self.client = client or httpx.Client(
            timeout=timeout, follow_redirects=False, transport=transport, trust_env=False
        )

    def send(self, url: str, secret: str, *, message_id: str, body: str) -> SendResult:
        """POST ``body``; the status code, or the error that stopped it, and how long it took."""
        now = self.clock.now()
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(message_id, now, body),
        }
        started = perf_counter()
        try:
            with self.client.stream("POST", url, content=body.encode(), headers=headers) as answer:
                code = answer.status_code
        except httpx.HTTPError as exc:
            return SendResult(None, clipped(f"{type(exc).__name__}: {exc}"), _ms(started))
        error = None if 200 <= code < 300 else f"HTTP {code}"
        return SendResult(code, error, _ms(started))

    def close(self) -> None:
        """Release the connection pool."""
        self.client.close()


Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to for a TCP connection (the system's resolver)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


class NotPublic(httpcore.ConnectError):
    """A connection refused because the host is, or resolves to, an address not public."""


class PublicOnly(httpcore.SyncBackend):
    """An httpcore network backend that connects only to public addresses, and only to the
    one it checked (a host is resolved once per connection, here)."""

    def __init__(
        self, resolver: Resolver = resolve, allowed: Callable[[str], bool] = is_public
    ) -> None:
        self.resolver = resolver
        self.allowed = allowed

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        """Resolve, check every address, then connect to the first that answers."""
        try:
            addresses = self.resolver(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"{host}: {exc}") from exc
        closed = [a for a in addresses if not self.allowed(a)]
        if closed or not addresses:
            raise NotPublic(
                f"webhook_url_not_public: {host} resolves to {', '.join(closed) or 'nothing'}, "
                "not a public address"
            )
        failed: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failed = exc
        assert failed is not None
        raise failed


def public_only_transport(backend: PublicOnly | None = None) -> httpx.HTTPTransport:
    """An httpx transport whose every connection goes through ``PublicOnly``."""
    transport = httpx.HTTPTransport(trust_env=False)
    transport._pool = httpcore.ConnectionPool(  # the one way to give httpx a network backend
        ssl_context=httpx.create_ssl_context(trust_env=False),
        network_backend=backend or PublicOnly(),
    )
    return transport


def _ms(started: float) -> int:
    return int((perf_counter() - started) * 1000)
