"""Signed links: what a link of the hosted pages lets its holder do (SPEC §4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from consentry.core.channels import Channel


class LinkPurpose(StrEnum):
    """What a signed link lets its holder do. Add, never rename or remove."""

    UNSUBSCRIBE = "unsubscribe"
    PREFERENCES = "preferences"
    CONFIRM = "confirm"


@dataclass(frozen=True, slots=True)
class LinkClaims:
    """What a signed link says: for whom, at which scope, on which channels, until when."""

    purpose: LinkPurpose
    contact_id: str
    scope_id: str
    channels: tuple[Channel, ...]
    expires_at: datetime
