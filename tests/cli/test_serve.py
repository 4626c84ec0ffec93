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


def test_workers_are_handed_to_uvicorn_and_exclude_reload(run, monkeypatch):
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda *_, **kw: calls.append(kw))
    monkeypatch.setenv("CONSENTRY_ADDRESS_KEY", "ab" * 32)
    monkeypatch.setenv("CONSENTRY_SECRET_KEYS", "t1:" + "cd" * 32)
    run("serve", "--workers", "3")
    assert calls[0]["workers"] == 3 and calls[0]["reload"] is False
    refused = run("serve", "--workers", "2", "--reload", ok=False)
    assert "--reload runs one process" in refused.output and len(calls) == 1
    assert run("serve", "--workers", "0", ok=False).exit_code == 2


def test_several_server_processes_answer_behind_one_port(tmp_path, sqlite_template):
    """A real ``consentry serve --workers 2``: two worker processes, both answering."""
    import shutil
    import socket
    import time
    import urllib.request
    from pathlib import Path

    db = tmp_path / "served.db"
    shutil.copy(sqlite_template, db)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "CONSENTRY_ADDRESS_KEY": "ab" * 32,
        "CONSENTRY_SECRET_KEYS": "t1:" + "cd" * 32,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "consentry", "--db", f"sqlite:///{db}", "serve",
         "--workers", "2", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline, answers = time.monotonic() + 60, list[int]()
        while time.monotonic() < deadline and len(answers) < 20:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in", timeout=5) as r:
                    answers.append(r.status)
            except OSError:
                time.sleep(0.2)
        children = [
            p for p in Path("/proc").iterdir()
            if p.name.isdigit() and _parent(p) == server.pid
        ]  # fmt: skip
        assert answers == [200] * 20
        assert len(children) >= 2, children  # uvicorn's supervisor and its two workers
    finally:
        server.terminate()
        server.wait(30)


def _parent(proc) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None
