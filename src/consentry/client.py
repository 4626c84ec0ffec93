"""The client for OTHER programs: a small typed Python client of the Consentry REST API, on httpx.

It talks HTTP only and imports no other module of Consentry, so a sender, a CRM or a journey
engine can vendor this one file. (Programs in the same process use ``consentry.Ledger``.)

    >>> from consentry.client import ConsentryClient
    >>> client = ConsentryClient("http://127.0.0.1:8000", api_key="csk_…")
    >>> client.check(contact="ct_…", channel="sms", scope="acme/newsletters").allowed

Every write sends an ``Idempotency-Key`` (a fresh UUID unless you give one) and is retried
with the same key after a network error, a 503 or ``idempotency_in_progress``, so a retry can
never record a change twice. Refusals raise ``ClientError`` carrying the stable ``code``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx

JSONDict = dict[str, Any]
RETRY_CODES = frozenset({"unavailable", "idempotency_in_progress"})


class ClientError(Exception):
    """The API refused the request: ``code`` is the stable error code (docs/errors.md)."""

    def __init__(self, status: int, code: str, message: str, details: JSONDict) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details


@dataclass(frozen=True, slots=True)
class Decision:
    """An eligibility answer: allowed or not, the reason code, and what decided it."""

    allowed: bool
    reason: str
    scope_id: str | None = None
    event_id: str | None = None
    policy: str | None = None  #: a transactional message's policy (``group_bypass`` …)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Decision:
        """A decision from its JSON."""
        return cls(
            data["allowed"], data["reason"], data.get("scope_id"), data.get("event_id"),
            data.get("policy"),
        )  # fmt: skip


@dataclass(slots=True)
class AudienceResult:
    """The eligible contacts of an audience and the counts excluded by reason."""

    contacts: list[JSONDict] = field(default_factory=list)
    eligible: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    unknown: int = 0


class ConsentryClient:
    """The REST API as methods; give ``http`` to reuse a client (or a test client)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        retries: int = 2,
        http: httpx.Client | None = None,
    ) -> None:
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self._auth = {"Authorization": f"Bearer {api_key}"}
        self._base = base_url.rstrip("/")
        self.retries = retries

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> ConsentryClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ── contacts ──
    def add_contact(self, *, idempotency_key: str | None = None, **details: Any) -> JSONDict:
        """Add a contact (email, mobile, external_id, name, locale, attributes, lists)."""
        return self._write("/v1/contacts", details, idempotency_key)

    def find_contact(self, *, email: str | None = None, mobile: str | None = None) -> JSONDict:
        """The contact with that email address or mobile number (``contact_not_found``)."""
        params = {k: v for k, v in (("email", email), ("mobile", mobile)) if v}
        return self._json(self._send("GET", "/v1/contacts/find", params=params))

    def get_contact(self, contact_id: str) -> JSONDict:
        """One contact by id."""
        return self._json(self._send("GET", f"/v1/contacts/{contact_id}"))

    # ── consent ──
    def opt_in(
        self,
        contact: str,
        channel: str,
        scope: str,
        evidence: Mapping[str, Any],
        *,
        source: str = "api",
        idempotency_key: str | None = None,
    ) -> JSONDict:
        """Opt a contact in, with evidence of permission; returns the ledger event."""
        body = {"channel": channel, "scope": scope, "evidence": dict(evidence), "source": source}
        return self._write(f"/v1/contacts/{contact}/consent/opt-in", body, idempotency_key)

    def opt_out(
        self,
        contact: str,
        channel: str,
        scope: str,
        *,
        evidence: Mapping[str, Any] | None = None,
        source: str = "api",
        idempotency_key: str | None = None,
    ) -> JSONDict:
        """Opt a contact out; returns the ledger event."""
        body: JSONDict = {"channel": channel, "scope": scope, "source": source}
        if evidence is not None:
            body["evidence"] = dict(evidence)
        return self._write(f"/v1/contacts/{contact}/consent/opt-out", body, idempotency_key)

    def report_bounce(
        self, contact: str, channel: str, evidence: Mapping[str, Any] | None = None
    ) -> JSONDict:
        """Report a hard bounce or invalid number."""
        body = {"channel": channel, "evidence": dict(evidence) if evidence else None}
        return self._write(f"/v1/contacts/{contact}/bounces", body, None)

    # ── eligibility and audiences ──
    def check(
        self, *, contact: str, channel: str, scope: str, category: str = "marketing"
    ) -> Decision:
        """May we send this now?"""
        params = {"contact": contact, "channel": channel, "scope": scope, "category": category}
        return Decision.of(self._json(self._send("GET", "/v1/eligibility", params=params)))

    def check_many(self, checks: Iterable[Mapping[str, str]]) -> list[Decision]:
        """Up to 10,000 checks (each with contact, channel, scope, optional category)."""
        body = {"checks": [dict(c) for c in checks]}
        data = self._json(self._send("POST", "/v1/eligibility/batch", json=body))
        return [Decision.of(d) for d in data["results"]]

    def iter_audience(
        self,
        *,
        channel: str,
        scope: str,
        segment: Mapping[str, Any] | None = None,
        category: str = "marketing",
    ) -> Iterator[JSONDict]:
        """Stream the audience: every eligible contact, then the ``summary`` line."""
        body: JSONDict = {"channel": channel, "scope": scope, "category": category}
        body["segment"] = dict(segment or {})
        with self._http.stream(
            "POST", self._url("/v1/audiences/resolve"), json=body, headers=self._auth
        ) as response:
            if response.status_code >= 400:
                response.read()
                raise _error(response)
            for line in response.iter_lines():
                if line.strip():
                    yield json.loads(line)

    def audience(
        self,
        *,
        channel: str,
        scope: str,
        segment: Mapping[str, Any] | None = None,
        category: str = "marketing",
    ) -> AudienceResult:
        """The whole audience in memory (use ``iter_audience`` for large ones)."""
        result = AudienceResult()
        for line in self.iter_audience(
            channel=channel, scope=scope, segment=segment, category=category
        ):
            if line.get("type") == "summary":
                result.eligible = line["eligible"]
                result.excluded = dict(line["excluded"])
                result.unknown = line["unknown"]
            else:
                result.contacts.append(line)
        return result

    # ── plumbing ──
    def _url(self, path: str) -> str:
        return f"{self._base}{path}"

    def _write(self, path: str, body: Mapping[str, Any], key: str | None) -> JSONDict:
        headers = {"Idempotency-Key": key or str(uuid.uuid4())}
        return self._json(self._send("POST", path, json=dict(body), headers=headers, retry=True))

    def _send(
        self, method: str, path: str, *, retry: bool = False, **kwargs: Any
    ) -> httpx.Response:
        headers = {**self._auth, **kwargs.pop("headers", {})}
        attempts = self.retries + 1 if retry else 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self._http.request(method, self._url(path), headers=headers, **kwargs)
            except httpx.TransportError:
                if last:
                    raise
            else:
                if last or not _retryable(response):
                    return response
            time.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _json(response: httpx.Response) -> JSONDict:
        if response.status_code >= 400:
            raise _error(response)
        data: JSONDict = response.json()
        return data


def _retryable(response: httpx.Response) -> bool:
    if response.status_code == 503:
        return True
    if response.status_code != 409:
        return False
    return _error(response).code in RETRY_CODES


def _error(response: httpx.Response) -> ClientError:
    try:
        error = response.json()["error"]
        return ClientError(
            response.status_code, error["code"], error["message"], error.get("details", {})
        )
    except (ValueError, KeyError, TypeError):
        return ClientError(response.status_code, "http_error", response.text[:200], {})
