"""Mapping between stored rows and core values (no SQL here)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row

from consentry.core.channels import Channel
from consentry.core.contacts import Contact
from consentry.core.events import (
    Action,
    Actor,
    ActorKind,
    ConsentEvent,
    Source,
    Strength,
    from_micros,
    to_micros,
)
from consentry.core.status import Consent, Status


def contact_values(contact: Contact) -> dict[str, Any]:
    """The contacts-table row of a contact."""
    return {
        "id": contact.id,
        "group_id": contact.group_id,
        "email": contact.email,
        "mobile": contact.mobile,
        "external_id": contact.external_id,
        "name": contact.name,
        "locale": contact.locale,
        "postal_address": contact.postal_address,
        "push_token": contact.push_token,
        "attributes": dict(contact.attributes),
        "created_at": to_micros(contact.created_at),
        "erased_at": to_micros(contact.erased_at),
    }


def contact_from_row(row: Mapping[str, Any], lists: frozenset[str]) -> Contact:
    """A contact from its contacts-table columns by name and the lists it joined.

    ``attributes`` comes back as JSON text from a SQLite driver cursor and already parsed from
    psycopg or SQLAlchemy.
    """
    attributes = row["attributes"]
    if isinstance(attributes, (str, bytes)):
        attributes = json.loads(attributes)
    return Contact(
        id=row["id"],
        group_id=row["group_id"],
        email=row["email"],
        mobile=row["mobile"],
        external_id=row["external_id"],
        name=row["name"],
        locale=row["locale"],
        postal_address=row["postal_address"],
        push_token=row["push_token"],
        attributes=dict(attributes or {}),
        lists=lists,
        created_at=from_micros(row["created_at"]),
        erased_at=from_micros(row["erased_at"]),
    )


def event_values(event: ConsentEvent) -> dict[str, Any]:
    """The events-table row of an event."""
    return {
        "id": event.id,
        "contact_id": event.contact_id,
        "group_id": event.group_id,
        "seq": event.seq,
        "channel": event.channel.value,
        "scope_id": event.scope_id,
        "action": event.action.value,
        "strength": event.strength.value,
        "actor_kind": event.actor.kind.value,
        "actor_id": event.actor.id,
        "recorded_by": event.recorded_by,
        "source": event.source.value,
        "reason": event.reason,
        "evidence": event.evidence,
        "evidence_salt": event.evidence_salt,
        "evidence_commitment": event.evidence_commitment,
        "occurred_at": to_micros(event.occurred_at),
        "recorded_at": to_micros(event.recorded_at),
        "expires_at": to_micros(event.expires_at),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def event_from_row(row: Row[Any]) -> ConsentEvent:
    """An event from its events-table row."""
    m = row._mapping
    occurred_at = from_micros(m["occurred_at"])
    recorded_at = from_micros(m["recorded_at"])
    assert occurred_at is not None and recorded_at is not None
    return ConsentEvent(
        id=m["id"],
        contact_id=m["contact_id"],
        group_id=m["group_id"],
        seq=m["seq"],
        channel=Channel(m["channel"]),
        scope_id=m["scope_id"],
        action=Action(m["action"]),
        strength=Strength(m["strength"]),
        actor=Actor(ActorKind(m["actor_kind"]), m["actor_id"]),
        recorded_by=m["recorded_by"],
        source=Source(m["source"]),
        reason=m["reason"],
        evidence=m["evidence"],
        evidence_salt=m["evidence_salt"],
        evidence_commitment=m["evidence_commitment"],
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        expires_at=from_micros(m["expires_at"]),
        prev_hash=m["prev_hash"],
        hash=m["hash"],
    )


#: Stored status → ``Status``: a dict lookup, not ``Status(value)`` (an enum call per row is
#: most of a 10,000-check batch's decoding). A value no member has still raises ``ValueError``.
_STATUS = {status.value: status for status in Status}


def consent_from_values(status: str, event_id: str | None, confirm_until: int | None) -> Consent:
    """A consent projection from its stored columns."""
    found = _STATUS.get(status) or Status(status)
    return Consent(found, event_id, from_micros(confirm_until))
