"""Channels: the eight ways to contact a person, each with its own consent.

Subscribing a contact to SMS does not subscribe them to WhatsApp, and the same for
unsubscribing (seeds/002): every consent fact names exactly one channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from consentry.core.errors import InvalidChannel


class Channel(StrEnum):
    """A contact channel. Values are stored and returned by the API: add, never rename or remove."""

    EMAIL = "email"
    SMS = "sms"
    MMS = "mms"
    RCS = "rcs"
    WHATSAPP = "whatsapp"
    VOICE = "voice"
    POST = "post"
    PUSH = "push"

    @property
    def address_field(self) -> str:
        """The contact field that holds this channel's address."""
        return ADDRESS_FIELD[self]


class AddressKind(StrEnum):
    """Which of a contact's addresses a channel uses. Add, never rename or remove."""

    EMAIL = "email"
    MOBILE = "mobile"
    POSTAL_ADDRESS = "postal_address"
    PUSH_TOKEN = "push_token"


ADDRESS_FIELD: dict[Channel, str] = {
    Channel.EMAIL: AddressKind.EMAIL,
    Channel.SMS: AddressKind.MOBILE,
    Channel.MMS: AddressKind.MOBILE,
    Channel.RCS: AddressKind.MOBILE,
    Channel.WHATSAPP: AddressKind.MOBILE,
    Channel.VOICE: AddressKind.MOBILE,
    Channel.POST: AddressKind.POSTAL_ADDRESS,
    Channel.PUSH: AddressKind.PUSH_TOKEN,
}


def parse_channel(value: str) -> Channel:
    """Read a channel name, refusing unknown ones with ``invalid_channel``."""
    try:
        return Channel(value.strip().lower())
    except ValueError:
        allowed = ", ".join(c.value for c in Channel)
        raise InvalidChannel(f"unknown channel {value!r}; use one of {allowed}") from None


@dataclass(frozen=True, slots=True)
class ChannelPolicy:
    """Per-deployment channel configuration.

    ``enabled`` are the channels this deployment uses. ``transactional_bypass`` are the
    channels on which a transactional message (receipt, password reset) may reach a contact
    who opted out of marketing; a bounce or complaint is never bypassed (seeds/003). A group
    may set its own per channel (``for_group``, decision 075).
    """

    enabled: frozenset[Channel] = frozenset(Channel)
    transactional_bypass: frozenset[Channel] = frozenset(
        {Channel.EMAIL, Channel.PUSH, Channel.POST}
    )

    #: the channels whose transactional bypass the group set itself (not the deployment's)
    set_by_group: frozenset[Channel] = frozenset()

    def for_group(self, settings: Mapping[Channel, bool]) -> ChannelPolicy:
        """This policy with a group's own transactional settings (channel → may bypass)."""
        bypass = {c for c in self.transactional_bypass if settings.get(c, True)}
        bypass |= {c for c, allowed in settings.items() if allowed}
        return replace(
            self, transactional_bypass=frozenset(bypass), set_by_group=frozenset(settings)
        )

    def require_enabled(self, channel: Channel) -> Channel:
        """Refuse a channel the deployment has switched off."""
        if channel not in self.enabled:
            raise InvalidChannel(f"channel {channel.value!r} is not enabled in this deployment")
        return channel
