"""Consentry's own emails (opt-in confirmations, preference links) over real SMTP.

``SmtpSender`` implements ``ports.Outbox`` for the email channel: a multipart message with a
plain-text part and an HTML part made from it (links made clickable, text escaped). A delivery
failure is logged, never raised: the contact's change is already recorded, and the contact can
ask again from the page.
"""

from __future__ import annotations

import html
import logging
import re
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from consentry.core.channels import Channel
from consentry.core.messaging import OutboundMessage

log = logging.getLogger(__name__)
URL = re.compile(r"https?://[^\s<>\"]+")


class SmtpSender:
    """Sends email-channel messages through an SMTP server (other channels are ignored)."""

    def __init__(
        self,
        host: str,
        port: int = 25,
        mail_from: str = "no-reply@example.com",
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.mail_from = mail_from
        self.timeout = timeout

    def send(self, message: OutboundMessage) -> None:
        """Deliver one email now; log and swallow SMTP and network failures."""
        if message.channel is not Channel.EMAIL:
            log.warning("SmtpSender ignores %s messages", message.channel.value)
            return
        mail = self.compose(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            log.error(
                "could not send %s email to contact %s: %s",
                message.category,
                message.contact_id,
                exc,
            )

    def compose(self, message: OutboundMessage) -> EmailMessage:
        """The MIME message: text/plain plus an HTML alternative."""
        mail = EmailMessage()
        mail["From"] = message.sender or self.mail_from
        mail["To"] = message.to
        mail["Subject"] = message.subject or "Consentry"
        mail["Message-ID"] = make_msgid(domain=self.mail_from.rpartition("@")[2] or None)
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(message.body)
        mail.add_alternative(to_html(message.body), subtype="html")
        return mail


def to_html(text: str) -> str:
    """Plain text as a small HTML document: paragraphs, escaped, links clickable."""
    paragraphs = []
    for block in text.split("\n\n"):
        escaped = html.escape(block)
        linked = URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        paragraphs.append(f"<p>{linked.replace(chr(10), '<br>')}</p>")
    body = "\n".join(paragraphs)
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f'<body style="font-family:sans-serif;line-height:1.5;color:#1a1a1a">{body}</body></html>'
    )
