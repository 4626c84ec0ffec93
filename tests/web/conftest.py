"""The hosted pages over the ``ledger`` fixture, with a REAL local SMTP server (aiosmtpd)."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from consentry.adapters.mailer import SmtpSender
from consentry.adapters.store.schema import events
from consentry.ledger import Ledger
from consentry.settings import Settings
from consentry.web import mount

LINK = re.compile(r"https?://[^\s<>\"]+/(?:u|confirm)/[A-Za-z0-9_.-]+")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Inbox:
    """What the local SMTP server received."""

    messages: list[EmailMessage] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server, session, envelope):
        del server, session
        mail = message_from_bytes(envelope.content, policy=policy.default)
        with self.arrived:
            self.messages.append(mail)  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Block until ``count`` messages arrived."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout)
        assert len(self.messages) >= count, f"expected {count} emails, got {len(self.messages)}"
        return self.messages

    def text(self, n: int = -1) -> str:
        """The plain-text body of message ``n``."""
        part = self.messages[n].get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    def link(self, n: int = -1) -> str:
        """The first signed link in message ``n``, as a path."""
        found = LINK.search(self.text(n))
        assert found, self.text(n)
        return "/" + found.group(0).split("/", 3)[3]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on 127.0.0.1 and a free port."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def inbox(smtp: tuple[Inbox, int], ledger: Ledger, settings: Settings) -> Inbox:
    """The ledger's outbox sends email through the local SMTP server; its inbox."""
    box, port = smtp
    ledger.context.outbox = SmtpSender("127.0.0.1", port, settings.mail_from)
    return box


@pytest.fixture
def client(ledger: Ledger, settings: Settings, inbox: Inbox) -> Iterator[TestClient]:
    """The hosted pages through TestClient (mail goes to ``inbox``)."""
    del inbox
    app = FastAPI()
    mount(app, ledger, settings)
    with TestClient(app, headers={"User-Agent": "pytest-browser/1.0"}) as test_client:
        yield test_client


def event_count(ledger: Ledger) -> int:
    """How many ledger events are stored."""
    with ledger.store.engine.connect() as conn:  # type: ignore[attr-defined]
        count: int = conn.execute(select(func.count()).select_from(events)).scalar_one()
        return count


def path_of(url: str) -> str:
    """The path of an absolute link."""
    return "/" + url.split("/", 3)[3]
