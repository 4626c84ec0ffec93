import os
import subprocess
import sys

import uvicorn


def test_serve_runs_the_server_factory_with_the_database_url(run, url, monkeypatch):
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append((a, kw)))
    monkeypatch.setenv("CONSENTRY_DATABASE_URL", "sqlite:///restored-after-the-test.db")
    monkeypatch.setenv("CONSENTRY_ADDRESS_KEY", "ab" * 32)  # a server needs its secrets (051)
    monkeypatch.setenv("CONSENTRY_SECRET_KEYS", "t1:" + "cd" * 32)
    run("serve", "--port", "8123", "--reload")
    no_proxy = {"proxy_headers": False, "forwarded_allow_ips": ""}  # decision 052
    assert calls == [
        (
            ("consentry.server:create_server",),
            {"factory": True, "host": "127.0.0.1", "port": 8123, "reload": True, **no_proxy},
        )
    ]
    assert os.environ["CONSENTRY_DATABASE_URL"] == url


def test_python_dash_m_consentry_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "consentry", "--help"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("Usage: consentry ")
