"""The bare HTTP baseline for ``scripts/bench``: the minimum a server must do to answer one
eligibility check — parse the query, run the two indexed reads Consentry's check needs (the
projection rows on the scope path, the suppression), answer JSON — as a plain ASGI app under the
same uvicorn, with the same number of worker processes. No framework, no key, no validation.

    BARE_DATABASE_URL=sqlite:///… .venv/bin/uvicorn benchmarks.bare_http:app --port 8100
"""

from __future__ import annotations

import json
import os
import sqlite3
from typing import Any
from urllib.parse import parse_qs

URL = os.environ.get("BARE_DATABASE_URL", "")
_conn: Any = None


def _connection() -> Any:
    global _conn  # one connection per worker process, opened on its first request
    if _conn is None:
        if URL.startswith("sqlite:///"):
            _conn = sqlite3.connect(URL.removeprefix("sqlite:///"), check_same_thread=False)
        else:
            import psycopg

            _conn = psycopg.connect(URL.replace("postgresql+psycopg://", "postgresql://"),
                                    autocommit=True)  # fmt: skip
    return _conn


def _reads(contact: str, scope: str) -> tuple[list[Any], list[Any]]:
    conn = _connection()
    mark = "?" if isinstance(conn, sqlite3.Connection) else "%s"
    path = [scope.rsplit("/", n)[0] for n in range(scope.count("/") + 1)]
    marks = ", ".join(mark for _ in path)
    cursor = conn.cursor()
    cursor.execute(
        f"SELECT scope_id, status FROM consents WHERE contact_id = {mark} AND channel = 'sms' "
        f"AND scope_id IN ({marks})", [contact, *path],
    )  # fmt: skip
    rows = cursor.fetchall()
    cursor.execute(
        f"SELECT suppression FROM suppressions WHERE contact_id = {mark} AND channel = 'sms'",
        [contact],
    )
    return rows, cursor.fetchall()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:  # noqa: ARG001
    """GET /?contact=…&scope=… → {"allowed": …}."""
    if scope["type"] != "http":
        return
    query = parse_qs(scope["query_string"].decode())
    rows, suppressed = _reads(query["contact"][0], query["scope"][0])
    allowed = not suppressed and any(status == "opted_in" for _, status in rows)
    body = json.dumps({"allowed": allowed}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})
