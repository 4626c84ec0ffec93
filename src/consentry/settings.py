"""Settings: the one reader of ``os.environ``.

==========================  ==============================================  =====================
variable                    meaning                                         default
==========================  ==============================================  =====================
CONSENTRY_DATABASE_URL      sqlite:///path.db or postgresql://…             sqlite:///consentry.db
CONSENTRY_ADDRESS_KEY       key for the keyed hash of addresses (hex)       generated, kept in DB
CONSENTRY_SECRET_KEYS       link-signing keys, ``kid:hex,kid:hex`` newest   generated, kept in DB
                            first
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
==========================  ==============================================  =====================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_URL = "sqlite:///consentry.db"


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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from the environment (or the mapping given)."""
        env = os.environ if environ is None else environ
        channels = env.get("CONSENTRY_CHANNELS")
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
        )


def _secrets(value: str | None) -> tuple[str, ...]:
    """Comma-separated secrets (several during a rotation), blanks dropped."""
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())
