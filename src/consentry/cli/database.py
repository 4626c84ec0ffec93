"""``consentry partition-events``: the operator's one-off step towards a distributed PostgreSQL
(issue 12; decision 083)."""

from __future__ import annotations

import click

from consentry.bootstrap import partition_events as partition
from consentry.cli.common import Env, pass_env


@click.command("partition-events")
@click.option(
    "--partitions",
    type=click.IntRange(2, 256),
    default=16,
    show_default=True,
    help="How many hash partitions of contact_id.",
)
@pass_env
def partition_events(env: Env, partitions: int) -> None:
    """Hash-partition the events table by contact (PostgreSQL only; run once, while nothing writes).

    Every key of the table begins with contact_id, so a contact's chain stays in one partition,
    as Citus keeps it in one shard (docs/scaling.md).
    """
    if partition(env.settings, partitions=partitions):
        click.echo(f"events: hash-partitioned by contact_id into {partitions} partitions")
    else:
        click.echo("events: already partitioned; nothing done")
