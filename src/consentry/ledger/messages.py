"""Consentry's own messages to a contact (confirmations, preference links), in their language."""

from __future__ import annotations

from consentry.core.channels import Channel
from consentry.core.contacts import Contact
from consentry.core.i18n import message_text, pick_language
from consentry.core.messaging import OutboundMessage
from consentry.ledger.ports import Outbox


def send_own_message(
    outbox: Outbox,
    contact: Contact,
    channel: Channel,
    template: str,
    *,
    to: str,
    category: str,
    link: str,
    sender: str,
) -> None:
    """Hand one of Consentry's own messages for ``to`` to the outbox, in the contact's language."""
    language = pick_language(contact.locale)
    subject, body = message_text(language, template, link=link, sender=sender)
    outbox.send(
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
