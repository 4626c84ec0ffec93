"""Composition root: the one place that picks adapters and builds a ``Ledger``.

The deployment's secrets, the address key (keyed hashes of addresses, decision 005) and the
link-signing keys (decision 030), come from the settings and never live in the database
(decision 051): the environment, or a keys file of ``NAME=value`` lines. Embedded use (the
library, the CLI) on a SQLite file keeps generated ones in ``<db>.keys`` beside the file; a
server refuses to start without configured secrets unless in demo mode. The database keeps only
a check value of the address key, so a wrong key is refused instead of silently finding nobody.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import multiprocessing
import os
import secrets
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import timedelta
from itertools import repeat
from pathlib import Path

from consentry.adapters.addresses import Addresses
from consentry.adapters.clock import SystemClock
from consentry.adapters.links import LinkSigner, parse_keys
from consentry.adapters.mailer import SmtpSender
from consentry.adapters.outbox import DbOutbox, RoutingOutbox
from consentry.adapters.passwords import Argon2Passwords
from consentry.adapters.store import SqlStore, open_store
from consentry.adapters.store.partitioning import partition_events as _partition
from consentry.adapters.webhook_sender import DerivedSecrets
from consentry.core.chain import Between
from consentry.core.channels import Channel, ChannelPolicy, parse_channel
from consentry.core.errors import Invalid, SecretsInDatabase, SecretsMismatch, SecretsMissing
from consentry.ledger import Context, Ledger
from consentry.ledger.integrity import PartRunner, VerifyPart, verify_range
from consentry.ledger.ports import Clock, Outbox
from consentry.settings import ADDRESS_KEY_VAR, SECRET_KEYS_VAR, Settings, parse_keys_file

#: Where databases made before decision 051 kept their secrets (``meta``); emptied once moved.
ADDRESS_KEY = "address_key"
LINK_KEY = "link_key"
#: The key id a link key moved out of ``meta`` keeps, so links already sent still verify.
LEGACY_KID = "db1"
#: A check value of the address key (an HMAC of a constant): tells a wrong key, reveals nothing.
ADDRESS_CHECK = "address_key_check"
MIN_ADDRESS_KEY_BYTES = 16
MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_hex(32))"'

#: Where build() says what it did with the secrets (made a keys file, moved them out of meta).
Notice = Callable[[str], None]
log = logging.getLogger("consentry")


@dataclass(frozen=True, slots=True)
class Secrets:
    """The deployment's secrets, and where they came from (for messages; never the values)."""

    address_key: bytes
    link_keys: tuple[tuple[str, bytes], ...]
    source: str


def build(
    settings: Settings,
    clock: Clock | None = None,
    migrate: bool = True,
    *,
    embedded: bool = True,
    notice: Notice | None = None,
) -> Ledger:
    """A ledger on the settings' database, its schema brought up to date.

    ``embedded`` (the library and the CLI): a SQLite file's secrets may come from the keys file
    beside it, generated there for a new database. A server passes ``embedded=False`` and gets
    configured secrets only, unless ``settings.demo``. ``notice`` hears what was done with the
    secrets (default: the ``consentry`` logger at INFO).
    """
    store = open_store(settings.database_url, migrate=migrate)
    try:
        keys = deployment_secrets(
            settings, store, generate=embedded or settings.demo, notice=notice or log.info
        )
    except BaseException:
        store.close()
        raise
    policy = ChannelPolicy()
    if settings.channels:
        enabled = frozenset(parse_channel(c) for c in settings.channels)
        policy = replace(policy, enabled=enabled)
    clock = clock or SystemClock()
    context = Context(
        store=store,
        clock=clock,
        addresses=Addresses(keys.address_key, settings.default_region),
        policy=policy,
        confirmation_ttl=timedelta(days=settings.confirmation_days),
        signer=LinkSigner(keys.link_keys, settings.public_url),
        outbox=make_outbox(settings, store, clock),
        passwords=Argon2Passwords(),
        webhook_secrets=DerivedSecrets(keys.address_key),  # nothing stored (decision 076)
        webhook_allow_private=settings.webhook_allow_private,  # decision 080
        replica=_replica(settings),  # decision 083
    )
    return Ledger(context)


def _replica(settings: Settings) -> SqlStore | None:
    """The read replica's store: never migrated from here (it follows its primary)."""
    url = settings.read_database_url
    return None if url is None else open_store(url, migrate=False)


def make_outbox(settings: Settings, store: SqlStore, clock: Clock) -> Outbox:
    """Email through SMTP when a host is configured; everything else into the outbox table."""
    table = DbOutbox(store, clock)
    if not settings.smtp_host:
        return table
    smtp = SmtpSender(settings.smtp_host, settings.smtp_port, settings.mail_from)
    return RoutingOutbox({Channel.EMAIL: smtp}, table)


def deployment_secrets(
    settings: Settings, store: SqlStore, *, generate: bool, notice: Notice
) -> Secrets:
    """The address key and the link keys: configured, or (``generate``) made for a new database.

    What the environment sets wins over the keys file. Generating needs a new database (no check
    value yet) or one that still keeps its secrets in ``meta``, whose values are then moved out.
    """
    with store.transaction(write=False) as tx:
        legacy = {n: v for n in (ADDRESS_KEY, LINK_KEY) if (v := tx.get_meta(n))}
        check = tx.get_meta(ADDRESS_CHECK)
    path = _keys_file(settings, generate)
    values = _read_keys_file(path, must_exist=not generate)
    address = settings.address_key or values.get(ADDRESS_KEY_VAR)
    links = settings.secret_keys or values.get(SECRET_KEYS_VAR)
    configured = settings.address_key and settings.secret_keys
    source = "the environment" if configured or path is None else str(path)
    in_memory = settings.database_url.startswith("sqlite") and settings.sqlite_file() is None
    if (address is None or links is None) and generate and check is None:
        if path is not None or in_memory:  # a database in memory: keys that die with it
            made = {}  # only what is missing: a configured secret is never copied to a file
            if address is None:
                made[ADDRESS_KEY_VAR] = legacy.get(ADDRESS_KEY) or secrets.token_hex(32)
            if links is None:
                made[SECRET_KEYS_VAR] = _first_link_keys(legacy)
            if path is not None:
                made = _write_keys_file(path, values, made, settings, notice, moved=bool(legacy))
            address = address or made[ADDRESS_KEY_VAR]
            links = links or made[SECRET_KEYS_VAR]
            source = "keys made in memory" if path is None else str(path)
    if address is None or links is None:
        raise _missing(settings, legacy, path, check, address is None, links is None)
    keys = Secrets(_address_key(address), tuple(parse_keys(links)), source)
    if legacy:
        _move_out(store, legacy, keys, notice)
    _check_address_key(store, keys, check)
    if settings.demo:
        notice(f"Demo mode: the secrets come from {keys.source} (decision 051).")
    return keys


def _keys_file(settings: Settings, generate: bool) -> Path | None:
    """The keys file named by the settings, else (embedded, demo) the one beside a SQLite file."""
    if settings.keys_file:
        return Path(settings.keys_file)
    return settings.default_keys_file() if generate else None


def _read_keys_file(path: Path | None, must_exist: bool) -> dict[str, str]:
    if path is None:
        return {}
    try:
        return parse_keys_file(path.read_text())
    except FileNotFoundError:
        if must_exist:
            raise SecretsMissing(
                f"the keys file {path} (CONSENTRY_KEYS_FILE) does not exist", keys_file=str(path)
            ) from None
        return {}


def _first_link_keys(legacy: dict[str, str]) -> str:
    """A new link key, or the one kept in ``meta`` under its old key id (links keep working)."""
    if LINK_KEY in legacy:
        return f"{LEGACY_KID}:{legacy[LINK_KEY]}"
    return f"k1:{secrets.token_hex(32)}"


def _write_keys_file(
    path: Path,
    values: dict[str, str],
    made: dict[str, str],
    settings: Settings,
    notice: Notice,
    moved: bool,
) -> dict[str, str]:
    """Write the secrets not in the file yet (readable by the owner only); the file's values.

    A new file is created exclusively: when two processes race, the second reads the first's.
    """
    missing = {name: value for name, value in made.items() if name not in values}
    lines = "".join(f"{name}={value}\n" for name, value in missing.items())
    if not values:
        header = (
            f"# Consentry's secrets for {settings.database_url} (decision 051). Keep this file\n"
            "# private and out of the database's backups; a server reads it with --keys-file,\n"
            "# or set these variables in its environment.\n"
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return {**made, **parse_keys_file(path.read_text())}
        with os.fdopen(fd, "w") as file:
            file.write(header + lines)
    else:
        with path.open("a") as file:
            file.write(lines)
    what = "Made new secrets in"
    if moved:
        what = "Moved this database's secrets out of its meta table into"
    notice(
        f"{what} {path} (decision 051): keep that file private and out of the database's "
        f"backups. A server reads it with: consentry serve --keys-file {path}"
    )
    return {**made, **values}


def _address_key(text: str) -> bytes:
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < MIN_ADDRESS_KEY_BYTES:
        raise Invalid(
            f"{ADDRESS_KEY_VAR} must be hex, at least {2 * MIN_ADDRESS_KEY_BYTES} digits; make "
            f"one with: {MAKE_A_KEY}"
        )
    return key


def _missing(
    settings: Settings,
    legacy: dict[str, str],
    path: Path | None,
    check: str | None,
    no_address: bool,
    no_links: bool,
) -> SecretsMissing:
    """The refusal to run without secrets, saying what to set and how to make a key."""
    wanted = ((SECRET_KEYS_VAR, no_links), (ADDRESS_KEY_VAR, no_address))
    names = [name for name, absent in wanted if absent]
    said = " and ".join(names) + (" is" if len(names) == 1 else " are")
    if legacy:
        return SecretsInDatabase(
            f"{said} not set, and this database still keeps its secrets in its meta table, "
            "where every copy of the database (a backup, a replica) reveals them. Move them "
            f"into the environment: {ADDRESS_KEY_VAR}=<its address_key> and "
            f"{SECRET_KEYS_VAR}=k1:<a new key>,{LEGACY_KID}:<its link_key> (the old key keeps "
            "the links already sent working; drop it once they have expired). Read them with: "
            "SELECT key, value FROM meta WHERE key IN ('address_key', 'link_key'); make a new "
            f"key with: {MAKE_A_KEY}. The first start with them set empties them from the "
            "database (decision 051).",
            missing=names,
        )
    hints = [
        f"{said} not set, and Consentry keeps no secrets in the database (decision 051). Set "
        f"{SECRET_KEYS_VAR}=k1:<key> (the link-signing keys, kid:hex, newest first) and "
        f"{ADDRESS_KEY_VAR}=<key> (the key of the address hashes); make each key with: "
        f"{MAKE_A_KEY}. Or name a file of NAME=value lines that holds them with "
        "CONSENTRY_KEYS_FILE (consentry serve --keys-file FILE); for a demo: "
        "consentry serve --demo."
    ]
    embedded = settings.default_keys_file()
    if embedded is not None and embedded != path and embedded.exists():
        hints.append(
            f"The library and the CLI keep this database's secrets in {embedded}: serve with "
            f"--keys-file {embedded} so that they and the server agree."
        )
    elif check is not None:
        hints.append(
            "This database was set up with secrets kept outside it: configure the same ones."
        )
    return SecretsMissing(" ".join(hints), missing=names)


def _move_out(store: SqlStore, legacy: dict[str, str], keys: Secrets, notice: Notice) -> None:
    """Empty the secrets an old database kept in ``meta`` once they are configured outside it."""
    if ADDRESS_KEY in legacy and bytes.fromhex(legacy[ADDRESS_KEY]) != keys.address_key:
        raise SecretsMismatch(
            f"{ADDRESS_KEY_VAR} (from {keys.source}) is not the address key this database kept "
            "in its meta table, the key its address hashes were made with: set that one "
            "(SELECT value FROM meta WHERE key = 'address_key'), decision 051."
        )
    if LINK_KEY in legacy and bytes.fromhex(legacy[LINK_KEY]) not in dict(keys.link_keys).values():
        raise SecretsInDatabase(
            f"{SECRET_KEYS_VAR} (from {keys.source}) lacks the link key this database kept in its "
            f"meta table: add {LEGACY_KID}:<its link_key> after the newest key, so the links "
            "already sent keep working (SELECT value FROM meta WHERE key = 'link_key'), "
            "decision 051."
        )
    with store.transaction() as tx:
        for name in legacy:
            tx.set_meta(name, "")  # emptied: the store has no delete for settings
        tx.commit()
    notice(
        "Emptied the secrets out of this database's meta table: they are configured outside "
        "it now (decision 051). Copies of the database made before still hold them, so rotate "
        "the link keys (decision 030)."
    )


def address_key_check(key: bytes) -> str:
    """The check value of an address key kept in the database: an HMAC of a constant."""
    return hmac.new(key, b"consentry: address key check", hashlib.sha256).hexdigest()


def _check_address_key(store: SqlStore, keys: Secrets, check: str | None) -> None:
    """Refuse an address key other than the database's; remember the first one's check value."""
    value = address_key_check(keys.address_key)
    if check is None:
        with store.transaction() as tx:
            if tx.get_meta(ADDRESS_CHECK) is None:
                tx.set_meta(ADDRESS_CHECK, value)
                tx.commit()
                return
            check = tx.get_meta(ADDRESS_CHECK)
    if not hmac.compare_digest(value, check or ""):
        raise SecretsMismatch(
            f"{ADDRESS_KEY_VAR} (from {keys.source}) is not the key this database's address "
            "hashes were made with: contacts would not be found by their address and erased "
            "addresses could be added again. Configure the key the database was set up with "
            "(decision 051).",
            source=keys.source,
        )


def open_ledger(url: str | None = None, clock: Clock | None = None) -> Ledger:
    """Open the ledger at a database URL (``sqlite:///path.db`` or ``postgresql://…``)."""
    settings = Settings.from_env()
    if url is not None:
        settings = replace(settings, database_url=url)
    return build(settings, clock)


def partition_events(settings: Settings, *, partitions: int) -> bool:
    """Hash-partition the ``events`` table of the settings' PostgreSQL database by contact
    (migrated first); False when it already was (decision 083)."""
    store = open_store(settings.database_url)
    try:
        return _partition(store.engine, partitions=partitions)
    finally:
        store.close()


def verify_in_processes(url: str) -> PartRunner:
    """Parallel verification's runner (decision 084): one worker process per range, each
    opening its own connection to ``url``. Forked where the system can (a spawned worker spends
    over a CPU-second importing the store again); a forked worker never touches the parent's
    pooled connections, and leaves by ``os._exit``, which closes none of them."""

    def run_parts(group_id: str | None, ranges: Sequence[Between]) -> list[VerifyPart]:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        with ProcessPoolExecutor(max_workers=len(ranges), mp_context=context) as pool:
            return list(pool.map(_verify_range_at, repeat(url), repeat(group_id), ranges))

    return run_parts


def _verify_range_at(url: str, group_id: str | None, between: Between) -> VerifyPart:
    """One worker's range, on a store of its own."""
    store = open_store(url, migrate=False)
    try:
        return verify_range(store, group_id, between)
    finally:
        store.close()
