"""Consentry's own emails, sent through a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import logging

from consentry.adapters.mailer import SmtpSender, to_html
from consentry.core.channels import Channel
from consentry.core.messaging import OutboundMessage
from tests.mail import free_port

MESSAGE = OutboundMessage(
    group_id="acme",
    contact_id="ct_ada",
    channel=Channel.EMAIL,
    to="ada@example.com",
    body="Hello <Ada>.\n\nConfirm here: https://consent.example.com/confirm/k1.abc.def",
    category="opt_in_confirmation",
    subject="Please confirm",
)


def test_an_email_has_a_text_and_an_escaped_html_part_with_clickable_links(smtp):
    inbox, port = smtp
    SmtpSender("127.0.0.1", port, "consent@example.com").send(MESSAGE)
    mail = inbox.wait_for(1)[0]
    assert (mail["From"], mail["To"], mail["Subject"]) == (
        "consent@example.com",
        "ada@example.com",
        "Please confirm",
    )
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "&lt;Ada&gt;" in html
    assert '<a href="https://consent.example.com/confirm/k1.abc.def">' in html
    assert "Hello <Ada>." in inbox.text()


def test_other_channels_are_not_sent_by_smtp(smtp, caplog):
    inbox, port = smtp
    sms = OutboundMessage("acme", "ct_ada", Channel.SMS, "+447700900123", "hi", "preferences_link")
    with caplog.at_level(logging.WARNING):
        SmtpSender("127.0.0.1", port).send(sms)
    assert inbox.messages == [] and "ignores sms" in caplog.text


def test_a_delivery_failure_is_logged_not_raised(caplog):
    with caplog.at_level(logging.ERROR):
        SmtpSender("127.0.0.1", free_port(), timeout=2).send(MESSAGE)
    assert "could not send opt_in_confirmation email" in caplog.text


def test_html_keeps_paragraphs_and_line_breaks():
    assert to_html("a\nb\n\nc").count("<p>") == 2 and "a<br>b" in to_html("a\nb")
