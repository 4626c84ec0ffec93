"""The real browser of the page tests: Debian's chromium driven by Playwright, and ``look``,
which saves a screenshot and runs axe-core on the page (decision 060)."""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

#: Debian's chromium, driven by Playwright (no browser download); screenshots go to SHOTS.
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"


@contextmanager
def serving(app: Any, port: int) -> Iterator[None]:
    """``app`` under a real uvicorn in a thread on 127.0.0.1:``port``, until the block ends."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's chromium, headless, through Playwright's sync API (no browser download)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/install)")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


#: The rules axe-core checks every page against: WCAG 2.0, 2.1 and 2.2 at levels A and AA.
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def accessibility_violations(page: Any, *, skip: Collection[str] = ()) -> list[str]:
    """axe-core's WCAG A/AA violations on the page as it stands: ``"rule: node"`` for each.

    ``skip`` turns rules off by id: only for markup that is not ours (decision 060).
    """
    from axe_playwright_python.sync_playwright import Axe

    options = {
        "runOnly": {"type": "tag", "values": WCAG},
        "resultTypes": ["violations"],
        "rules": {rule: {"enabled": False} for rule in skip},
    }
    found = Axe().run(page, options=options).response["violations"]
    return [f"{v['id']}: {n['target']}" for v in found for n in v["nodes"]]


def look(page: Any, name: str, *, full_page: bool = True, skip: Collection[str] = ()) -> None:
    """Screenshot the page to ``SHOTS/name`` and require axe-core to find no violation on it."""
    page.screenshot(path=SHOTS / name, full_page=full_page)
    violations = accessibility_violations(page, skip=skip)
    assert violations == [], f"{name}: {violations[:10]}"
