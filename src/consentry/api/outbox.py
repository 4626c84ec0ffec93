"""The outbox: messages Consentry sends itself (keyword replies, confirmations), for the group's
sending service to read, send and acknowledge (docs/inbound.md §3).

The outbox belongs to the group, so it needs a key bound to the group (admin or sender).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from consentry.api.deps import IdempotencyDep, LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS, error_responses
from consentry.api.schemas import Checked
from consentry.core import limits
from consentry.core.channels import Channel
from consentry.core.messaging import OutboxItem

router = APIRouter(prefix="/v1/outbox", tags=["inbound"], responses=COMMON_ERRORS)


class OutboxMessage(BaseModel):
    """One message to send: to whom, over what, and the text."""

    id: str
    contact_id: str | None
    channel: Channel
    to: str
    sender: str | None
    category: str
    subject: str | None
    body: str
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, item: OutboxItem) -> OutboxMessage:
        """The API shape of an outbox item."""
        m = item.message
        return cls(
            id=item.id,
            contact_id=m.contact_id or None,
            channel=m.channel,
            to=m.to,
            sender=m.sender,
            category=m.category,
            subject=m.subject,
            body=m.body,
            created_at=item.created_at,
            sent_at=item.sent_at,
        )


class OutboxPage(BaseModel):
    """Messages oldest first; pass ``next`` as ``after`` for the next page."""

    messages: list[OutboxMessage]
    next: str | None


class Sent(BaseModel):
    """The acknowledgement: ``marked`` is false when the id is unknown or was already sent."""

    id: str
    marked: bool


@router.get("", response_model=OutboxPage)
def list_outbox(
    ledger: LedgerDep,
    principal: PrincipalDep,
    pending: Annotated[bool, Query(description="Only messages not yet sent.")] = True,
    after: Annotated[
        str | None,
        Query(max_length=64, description="The `next` of the previous page."),
        Checked(limits.ID, field="after"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> OutboxPage:
    """The group's messages waiting to be sent (or all, with ``pending=false``)."""
    found = ledger.list_outbox(principal, pending_only=pending, limit=limit, after=after)
    following = found[-1].id if len(found) == limit else None
    return OutboxPage(messages=[OutboxMessage.of(i) for i in found], next=following)


@router.post("/{outbox_id}/sent", response_model=Sent, responses=error_responses(409))
def mark_sent(
    outbox_id: Annotated[str, Checked(limits.ID, field="outbox_id")],
    principal: PrincipalDep,
    idem: IdempotencyDep,
) -> Response:
    """Record that the sending service sent a message (a repeat changes nothing)."""
    return idem.run(
        200, lambda ledger: Sent(id=outbox_id, marked=ledger.mark_sent(principal, outbox_id))
    )
