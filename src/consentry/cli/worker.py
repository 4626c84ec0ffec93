"""``consentry worker``: deliver the outbound webhooks that are due (decision 076).

A loop of passes: each claims up to ``--batch`` due deliveries, posts them signed and records
every attempt; between passes that found nothing it sleeps ``--interval`` seconds. ``--once``
runs a single pass (tests, cron). Several workers may run against one PostgreSQL (each
delivery is claimed by one); on SQLite run one. A claim is the worker's for ``--lease``
seconds: a worker that dies mid-delivery leaves it due again after that (keep it well above
``--timeout`` times ``--batch``, or a slow pass's deliveries go out twice). Webhooks go to public
addresses only, unless CONSENTRY_WEBHOOK_ALLOW_PRIVATE (decision 080).

Each pass first runs the scheduled (birthday-type) journeys not yet run on the UTC day, once
per (journey, day) however many workers run (decision 078), then delivers.
"""

from __future__ import annotations

import time
from datetime import timedelta

import click

from consentry.adapters.webhook_sender import TIMEOUT, HttpSender
from consentry.cli.common import Env, pass_env
from consentry.cli.journeys import run_summary
from consentry.core.webhooks import LEASE, LEASE_MAX, LEASE_MIN, PassReport
from consentry.ledger.webhooks import BATCH

MAX_BATCH = 5000  #: the most deliveries one pass may claim


@click.command()
@click.option("--once", is_flag=True, help="Run one pass, then exit.")
@click.option(
    "--batch",
    default=BATCH,
    show_default=True,
    type=click.IntRange(1, MAX_BATCH),
    help="Deliveries claimed per pass.",
)
@click.option(
    "--interval", default=5.0, show_default=True, help="Seconds to wait when nothing is due."
)
@click.option("--timeout", default=TIMEOUT, show_default=True, help="Seconds per POST.")
@click.option(
    "--lease",
    default=LEASE.total_seconds(),
    show_default=True,
    type=click.FloatRange(LEASE_MIN.total_seconds(), LEASE_MAX.total_seconds()),
    help="Seconds a claimed delivery stays this worker's; after that another may send it.",
)
@pass_env
def worker(env: Env, once: bool, batch: int, interval: float, timeout: float, lease: float) -> None:
    """Deliver due outbound webhooks, signed, with retries, and run the day's scheduled
    journeys (Ctrl-C stops it)."""
    ledger = env.ledger()
    sender = HttpSender(timeout=timeout, allow_private=env.settings.webhook_allow_private)
    held = timedelta(seconds=lease)
    try:
        while True:
            scheduled = ledger.run_scheduled_journeys()  # scheduled work first (decision 078)
            if scheduled.journeys or once:
                click.echo(run_summary(scheduled))
            report = ledger.deliver_webhooks(sender, limit=batch, lease=held)
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
