"""How the staff web app puts ledger answers into words: the opt-in status of a channel.

The Opt-In Status column (seeds/001) shows, for each channel the deployment uses, what a send
from the signed-in person's scope would get (an eligibility check for marketing): subscribed,
opted out (hard in red: the contact's own, it cannot be reversed), waiting for confirmation,
no consent, bounced or complained, or no address (docs/decisions/065).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from consentry.core.channels import Channel
from consentry.core.eligibility import Decision, Reason

#: The channels in the order the column shows them, with their name and their icon: an SVG
#: path (24 by 24, drawn with a stroke) inlined in the page, so no font or image is fetched.
CHANNELS: dict[Channel, tuple[str, str]] = {
    Channel.EMAIL: ("M3 6h18v12H3z M3 7l9 6 9-6", "Email"),
    Channel.SMS: ("M4 5h16v11H9l-5 4z", "SMS"),
    Channel.MMS: ("M3 5h18v14H3z M6 16l4-5 3 3 2-2 3 4", "MMS"),
    Channel.RCS: ("M4 5h16v11H9l-5 4z M8 10.5h.01 M12 10.5h.01 M16 10.5h.01", "RCS"),
    Channel.WHATSAPP: ("M12 3a9 9 0 0 0-7.8 13.5L3 21l4.6-1.2A9 9 0 1 0 12 3z", "WhatsApp"),
    Channel.VOICE: (
        "M5 3h4l2 5-2.5 1.5a11 11 0 0 0 6 6L16 13l5 2v4a2 2 0 0 1-2 2"
        "A17 17 0 0 1 3 5a2 2 0 0 1 2-2z",
        "Calls & Voicemails",
    ),
    Channel.POST: ("M4 10a4 4 0 0 1 8 0v9H4z M8 6h8a4 4 0 0 1 4 4v9h-8 M16 10V4h3", "Post"),
    Channel.PUSH: ("M6 16v-5a6 6 0 0 1 12 0v5l2 2H4z M10 20a2 2 0 0 0 4 0", "Push"),
}


class Look(StrEnum):
    """How an icon of the column looks: one class per state."""

    SUBSCRIBED = "subscribed"
    HARD = "hard"
    SOFT = "soft"
    PENDING = "pending"
    NONE = "none"
    BOUNCED = "bounced"
    NO_ADDRESS = "no-address"


#: A decision's reason → (look, hover text with ``{name}``).
WORDS: dict[Reason, tuple[Look, str]] = {
    Reason.OPTED_IN: (Look.SUBSCRIBED, "Subscribed to {name}"),
    Reason.HARD_OPT_OUT: (Look.HARD, "Opted out of {name}: the contact's own opt-out"),
    Reason.SOFT_OPT_OUT: (Look.SOFT, "Opted out of {name}"),
    Reason.PENDING: (Look.PENDING, "Waiting for the contact to confirm {name}"),
    Reason.NO_CONSENT: (Look.NONE, "No opt-in for {name}"),
    Reason.BOUNCED: (Look.BOUNCED, "{name} bounced"),
    Reason.COMPLAINED: (Look.BOUNCED, "Complained about {name}"),
    Reason.NO_ADDRESS: (Look.NO_ADDRESS, "No address for {name}"),
}


@dataclass(frozen=True, slots=True)
class Icon:
    """One channel's icon in the Opt-In Status column or on the profile."""

    channel: Channel
    path: str  # the SVG path of the channel's icon
    name: str
    look: Look
    text: str  # the hover text, also what a screen reader hears

    @property
    def opted_out(self) -> bool:
        """True for either kind of opt-out (the icon appears disabled)."""
        return self.look in (Look.HARD, Look.SOFT)


def icon(channel: Channel, decision: Decision) -> Icon:
    """The icon of one channel for one contact, from the eligibility decision."""
    path, name = CHANNELS[channel]
    look, text = WORDS.get(decision.reason, (Look.NONE, "No opt-in for {name}"))
    return Icon(channel, path, name, look, text.format(name=name))


def shown_channels(enabled: frozenset[Channel]) -> list[Channel]:
    """The deployment's channels in the column's order."""
    return [c for c in CHANNELS if c in enabled]
