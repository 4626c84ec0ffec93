"""A real SMTP peer for the tests (aiosmtpd): what Consentry's mailer delivered, and its links."""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

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
            self.messages.append(mail)
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
