"""Request and response shapes shared by several resources (they live in ``api/`` only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from consentry.core.audience import Segment
from consentry.core.channels import Channel
from consentry.core.contacts import Contact
from consentry.core.eligibility import Category, Decision, Reason
from consentry.core.events import ConsentEvent

SCOPE = Field(
    min_length=1, max_length=200, examples=["acme/newsletters"], description="A scope id (path)."
)
Evidence = dict[str, Any]


class Strict(BaseModel):
    """Request bodies refuse fields they do not know (a typo is an error, not a no-op)."""

    model_config = ConfigDict(extra="forbid")


class ContactOut(BaseModel):
    """A contact as the API shows it."""

    id: str
    email: str | None
    mobile: str | None
    external_id: str | None
    name: str | None
    locale: str | None
    postal_address: str | None
    push_token: str | None
    attributes: dict[str, Any]
    lists: list[str]
    created_at: datetime | None
    erased_at: datetime | None

    @classmethod
    def of(cls, contact: Contact) -> ContactOut:
        """The API shape of a core contact."""
        return cls(
            id=contact.id,
            email=contact.email,
            mobile=contact.mobile,
            external_id=contact.external_id,
            name=contact.name,
            locale=contact.locale,
            postal_address=contact.postal_address,
            push_token=contact.push_token,
            attributes=dict(contact.attributes),
            lists=sorted(contact.lists),
            created_at=contact.created_at,
            erased_at=contact.erased_at,
        )


class ActorOut(BaseModel):
    """Who acted."""

    kind: str
    id: str


class EventOut(BaseModel):
    """One ledger event, with its evidence."""

    id: str
    contact_id: str
    seq: int
    channel: str
    scope_id: str
    action: str
    strength: str
    actor: ActorOut
    recorded_by: str
    source: str
    reason: str | None
    evidence: dict[str, Any] | None
    occurred_at: datetime
    recorded_at: datetime
    expires_at: datetime | None
    hash: str

    @classmethod
    def of(cls, event: ConsentEvent) -> EventOut:
        """The API shape of a ledger event."""
        return cls(
            id=event.id,
            contact_id=event.contact_id,
            seq=event.seq,
            channel=event.channel.value,
            scope_id=event.scope_id,
            action=event.action.value,
            strength=event.strength.value,
            actor=ActorOut(kind=event.actor.kind.value, id=event.actor.id),
            recorded_by=event.recorded_by,
            source=event.source.value,
            reason=event.reason,
            evidence=event.evidence_data,
            occurred_at=event.occurred_at,
            recorded_at=event.recorded_at,
            expires_at=event.expires_at,
            hash=event.hash,
        )


class DecisionOut(BaseModel):
    """An eligibility answer: allowed or not, why, and the scope and event that decided."""

    allowed: bool
    reason: Reason
    scope_id: str | None = None
    event_id: str | None = None

    @classmethod
    def of(cls, decision: Decision) -> DecisionOut:
        """The API shape of a decision."""
        return cls(
            allowed=decision.allowed,
            reason=decision.reason,
            scope_id=decision.scope_id,
            event_id=decision.event_id,
        )


class AttributeIn(Strict):
    """Contacts whose attribute ``name`` equals ``value``."""

    name: str = Field(min_length=1, max_length=200)
    value: str = Field(max_length=1000)


class SegmentIn(Strict):
    """Who, before consent: a list, an attribute, uploaded ids or addresses (combined: AND)."""

    list_name: str | None = Field(
        default=None, alias="list", max_length=200, description="A list joined."
    )
    attribute: AttributeIn | None = None
    contact_ids: list[str] | None = Field(default=None, description="Uploaded contact ids.")
    emails: list[str] | None = Field(default=None, description="Uploaded email addresses.")
    mobiles: list[str] | None = Field(default=None, description="Uploaded mobile numbers.")

    def to_segment(self) -> Segment:
        """The store's segment."""
        attribute = (self.attribute.name, self.attribute.value) if self.attribute else None
        return Segment(self.contact_ids, self.emails, self.mobiles, self.list_name, attribute)


class AudienceIn(Strict):
    """A segment, a channel and a sender scope."""

    segment: SegmentIn = Field(default_factory=SegmentIn)
    channel: Channel
    scope: str = SCOPE
    category: Category = Category.MARKETING
