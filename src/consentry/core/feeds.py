"""Deliverability feeds: what a provider's bounce, complaint or status report means (decision 074).

A feed is one provider's webhook bound to one group. Its entrypoint verifies the provider's
signature and translates each report into a ``FeedReport``: which address, what happened, the
provider's own event id. The ledger claims (feed, group, event id, address) once and acts:

=============  ====================================================  ================
kind           what the ledger records on the contact found           outcome
=============  ====================================================  ================
bounce         ``bounced`` on the report's channel                    bounced
complaint      ``complained`` plus the hard opt-out (decision 053)   complained
sms_stop       the contact's own hard opt-out at the group            opted_out
               (Twilio 21610: they replied STOP to the carrier)
ignored        nothing (a transient bounce, a blocked message)        ignored
=============  ====================================================  ================

An address the group does not know is ``unknown``; a report the ledger refuses (an erased
contact) is ``refused``. Both are acknowledged: a provider would retry an error forever.

Each group's feeds are configured in a TOML file (``CONSENTRY_FEEDS_FILE``)::

    [acme]
    ses_topic_arns = ["arn:aws:sns:eu-west-1:123456789012:acme-ses"]
    sendgrid_public_keys = ["MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE…"]
    postmark_credentials = ["postmark:a long random password"]
    twilio = true
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from consentry.core import limits
from consentry.core.channels import ADDRESS_FIELD, AddressKind, Channel
from consentry.core.errors import Invalid
from consentry.core.scopes import parse_scope_id

MAX_REPORTS = 5_000  #: reports one webhook call may carry (a SendGrid batch, SES recipients)
MAX_SECRETS = 8  #: credentials, keys or topics of one feed (several during a rotation)


class Feed(StrEnum):
    """A provider's deliverability feed. Add, never rename or remove."""

    SES = "ses"
    SENDGRID = "sendgrid"
    POSTMARK = "postmark"
    TWILIO = "twilio"


class FeedKind(StrEnum):
    """What a provider's report means for the address. Add, never rename or remove."""

    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    SMS_STOP = "sms_stop"
    IGNORED = "ignored"


class FeedOutcome(StrEnum):
    """What the ledger did with one report. Add, never rename or remove."""

    RECEIVED = "received"  #: claimed, not finished yet (never seen after a commit)
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    OPTED_OUT = "opted_out"
    IGNORED = "ignored"
    UNKNOWN = "unknown"  #: no contact of the group has the address
    REFUSED = "refused"  #: the ledger refused it (an erased contact, a channel switched off)


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedReport:
    """One provider report about one address, as its entrypoint translated it."""

    feed: Feed
    group_id: str
    event_id: str
    kind: FeedKind
    channel: Channel
    address: str
    occurred_at: datetime | None = None
    detail: str | None = None  #: the provider's type or error code (no personal data)
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Every text within its limit, one line (decision 050)."""
        limits.text(self.event_id, field="event_id", max_length=limits.MESSAGE_ID)
        if not self.event_id.strip():
            raise Invalid("a feed report needs the provider's event id", field="event_id")
        limits.text(self.address, field="address", max_length=limits.EMAIL)
        limits.optional_text(self.detail, field="detail", max_length=limits.REASON)
        if self.occurred_at is not None:
            limits.instant(self.occurred_at, field="occurred_at")

    @property
    def address_kind(self) -> AddressKind:
        """The kind of address the report is about."""
        return AddressKind(ADDRESS_FIELD[self.channel])


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedRecord:
    """A claimed report as the store keeps it: its key, what it did, and when."""

    feed: Feed
    group_id: str
    event_id: str
    address: str  #: the keyed hash of the address, never the address ("" when unreadable)
    kind: FeedKind
    outcome: FeedOutcome
    occurred_at: datetime
    recorded_at: datetime
    contact_id: str | None = None
    event_ids: tuple[str, ...] = ()
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class FeedResult:
    """What one report did; ``replayed`` when it was a provider's retry."""

    outcome: FeedOutcome
    contact_id: str | None = None
    event_ids: tuple[str, ...] = ()
    detail: str | None = None
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """One group's feeds: a feed is on when its credentials are configured."""

    group_id: str
    ses_topic_arns: tuple[str, ...] = ()
    sendgrid_public_keys: tuple[str, ...] = ()
    postmark_credentials: tuple[str, ...] = ()  #: ``user:password`` pairs (HTTP Basic)
    twilio: bool = False  #: signed with ``CONSENTRY_TWILIO_AUTH_TOKEN``

    def enabled(self, feed: Feed) -> bool:
        """True when the group has this feed configured."""
        return {
            Feed.SES: bool(self.ses_topic_arns),
            Feed.SENDGRID: bool(self.sendgrid_public_keys),
            Feed.POSTMARK: bool(self.postmark_credentials),
            Feed.TWILIO: self.twilio,
        }[feed]


_LISTS = ("ses_topic_arns", "sendgrid_public_keys", "postmark_credentials")


def parse_feeds(text: str) -> tuple[FeedConfig, ...]:
    """The groups' feeds from the TOML text of ``CONSENTRY_FEEDS_FILE``; ``Invalid`` if wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise Invalid(f"the feeds file is not TOML: {exc}") from None
    return tuple(_group_feeds(group, table) for group, table in data.items())


def _group_feeds(group: str, table: Any) -> FeedConfig:
    group_id = parse_scope_id(group)
    if "/" in group_id or not isinstance(table, dict):
        raise Invalid(f"the feeds file's [{group}] must be a group's table", field=group)
    unknown = set(table) - {*_LISTS, "twilio"}
    if unknown:
        raise Invalid(f"[{group}] has unknown keys: {', '.join(sorted(unknown))}", field=group)
    lists = {name: _strings(table.get(name, []), f"{group}.{name}") for name in _LISTS}
    twilio = table.get("twilio", False)
    if not isinstance(twilio, bool):
        raise Invalid(f"{group}.twilio must be true or false", field=f"{group}.twilio")
    return FeedConfig(group_id, twilio=twilio, **lists)


def _strings(value: Any, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise Invalid(f"{name} must be a list of non-empty strings", field=name)
    limits.items(value, field=name, max_items=MAX_SECRETS)
    return tuple(limits.text(v, field=name, max_length=limits.TOKEN) for v in value)
