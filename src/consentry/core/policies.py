"""A group's transactional policy: per channel, may a transactional message (a receipt, a
password reset) reach a contact who opted out of marketing there? (seeds/003; decision 075)

The deployment sets the default (``ChannelPolicy.transactional_bypass``); a group may set its
own per channel, and an eligibility answer for a transactional message names the policy that
applied (``eligibility.TransactionalPolicy``). A bounce or a complaint is never bypassed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from consentry.core.channels import Channel
from consentry.core.eligibility import TransactionalPolicy


@dataclass(frozen=True, slots=True)
class GroupSetting:
    """A group's own transactional setting for one channel, as stored."""

    channel: Channel
    bypass: bool
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ChannelRule:
    """The transactional policy in force on one channel of a group, and who set it."""

    channel: Channel
    bypass: bool
    policy: TransactionalPolicy
    updated_by: str | None = None  #: None: the deployment's default
    updated_at: datetime | None = None
