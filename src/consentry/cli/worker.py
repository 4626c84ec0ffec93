"""``consentry worker``: deliver the outbound webhooks that are due (decision 076).

A loop of passes: each claims up to ``--batch`` due deliveries, posts them signed and records
every attempt; between passes that found nothing it sleeps ``--interval`` seconds. ``--once``
runs a single pass (tests, cron). Several workers may run against one PostgreSQL (each
delivery is claimed by one); on SQLite run one.
"""

from __future__ import annotations

import time

import click

from consentry.adapters.webhook_sender import TIMEOUT, HttpSender
from consentry.cli.common import Env, pass_env
from consentry.core.webhooks import PassReport
from consentry.ledger.webhooks import BATCH


@click.command()
@click.option("--once", is_flag=True, help="Run one pass, then exit.")
@click.option("--batch", default=BATCH, show_default=True, help="Deliveries claimed per pass.")
@click.option(
    "--interval", default=5.0, show_default=True, help="Seconds to wait when nothing is due."
)
@click.option("--timeout", default=TIMEOUT, show_default=True, help="Seconds per POST.")
@pass_env
def worker(env: Env, once: bool, batch: int, interval: float, timeout: float) -> None:
    """Deliver due outbound webhooks, signed, with retries (Ctrl-C stops it)."""
    ledger = env.ledger()
    sender = HttpSender(timeout=timeout)
    try:
        while True:
            report = ledger.deliver_webhooks(sender, limit=batch)
            if report.attempted or once:
                click.echo(summary(report))
            if once:
                return
            if not report.attempted:
                time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        sender.close()


def summary(report: PassReport) -> str:
    """One line about a pass."""
    line = f"delivered {report.delivered}, retrying {report.retrying}, given up {report.given_up}"
    if report.disabled:
        line += f"; disabled after repeated failure: {', '.join(report.disabled)}"
    return line
