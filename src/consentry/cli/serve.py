"""``consentry serve``: the REST API and hosted pages under uvicorn."""

from __future__ import annotations

import os

import click

from consentry.cli.common import Env, pass_env

SERVER_FACTORY = "consentry.server:create_server"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--reload", is_flag=True, help="Restart when the code changes (development).")
@pass_env
def serve(env: Env, host: str, port: int, reload: bool) -> None:
    """Serve the REST API and the hosted pages (uvicorn, consentry.server:create_server)."""
    import uvicorn  # the server is heavy; other commands do not need it

    # The server's factory reads its settings; the URL chosen here reaches it (and, with
    # --reload, the worker process) through the environment.
    os.environ["CONSENTRY_DATABASE_URL"] = env.url
    uvicorn.run(SERVER_FACTORY, factory=True, host=host, port=port, reload=reload)
