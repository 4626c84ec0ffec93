"""Settings: the one reader of ``os.environ``.

==========================  ==============================================  =====================
variable                    meaning                                         default
==========================  ==============================================  =====================
CONSENTRY_DATABASE_URL      sqlite:///path.db or postgresql://…             sqlite:///consentry.db
CONSENTRY_ADDRESS_KEY       key for the keyed hash of addresses (hex, at    none: a server refuses
                            least 32 hex digits)                            to start (decision 051)
CONSENTRY_SECRET_KEYS       link-signing keys, ``kid:hex,kid:hex`` newest   none: a server refuses
                            first                                           to start (decision 051)
CONSENTRY_KEYS_FILE         a file of ``NAME=value`` lines holding the two  none; the library and
                            above (what is set in the environment wins)     CLI on a SQLite file
                                                                            ``x.db``: ``x.keys``
CONSENTRY_DEMO              ``1``: demo mode, a server may generate its     off
                            secrets into the keys file (``serve --demo``)
CONSENTRY_DEFAULT_REGION    region for numbers typed without +, e.g. GB     none (E.164 needed)
CONSENTRY_CHANNELS          enabled channels, comma-separated               all eight
CONSENTRY_CONFIRMATION_DAYS how long a confirmation request stays open      7
CONSENTRY_PUBLIC_URL        the public base URL of links in messages        http://127.0.0.1:8000
CONSENTRY_SMTP_HOST         SMTP server for confirmation emails             none (outbox table)
CONSENTRY_SMTP_PORT         its port                                        25
CONSENTRY_MAIL_FROM         the From address of Consentry's own emails      no-reply@example.com
CONSENTRY_TWILIO_AUTH_TOKEN Twilio auth token(s) that sign inbound          none (Twilio webhooks
                            webhooks, comma-separated during a rotation     refused)
CONSENTRY_INBOUND_SECRET    HMAC-SHA256 secret(s) of the generic inbound    none (generic webhook
                            webhook, comma-separated during a rotation      refused)
CONSENTRY_INBOUND_URL       the public base URL providers call (behind a    CONSENTRY_PUBLIC_URL
                            TLS-terminating proxy), for signatures
CONSENTRY_IMPORT_DIR        where uploaded import files wait for their job  the system's temp dir
                            (decision 071; files are 0600, deleted after)
CONSENTRY_IMPORT_MAX_BYTES  the largest import file the API accepts         1073741824 (1 GiB)
CONSENTRY_FEEDS_FILE        the groups' deliverability feeds, TOML          none (every feed 404
                            (``core/feeds.py``; decision 074)               ``feed_not_found``)
CONSENTRY_SNS_CERTIFICATES  SNS signing certificates: a PEM file (used for  fetched over HTTPS from
                            every URL) or a directory of PEMs named as the  the message's verified
                            URL's last segment                              ``sns.*`` URL, cached
CONSENTRY_WEBHOOK_ALLOW_    ``1``: outbound webhooks may go to private,     off; on in demo mode
PRIVATE                     loopback and link-local addresses (tests, the
                            demo; decision 080)
==========================  ==============================================  =====================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from consentry.core.feeds import FeedConfig, parse_feeds

DEFAULT_URL = "sqlite:///consentry.db"
IMPORT_MAX_BYTES = 1024**3  #: the largest import file the API accepts by default (decision 071)

#: The variables that hold the deployment's secrets (never kept in the database, decision 051).
ADDRESS_KEY_VAR = "CONSENTRY_ADDRESS_KEY"
SECRET_KEYS_VAR = "CONSENTRY_SECRET_KEYS"


@dataclass(frozen=True, slots=True)
class Settings:
    """Deployment configuration."""

    database_url: str = DEFAULT_URL
    address_key: str | None = None
    secret_keys: str | None = None
    default_region: str | None = None
    channels: tuple[str, ...] | None = None
    confirmation_days: int = 7
    public_url: str = "http://127.0.0.1:8000"
    smtp_host: str | None = None
    smtp_port: int = 25
    mail_from: str = "no-reply@example.com"
    twilio_auth_tokens: tuple[str, ...] = ()
    inbound_secrets: tuple[str, ...] = ()
    inbound_url: str | None = None
    keys_file: str | None = None
    demo: bool = False
    import_dir: str | None = None
    import_max_bytes: int = IMPORT_MAX_BYTES
    feeds: tuple[FeedConfig, ...] = ()  #: each group's deliverability feeds (decision 074)
    sns_certificates: str | None = None
    webhook_allow_private: bool = False  #: webhooks may reach private networks (decision 080)
    read_database_url: str | None = None  #: a read replica for audiences and trends (083)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from the environment (or the mapping given)."""
        env = os.environ if environ is None else environ
        channels = env.get("CONSENTRY_CHANNELS")
        demo = _flag(env.get("CONSENTRY_DEMO"), False)
        return cls(
            database_url=env.get("CONSENTRY_DATABASE_URL", DEFAULT_URL),
            address_key=env.get("CONSENTRY_ADDRESS_KEY") or None,
            secret_keys=env.get("CONSENTRY_SECRET_KEYS") or None,
            default_region=env.get("CONSENTRY_DEFAULT_REGION") or None,
            channels=tuple(c.strip() for c in channels.split(",")) if channels else None,
            confirmation_days=int(env.get("CONSENTRY_CONFIRMATION_DAYS", "7")),
            public_url=env.get("CONSENTRY_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            smtp_host=env.get("CONSENTRY_SMTP_HOST") or None,
            smtp_port=int(env.get("CONSENTRY_SMTP_PORT", "25")),
            mail_from=env.get("CONSENTRY_MAIL_FROM", "no-reply@example.com"),
            twilio_auth_tokens=_secrets(env.get("CONSENTRY_TWILIO_AUTH_TOKEN")),
            inbound_secrets=_secrets(env.get("CONSENTRY_INBOUND_SECRET")),
            inbound_url=(env.get("CONSENTRY_INBOUND_URL") or "").rstrip("/") or None,
            keys_file=env.get("CONSENTRY_KEYS_FILE") or None,
            demo=demo,
            import_dir=env.get("CONSENTRY_IMPORT_DIR") or None,
            import_max_bytes=int(env.get("CONSENTRY_IMPORT_MAX_BYTES", str(IMPORT_MAX_BYTES))),
            feeds=_feeds(env.get("CONSENTRY_FEEDS_FILE")),
            sns_certificates=env.get("CONSENTRY_SNS_CERTIFICATES") or None,
            webhook_allow_private=_flag(env.get("CONSENTRY_WEBHOOK_ALLOW_PRIVATE"), demo),
            read_database_url=env.get("CONSENTRY_READ_DATABASE_URL") or None,
        )

    def feed_config(self, group_id: str) -> FeedConfig | None:
        """The group's deliverability feeds, or None when it has none configured."""
        return next((f for f in self.feeds if f.group_id == group_id), None)

    def sqlite_file(self) -> Path | None:
        """The database file of a ``sqlite:///path`` URL; None for PostgreSQL or in memory."""
        scheme, sep, rest = self.database_url.partition("://")
        if not sep or not scheme.startswith("sqlite"):
            return None
        path = rest.split("?", 1)[0][1:]  # sqlite:///relative.db, sqlite:////absolute.db
        return Path(path) if path and path != ":memory:" else None

    def default_keys_file(self) -> Path | None:
        """Where the library and the CLI keep the secrets of a SQLite file: ``x.keys`` by ``x.db``.

        Not ``x.db.keys``: a copy of ``x.db*`` (the database with its -wal and -shm) leaves it out.
        """
        database = self.sqlite_file()
        if database is None:
            return None
        if database.suffix == ".keys":
            return database.with_name(database.name + ".keys")
        return database.with_suffix(".keys")


def parse_keys_file(text: str) -> dict[str, str]:
    """The ``NAME=value`` lines of a keys file (``#`` comments and blank lines skipped).

    The format of systemd's ``EnvironmentFile=`` and ``docker --env-file``, so the same file can
    move the secrets into a service's environment.
    """
    values: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and not name.startswith("#"):
            values[name.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


def _flag(value: str | None, default: bool) -> bool:
    """A yes/no variable (``1``, ``true``, ``yes``, ``on``; ``0``, …); ``default`` when unset."""
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _secrets(value: str | None) -> tuple[str, ...]:
    """Comma-separated secrets (several during a rotation), blanks dropped."""
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def _feeds(path: str | None) -> tuple[FeedConfig, ...]:
    """The feeds file's groups (decision 074); none without a file."""
    return parse_feeds(Path(path).read_text(encoding="utf-8")) if path else ()
