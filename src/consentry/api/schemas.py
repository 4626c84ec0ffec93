"""Request and response shapes shared by several resources (they live in ``api/`` only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationInfo,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from consentry.core import limits
from consentry.core.audience import Segment
from consentry.core.channels import Channel
from consentry.core.contacts import Contact
from consentry.core.eligibility import Category, Decision, Reason, TransactionalPolicy
from consentry.core.errors import BatchTooLarge, Invalid, InvalidAttributes, TooManyItems
from consentry.core.events import ConsentEvent, canonical_evidence

SCOPE = Field(
    min_length=1, max_length=200, examples=["acme/newsletters"], description="A scope id (path)."
)


# ── the input limits at the API's edge (core/limits.py, docs/decisions/050) ──
# Each is pydantic metadata that runs the core's own check before pydantic's, so a bad value
# gets the error (and code) the library gives for it: ``invalid_text``, ``text_too_long``,
# ``too_many_items``, ``invalid_time``, ``invalid_evidence``, ``invalid_attributes``.


@dataclass(frozen=True, slots=True)
class Checked:
    """Metadata for a text field or parameter: no control characters, at most ``max_length``.

    ``field`` names it in the error when pydantic cannot (query and path parameters).
    """

    max_length: int
    multiline: bool = False
    field: str | None = None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_before_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found = handler(schema)
        for option in [found, *found.get("anyOf", ())]:  # str, or str | None
            if option.get("type") == "string":
                option.setdefault("maxLength", self.max_length)
        return found

    def check(self, value: Any, info: ValidationInfo) -> Any:
        """Refuse bad text with the core's error; anything else is left to pydantic."""
        if isinstance(value, str):
            name = self.field or info.field_name or "value"
            limits.text(value, field=name, max_length=self.max_length, multiline=self.multiline)
        return value


@dataclass(frozen=True, slots=True)
class Counted:
    """Metadata for a collection: at most ``max_items`` items (``too_many_items`` by default)."""

    max_items: int
    field: str | None = None
    error: type[Invalid] = TooManyItems

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_before_validator_function(self.check, handler(source))

    def check(self, value: Any, info: ValidationInfo) -> Any:
        """Refuse too many items with the core's error before any item is validated."""
        if isinstance(value, (list, tuple, set, frozenset)):
            name = self.field or info.field_name or "value"
            limits.items(value, field=name, max_items=self.max_items, error=self.error)
        return value


def in_range(field: str | None = None) -> Any:
    """Metadata for an aware time: between 1970 and 9999 in UTC (``invalid_time``)."""

    def check(value: datetime, info: ValidationInfo) -> datetime:
        return limits.instant(value, field=field or info.field_name or "value")

    return AfterValidator(check)


def _evidence(value: Any) -> Any:
    if isinstance(value, dict):
        canonical_evidence(value)
    return value


def _attributes(value: Any) -> Any:
    if isinstance(value, dict):
        limits.bounded_json(
            value,
            field="attributes",
            error=InvalidAttributes,
            max_bytes=limits.MAX_ATTRIBUTES_BYTES,
        )
    return value


#: An enum's value given as text (channel, source, category, kind, role).
WORD = Checked(limits.WORD)
ScopeText = Annotated[str, Checked(limits.SCOPE_ID)]
Evidence = Annotated[dict[str, Any], BeforeValidator(_evidence)]
Attributes = Annotated[dict[str, Any], BeforeValidator(_attributes)]
Instant = Annotated[AwareDatetime, in_range()]

#: A contact id in the path.
ContactId = Annotated[str, Checked(limits.ID, field="contact_id")]

#: The cursor of a keyset page: the ``next`` of the page before (the list routes' ``after``).
After = Annotated[
    str | None,
    Query(description="The `next` of the previous page."),
    Checked(limits.ID, field="after"),
]


#: Uploaded ids or addresses: at most ``MAX_UPLOAD`` (else 413 ``batch_too_large``).
UPLOAD = Counted(limits.MAX_UPLOAD, error=BatchTooLarge)
UploadIds = Annotated[list[Annotated[str, Checked(limits.ID)]], UPLOAD]
UploadEmails = Annotated[list[Annotated[str, Checked(limits.EMAIL)]], UPLOAD]
UploadMobiles = Annotated[list[Annotated[str, Checked(limits.MOBILE)]], UPLOAD]


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
    policy: TransactionalPolicy | None = Field(
        default=None,
        description="For a transactional message: the policy that applied — the group's own "
        "(`group_bypass`, `group_no_bypass`) or the deployment's default "
        "(`deployment_bypass`, `deployment_no_bypass`); null otherwise.",
    )

    @classmethod
    def of(cls, decision: Decision) -> DecisionOut:
        """The API shape of a decision."""
        return cls(
            allowed=decision.allowed,
            reason=decision.reason,
            scope_id=decision.scope_id,
            event_id=decision.event_id,
            policy=decision.policy,
        )


class AttributeIn(Strict):
    """Contacts whose attribute ``name`` equals ``value``."""

    name: Annotated[str, Checked(limits.NAME)] = Field(min_length=1, max_length=200)
    value: Annotated[str, Checked(limits.ATTRIBUTE_VALUE)] = Field(max_length=1000)


class SegmentIn(Strict):
    """Who, before consent: a list, attributes, uploaded ids or addresses (combined: AND)."""

    list_name: Annotated[str | None, Checked(limits.NAME, field="list")] = Field(
        default=None, alias="list", max_length=200, description="A list joined."
    )
    attribute: AttributeIn | None = Field(
        default=None, description="One attribute pair (as before `attributes`; counts as one)."
    )
    attributes: Annotated[list[AttributeIn] | None, Counted(limits.MAX_SEGMENT_ATTRIBUTES)] = Field(
        default=None,
        description=f"Attribute pairs that must all hold, at most "
        f"{limits.MAX_SEGMENT_ATTRIBUTES} with `attribute`.",
    )
    contact_ids: UploadIds | None = Field(default=None, description="Uploaded contact ids.")
    emails: UploadEmails | None = Field(default=None, description="Uploaded email addresses.")
    mobiles: UploadMobiles | None = Field(default=None, description="Uploaded mobile numbers.")

    def to_segment(self) -> Segment:
        """The store's segment."""
        attribute = (self.attribute.name, self.attribute.value) if self.attribute else None
        pairs = tuple((a.name, a.value) for a in self.attributes or ())
        return Segment(
            self.contact_ids, self.emails, self.mobiles, self.list_name, attribute, pairs
        )


class AudienceIn(Strict):
    """A segment, a channel and a sender scope."""

    segment: SegmentIn = Field(default_factory=SegmentIn)
    channel: Annotated[Channel, WORD]
    scope: ScopeText = SCOPE
    category: Annotated[Category, WORD] = Category.MARKETING
