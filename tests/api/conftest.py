"""The REST API through the real app, on the ``ledger`` fixture (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from consentry.api import create_app
from consentry.ledger import Ledger
from tests.factories import system


@dataclass
class Api:
    """A test client with keys made on demand: ``api.as_("admin", "acme").post(...)``."""

    client: TestClient
    ledger: Ledger

    def key(self, role: str, scope: str = "acme") -> str:
        """A fresh key token with a role at a scope."""
        _, token = self.ledger.create_api_key(system(scope.split("/")[0]), role, scope, name="test")
        return token

    def as_(self, role: str, scope: str = "acme") -> Caller:
        """Requests made with a fresh key of that role at that scope."""
        return Caller(self.client, {"Authorization": f"Bearer {self.key(role, scope)}"})


@dataclass
class Caller:
    """Requests with one key's Authorization header."""

    client: TestClient
    auth: dict[str, str]

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers={**self.auth, **kw.pop("headers", {})}, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self.client.post(url, headers={**self.auth, **kw.pop("headers", {})}, **kw)

    def patch(self, url: str, **kw: Any) -> Any:
        return self.client.patch(url, headers={**self.auth, **kw.pop("headers", {})}, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.client.delete(url, headers={**self.auth, **kw.pop("headers", {})}, **kw)

    def request(self, method: str, url: str, **kw: Any) -> Any:
        return self.client.request(
            method, url, headers={**self.auth, **kw.pop("headers", {})}, **kw
        )


@pytest.fixture
def app(ledger: Ledger) -> FastAPI:
    """The API over the test ledger."""
    return create_app(ledger)


@pytest.fixture
def api(app: FastAPI, ledger: Ledger) -> Api:
    """The API through a test client."""
    return Api(TestClient(app), ledger)


@pytest.fixture
def admin(api: Api) -> Caller:
    """A group admin of acme."""
    return api.as_("admin", "acme")


def error_code(response: Any) -> str:
    """The stable code of an error response (and the body has the one error shape)."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    code: str = body["error"]["code"]
    return code


def refused(response: Any, status: int, code: str) -> None:
    """Assert the status and the error code."""
    assert (response.status_code, error_code(response)) == (status, code), response.text
