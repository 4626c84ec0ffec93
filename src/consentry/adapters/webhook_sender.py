"""Posting webhook deliveries, signed per the Standard Webhooks spec (decision 076).

``HttpSender`` posts one delivery with httpx: ``webhook-id`` (the delivery's id, the same on
every retry), ``webhook-timestamp`` (the moment of sending, Unix seconds, from the wall clock:
receivers refuse a timestamp more than 5 minutes off theirs) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, made by the ``standardwebhooks`` package).
It follows no redirect, reads no response body and never raises for the receiver: a timeout,
a refused connection or a non-2xx answer is a ``SendResult`` the worker records and retries.

``DerivedSecrets`` makes each subscription's ``whsec_…`` secret as HMAC-SHA256 of its id under
a key derived from the deployment's address key (decision 051 keeps it outside the database),
so no secret is stored anywhere: a copy of the database cannot sign a webhook.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from time import perf_counter

import httpx
from standardwebhooks.webhooks import Webhook

from consentry.adapters.clock import SystemClock
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
    ) -> None:
        self.clock = clock or SystemClock()
        self.client = client or httpx.Client(timeout=timeout, follow_redirects=False)

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


def _ms(started: float) -> int:
    return int((perf_counter() - started) * 1000)
