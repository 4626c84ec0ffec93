"""Consentry's replies to inbound messages: their language and text, and the outbox they go to."""

from __future__ import annotations

from consentry.core.channels import Channel
from tests.factories import ADA_MOBILE, NEWS, admin, make_contact, receive_text, sender


def test_the_reply_is_in_the_language_of_the_keyword(numbers):
    make_contact(numbers)
    receive_text(numbers, "SM1", "ARRÊT")
    receive_text(numbers, "SM2", "ayuda")
    bodies = {i.message.category: i.message.body for i in numbers.list_outbox(sender())}
    assert bodies["opt_out_confirmation"].startswith("Vous êtes désabonné")
    assert bodies["help"].startswith("Responda BAJA")


def test_english_keywords_are_answered_in_the_numbers_first_language(numbers):
    numbers.configure_number(
        admin(), NEWS, "acme/newsletters", channels=["sms"], languages=["de", "en"]
    )
    receive_text(numbers, "SM1", "STOP")
    [item] = numbers.list_outbox(sender())
    assert item.message.body.startswith("Sie sind abgemeldet")


def test_a_numbers_own_text_is_used_in_every_language(numbers):
    numbers.configure_number(
        admin(), NEWS, "acme/newsletters", channels=["sms"], opt_out_text="Bye from Acme"
    )
    receive_text(numbers, "SM1", "PARAR")
    assert numbers.list_outbox(sender())[0].message.body == "Bye from Acme"


def test_the_sending_service_marks_replies_sent(numbers):
    receive_text(numbers, "SM1", "STOP")
    [item] = numbers.list_outbox(sender())
    assert numbers.mark_sent(sender(), item.id)
    assert not numbers.mark_sent(sender(), item.id)
    assert numbers.list_outbox(sender()) == []
    assert numbers.list_outbox(sender(), pending_only=False)[0].sent_at is not None
    assert numbers.list_outbox(sender("globex")) == []


class Recording:
    """An outbox that can only send now (a provider adapter): it is called after the commit."""

    def __init__(self) -> None:
        self.sent: list[object] = []

    def send(self, message: object) -> None:
        self.sent.append(message)


def test_an_outbox_that_cannot_join_the_transaction_is_called_after_commit(numbers):
    recording = Recording()
    numbers.context.outbox = recording
    result = receive_text(numbers, "SM1", "STOP")
    assert result.reply_id is None and len(recording.sent) == 1
    receive_text(numbers, "SM1", "STOP")  # the provider retries: nothing more
    assert len(recording.sent) == 1


def test_without_an_outbox_the_reply_is_only_returned(numbers):
    numbers.context.outbox = None
    result = receive_text(numbers, "SM1", "HELP")
    assert result.reply and result.reply_id is None


def test_the_routing_outbox_sends_email_elsewhere_and_queues_the_rest(numbers):
    from consentry.adapters.outbox import DbOutbox, RoutingOutbox
    from consentry.core.channels import Channel
    from consentry.core.messaging import OutboundMessage

    mail = Recording()
    table = DbOutbox(numbers.store, numbers.clock)
    numbers.context.outbox = RoutingOutbox({Channel.EMAIL: mail}, table)
    receive_text(numbers, "SM1", "STOP")
    assert len(numbers.list_outbox(sender())) == 1
    email = OutboundMessage("acme", "ct_x", Channel.EMAIL, "ada@example.com", "hi", "help")
    numbers.outbox.send(email)
    numbers.outbox.send(OutboundMessage("acme", "", Channel.SMS, ADA_MOBILE, "hello", "help"))
    assert mail.sent == [email]
    assert len(numbers.list_outbox(sender())) == 2


def test_a_routed_channel_whose_outbox_cannot_join_the_transaction_sends_after_commit(numbers):
    from consentry.adapters.outbox import DbOutbox, RoutingOutbox
    from consentry.core.channels import Channel

    sms_provider = Recording()
    table = DbOutbox(numbers.store, numbers.clock)
    numbers.context.outbox = RoutingOutbox({Channel.SMS: sms_provider}, table)
    receive_text(numbers, "SM1", "STOP")
    assert len(sms_provider.sent) == 1 and numbers.list_outbox(sender()) == []


def test_bootstrap_routes_email_to_smtp_when_a_host_is_configured(settings, clock):
    from dataclasses import replace

    from consentry.adapters.mailer import SmtpSender
    from consentry.adapters.outbox import DbOutbox, RoutingOutbox
    from consentry.bootstrap import build

    plain = build(settings, clock)
    assert isinstance(plain.outbox, DbOutbox)
    plain.close()
    routed = build(replace(settings, smtp_host="127.0.0.1", smtp_port=2525), clock)
    assert isinstance(routed.outbox, RoutingOutbox)
    assert isinstance(routed.outbox.routes[Channel.EMAIL], SmtpSender)
    assert isinstance(routed.outbox.default, DbOutbox)
    routed.close()
