"""Receiving numbers, keyword sets and outboxes: validation and the less common paths."""

from __future__ import annotations

import pytest

from consentry.core.channels import Channel
from consentry.core.errors import Invalid
from consentry.core.keywords import KeywordKind, default_keywords
from consentry.core.messaging import InboundOutcome as Outcome
from consentry.inbound.signatures import url_variants
from consentry.ledger.numbers import inbound_principal
from tests.factories import WRITTEN, admin, make_contact, sender, staff
from tests.inbound.conftest import ADA, NEWS


def text(ledger, sid, body, to=NEWS, channel="sms"):
    principal = inbound_principal(ledger.context, "twilio", to)
    return ledger.receive_message(principal, "twilio", sid, ADA, to, body, channel=channel)


@pytest.mark.parametrize(
    "bad",
    [
        {"channels": ["email"]},
        {"channels": []},
        {"languages": ["xx"]},
        {"unsubscribe_digit": "12"},
        {"unsubscribe_digit": "a"},
        {"keyword_set": " "},
        {"number": ""},
        {"number": "+" + "1" * 70},
    ],
)
def test_a_bad_number_configuration_is_refused(numbers, bad):
    args = {"number": "+447700900902", "scope_id": "acme", "channels": ["sms"], **bad}
    with pytest.raises(Invalid):
        numbers.configure_number(admin(), **args)


@pytest.mark.parametrize(
    ("kind", "word", "language"),
    [("opt_out", "!!!", "*"), ("opt_out", "x" * 101, "*"), ("nope", "go", "*"),
     ("opt_out", "go", "xx")],
)  # fmt: skip
def test_a_bad_keyword_change_is_refused(numbers, kind, word, language):
    with pytest.raises(Invalid):
        numbers.add_keyword(admin(), kind, word, language=language)


def test_a_bad_keyword_in_a_keyword_set_value_is_refused():
    with pytest.raises(Invalid):
        default_keywords().adding(KeywordKind.OPT_OUT, "...")
    with pytest.raises(Invalid):
        default_keywords(["xx"])


def test_an_alphanumeric_sender_id_is_kept_as_given(numbers):
    config = numbers.configure_number(admin(), "ACME", "acme/events", channels=["sms"])
    assert config.number == "ACME"
    assert [n.number for n in numbers.list_numbers(admin())] == [
        "+447700900900",
        "+447700900901",
        "ACME",
    ]
    assert numbers.get_number(admin(), "ACME").scope_id == "acme/events"


def test_a_word_added_for_another_language_does_not_apply_to_a_number_without_it(numbers):
    numbers.configure_number(
        admin(), NEWS, "acme/newsletters", channels=["sms"], keyword_set="uk", languages=["en"]
    )
    numbers.add_keyword(admin(), "opt_out", "assez", keyword_set="uk", language="fr")
    assert text(numbers, "SM1", "assez").outcome is Outcome.IGNORED


def test_an_inbound_message_comes_by_a_messaging_channel(numbers):
    with pytest.raises(Invalid):
        text(numbers, "SM1", "STOP", channel="voice")
    with pytest.raises(Invalid):
        text(numbers, " ", "STOP")


def test_start_when_already_opted_in_changes_nothing_and_says_nothing(numbers):
    ada = make_contact(numbers)
    numbers.opt_in(staff(), ada.id, "sms", "acme/newsletters", evidence=WRITTEN)
    result = text(numbers, "SM1", "START")
    assert result.outcome is Outcome.OPTED_IN and result.event_ids == () and result.reply is None
    assert numbers.list_outbox(sender()) == []


class Recording:
    """An outbox that can only send now (a provider adapter): it is called after the commit."""

    def __init__(self) -> None:
        self.sent: list[object] = []

    def send(self, message: object) -> None:
        self.sent.append(message)


def test_an_outbox_that_cannot_join_the_transaction_is_called_after_commit(numbers):
    recording = Recording()
    numbers.context.outbox = recording  # type: ignore[assignment]
    result = text(numbers, "SM1", "STOP")
    assert result.reply_id is None and len(recording.sent) == 1
    text(numbers, "SM1", "STOP")  # the provider retries: nothing more
    assert len(recording.sent) == 1


def test_without_an_outbox_the_reply_is_only_returned(numbers):
    numbers.context.outbox = None
    result = text(numbers, "SM1", "HELP")
    assert result.reply and result.reply_id is None


def test_the_routing_outbox_sends_email_elsewhere_and_queues_the_rest(numbers):
    from consentry.adapters.outbox import DbOutbox, RoutingOutbox
    from consentry.core.channels import Channel
    from consentry.core.messaging import OutboundMessage

    mail = Recording()
    table = DbOutbox(numbers.store, numbers.clock)
    numbers.context.outbox = RoutingOutbox({Channel.EMAIL: mail}, table)  # type: ignore[dict-item]
    text(numbers, "SM1", "STOP")
    assert len(numbers.list_outbox(sender())) == 1
    email = OutboundMessage("acme", "ct_x", Channel.EMAIL, "ada@example.com", "hi", "help")
    numbers.outbox.send(email)
    numbers.outbox.send(OutboundMessage("acme", "", Channel.SMS, ADA, "hello", "help"))
    assert mail.sent == [email]
    assert len(numbers.list_outbox(sender())) == 2


def test_url_variants_leave_other_schemes_alone():
    assert url_variants("ftp://files.example/x") == ["ftp://files.example/x"]


def test_a_routed_channel_whose_outbox_cannot_join_the_transaction_sends_after_commit(numbers):
    from consentry.adapters.outbox import DbOutbox, RoutingOutbox
    from consentry.core.channels import Channel

    sms_provider = Recording()
    table = DbOutbox(numbers.store, numbers.clock)
    numbers.context.outbox = RoutingOutbox({Channel.SMS: sms_provider}, table)  # type: ignore[dict-item]
    text(numbers, "SM1", "STOP")
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


def test_webhook_secrets_and_the_public_url_come_from_the_environment():
    from consentry.settings import Settings

    env = {
        "CONSENTRY_TWILIO_AUTH_TOKEN": "new-token, old-token",
        "CONSENTRY_INBOUND_SECRET": "whsec",
        "CONSENTRY_INBOUND_URL": "https://hooks.example/",
    }
    settings = Settings.from_env(env)
    assert settings.twilio_auth_tokens == ("new-token", "old-token")
    assert settings.inbound_secrets == ("whsec",)
    assert settings.inbound_url == "https://hooks.example"
    bare = Settings.from_env({})
    assert bare.twilio_auth_tokens == () and bare.inbound_url is None
