"""Consentry's own messages to a contact (confirmations, preference links), in their language."""

from __future__ import annotations

from consentry.core.channels import Channel
from consentry.core.contacts import Contact
from consentry.core.i18n import message_text, pick_language
from consentry.core.messaging import OutboundMessage
from consentry.ledger.context import Context


def send_own_message(
    ctx: Context,
    contact: Contact,
    channel: Channel,
    template: str,
    *,
    category: str,
    link: str,
    sender: str,
) -> None:
    """Hand one of Consentry's own messages to the outbox; nothing without an address."""
    to = contact.address(channel)
    if to is None or ctx.outbox is None:
        return
    language = pick_language(contact.locale)
    subject, body = message_text(language, template, link=link, sender=sender)
    ctx.outbox.send(
        OutboundMessage(
            group_id=contact.group_id,
            contact_id=contact.id,
            channel=channel,
            to=to,
            body=body,
            category=category,
            subject=subject if channel is Channel.EMAIL else None,
        )
    )
