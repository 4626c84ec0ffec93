"""``consentry serve``: the REST API and hosted pages under uvicorn.

Secrets (decision 051): outside demo mode the server refuses to start without
``CONSENTRY_SECRET_KEYS`` and ``CONSENTRY_ADDRESS_KEY`` (or a keys file, ``--keys-file``); the
check runs here first, so the refusal is one ``Error [secrets_missing]: …`` line and exit 2.
Proxies (decision 052): no ``X-Forwarded-For`` is trusted, not even from loopback, unless
``--proxy-headers`` is given, and then only from the proxies in ``--forwarded-allow-ips``.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from consentry.bootstrap import build
from consentry.cli.common import Env, pass_env

SERVER_FACTORY = "consentry.server:create_server"
#: The proxies ``--proxy-headers`` trusts when ``--forwarded-allow-ips`` is not given.
LOCAL_PROXY = "127.0.0.1,::1"


def uvicorn_options(
    host: str,
    port: int,
    reload: bool,
    proxy_headers: bool,
    forwarded_allow_ips: str | None,
    *,
    workers: int = 1,
) -> dict[str, Any]:
    """uvicorn's keyword arguments: its proxy defaults (trust loopback) replaced by ours."""
    trusted = (forwarded_allow_ips or LOCAL_PROXY) if proxy_headers else ""
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "reload": reload,
        "proxy_headers": proxy_headers,
        "forwarded_allow_ips": trusted,
    }
    if workers > 1:  # uvicorn's supervisor: N processes of the stateless app behind one port
        options["workers"] = workers
    return options


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--reload", is_flag=True, help="Restart when the code changes (development).")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes behind the one port (the app keeps no state between requests: "
    "every process reads and writes the same database).",
)
@click.option(
    "--proxy-headers",
    is_flag=True,
    help="Behind a reverse proxy: take the client's address from X-Forwarded-For (and the "
    "scheme from X-Forwarded-Proto), from the proxies in --forwarded-allow-ips only. "
    "Without it no such header is trusted, not even from 127.0.0.1.",
)
@click.option(
    "--forwarded-allow-ips",
    metavar="IPS",
    help=f"The proxies to trust with --proxy-headers: IPs or networks, comma-separated "
    f"[default: {LOCAL_PROXY}, a proxy on this host].",
)
@click.option(
    "--keys-file",
    type=click.Path(dir_okay=False),
    help="A file of NAME=value lines holding CONSENTRY_SECRET_KEYS and CONSENTRY_ADDRESS_KEY "
    "(e.g. the consentry.keys the CLI made beside consentry.db); the environment wins.",
)
@click.option(
    "--demo",
    is_flag=True,
    help="Demo mode (CONSENTRY_DEMO=1): without configured secrets, make them in the keys "
    "file beside the SQLite database and say so. Never for real contacts.",
)
@pass_env
def serve(
    env: Env,
    host: str,
    port: int,
    reload: bool,
    workers: int,
    proxy_headers: bool,
    forwarded_allow_ips: str | None,
    keys_file: str | None,
    demo: bool,
) -> None:
    """Serve the REST API and the hosted pages (uvicorn, consentry.server:create_server).

    Refuses to start without the deployment's secrets, CONSENTRY_SECRET_KEYS and
    CONSENTRY_ADDRESS_KEY (or --keys-file), unless --demo; they never live in the database.
    """
    import uvicorn  # the server is heavy; other commands do not need it

    if reload and workers > 1:
        raise click.UsageError("--reload runs one process: leave out --workers")
    if forwarded_allow_ips and not proxy_headers:
        raise click.UsageError(
            "--forwarded-allow-ips names the proxies that --proxy-headers trusts: add it"
        )
    settings = replace(
        env.settings,
        demo=env.settings.demo or demo,
        keys_file=str(Path(keys_file).resolve()) if keys_file else env.settings.keys_file,
    )
    build(settings, embedded=False, notice=click.echo).close()  # refuse here, not in uvicorn
    # The server's factory reads its settings; those chosen here reach it (and, with --reload,
    # the worker process) through the environment.
    os.environ["CONSENTRY_DATABASE_URL"] = env.url
    if settings.demo:
        os.environ["CONSENTRY_DEMO"] = "1"
    if settings.keys_file:
        os.environ["CONSENTRY_KEYS_FILE"] = settings.keys_file
    options = uvicorn_options(
        host, port, reload, proxy_headers, forwarded_allow_ips, workers=workers
    )
    uvicorn.run(SERVER_FACTORY, **options)
