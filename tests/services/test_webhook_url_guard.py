"""The URL guard of outbound webhooks (decision 080) on both databases, with a real receiver:
a subscription is refused a private address when it is made or changed, and the worker refuses
to connect to a host that is, or resolves to, an address not public, recording why. The host is
resolved once per connection and the connection goes to the address that was checked."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from consentry.adapters.webhook_sender import HttpSender, PublicOnly, public_only_transport
from consentry.core.errors import Invalid, WebhookUrlNotPublic
from consentry.ledger import Ledger
from consentry.settings import Settings
from tests.factories import admin, make_contact, sql
from tests.services.test_webhooks import ALL, Receiver, subscribe

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def guarded() -> Iterator[HttpSender]:
    """The worker's sender as a deployment has it: public addresses only."""
    made = HttpSender(timeout=5)
    yield made
    made.close()


def public_only(ledger: Ledger) -> Ledger:
    """The ledger as a deployment without CONSENTRY_WEBHOOK_ALLOW_PRIVATE has it."""
    return Ledger(replace(ledger.context, webhook_allow_private=False))


def errors(ledger: Ledger) -> list[str | None]:
    return [e for (e,) in sql(ledger, "SELECT error FROM webhook_attempts ORDER BY number")]


def test_a_private_url_is_refused_when_made_and_when_changed(ledger):
    strict = public_only(ledger)
    for url in ("https://169.254.169.254/latest/meta-data", "http://127.0.0.1:9/h"):
        with pytest.raises(WebhookUrlNotPublic):
            strict.create_webhook(admin(), "acme", url, event_types=ALL)
    sub, _ = strict.create_webhook(admin(), "acme", "https://crm.example.com/h", event_types=ALL)
    with pytest.raises(WebhookUrlNotPublic):
        strict.update_webhook(admin(), sub.id, url="https://[::ffff:10.0.0.1]/h")
    assert ledger.get_webhook(admin(), sub.id).subscription.url == "https://crm.example.com/h"
    allowed = ledger.update_webhook(admin(), sub.id, url="https://10.0.0.1/h")  # tests, demo
    assert allowed.url == "https://10.0.0.1/h"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_worker_refuses_a_host_that_is_not_public_and_records_why(
    ledger, receiver, guarded, host
):
    receiver.url = receiver.url.replace("127.0.0.1", host)
    subscribe(ledger, receiver)  # made where private networks are allowed, sent where not
    ada = make_contact(ledger)
    ledger.opt_out(admin(), ada.id, "email", "acme")
    report = ledger.deliver_webhooks(guarded)
    assert (report.delivered, report.retrying) == (0, 1)
    assert receiver.got == []  # nothing reached it
    [error] = errors(ledger)
    assert error is not None and "webhook_url_not_public" in error and "127.0.0.1" in error


def sender_with(backend: PublicOnly) -> HttpSender:
    return HttpSender(client=httpx.Client(transport=public_only_transport(backend), timeout=5))


def test_the_connection_goes_to_the_address_that_was_checked(receiver):
    """A resolver that would answer a private address the second time (DNS rebinding) is
    asked once per connection: the checked answer is the one connected to."""
    port = receiver.server.server_port
    asked: list[str] = []
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])

    def rebinding(host: str, _port: int) -> list[str]:
        asked.append(host)
        return next(answers)

    receiver.secret = SECRET
    sender = sender_with(PublicOnly(rebinding, allowed=lambda a: a == "127.0.0.1"))
    try:
        sent = sender.send(f"http://hooks.test:{port}/h", SECRET, message_id="wd_1", body="{}")
    finally:
        sender.close()
    assert (sent.status_code, sent.error) == (204, None)
    [(headers, _)] = receiver.got
    assert headers["host"] == f"hooks.test:{port}" and asked == ["hooks.test"]


def test_one_address_not_public_among_several_refuses_the_connection(receiver):
    receiver.secret = SECRET
    both = PublicOnly(lambda _h, _p: ["127.0.0.1", "10.0.0.1"], allowed=lambda a: a == "127.0.0.1")
    sender = sender_with(both)
    url = f"http://hooks.test:{receiver.server.server_port}/h"
    try:
        sent = sender.send(url, SECRET, message_id="wd_1", body="{}")
    finally:
        sender.close()
    assert sent.status_code is None and sent.error is not None
    assert "10.0.0.1" in sent.error and "webhook_url_not_public" in sent.error
    assert receiver.got == []


def test_a_host_that_does_not_resolve_is_an_error_to_retry(ledger, receiver):
    receiver.url = "https://hooks.invalid/h"
    subscribe(ledger, receiver)
    ada = make_contact(ledger)
    ledger.opt_out(admin(), ada.id, "email", "acme")

    def nowhere(_host: str, _port: int) -> list[str]:
        raise OSError("Name or service not known")

    sender = sender_with(PublicOnly(nowhere))
    try:
        assert ledger.deliver_webhooks(sender).retrying == 1
    finally:
        sender.close()
    [error] = errors(ledger)
    assert error is not None and error.startswith("ConnectError: hooks.invalid")


def test_a_lease_is_bounded(ledger, guarded):
    for lease in (timedelta(0), timedelta(hours=2)):
        with pytest.raises(Invalid) as refused:
            ledger.deliver_webhooks(guarded, lease=lease)
        assert refused.value.details == {"field": "lease"}
    assert ledger.deliver_webhooks(guarded, lease=timedelta(seconds=1)).attempted == 0


def test_the_setting_is_off_unless_asked_for_or_in_demo_mode():
    assert not Settings.from_env({}).webhook_allow_private
    assert Settings.from_env({"CONSENTRY_WEBHOOK_ALLOW_PRIVATE": "1"}).webhook_allow_private
    assert Settings.from_env({"CONSENTRY_DEMO": "1"}).webhook_allow_private
    demo_without = {"CONSENTRY_DEMO": "1", "CONSENTRY_WEBHOOK_ALLOW_PRIVATE": "0"}
    assert not Settings.from_env(demo_without).webhook_allow_private
