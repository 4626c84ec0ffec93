"""Composition root: the one place that picks adapters and builds a ``Ledger``."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import timedelta

from consentry.adapters.addresses import Addresses
from consentry.adapters.clock import SystemClock
from consentry.adapters.links import LinkSigner, link_keys
from consentry.adapters.mailer import SmtpSender
from consentry.adapters.outbox import DbOutbox, RoutingOutbox
from consentry.adapters.store import SqlStore, open_store
from consentry.core.channels import Channel, ChannelPolicy, parse_channel
from consentry.ledger import Context, Ledger
from consentry.ledger.ports import Clock, Outbox
from consentry.settings import Settings

ADDRESS_KEY = "address_key"
LINK_KEY = "link_key"


def build(settings: Settings, clock: Clock | None = None, migrate: bool = True) -> Ledger:
    """A ledger on the settings' database, its schema brought up to date."""
    store = open_store(settings.database_url, migrate=migrate)
    key = settings.address_key or stored_secret(store, ADDRESS_KEY)
    policy = ChannelPolicy()
    if settings.channels:
        enabled = frozenset(parse_channel(c) for c in settings.channels)
        policy = replace(policy, enabled=enabled)
    clock = clock or SystemClock()
    context = Context(
        store=store,
        clock=clock,
        addresses=Addresses(bytes.fromhex(key), settings.default_region),
        policy=policy,
        confirmation_ttl=timedelta(days=settings.confirmation_days),
        signer=link_signer(settings, store),
        outbox=make_outbox(settings, store, clock),
    )
    return Ledger(context)


def make_outbox(settings: Settings, store: SqlStore, clock: Clock) -> Outbox:
    """Email through SMTP when a host is configured; everything else into the outbox table."""
    table = DbOutbox(store, clock)
    if not settings.smtp_host:
        return table
    smtp = SmtpSender(settings.smtp_host, settings.smtp_port, settings.mail_from)
    return RoutingOutbox({Channel.EMAIL: smtp}, table)


def link_signer(settings: Settings, store: SqlStore) -> LinkSigner:
    """The signer of the hosted pages' links: configured keys, or one kept in the database."""
    stored = "" if settings.secret_keys else stored_secret(store, LINK_KEY)
    return LinkSigner(link_keys(settings.secret_keys, stored), settings.public_url)


def stored_secret(store: SqlStore, name: str) -> str:
    """A random secret kept in the database, made on first use (zero set-up)."""
    with store.transaction() as tx:
        value = tx.get_meta(name)
        if value is None:
            value = secrets.token_hex(32)
            tx.set_meta(name, value)
            tx.commit()
        return value


def open_ledger(url: str | None = None, clock: Clock | None = None) -> Ledger:
    """Open the ledger at a database URL (``sqlite:///path.db`` or ``postgresql://…``)."""
    settings = Settings.from_env()
    if url is not None:
        settings = replace(settings, database_url=url)
    return build(settings, clock)
