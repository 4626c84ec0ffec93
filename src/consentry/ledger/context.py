"""The small bundle every use case takes: the ports, the channel policy and two memos.

A use case is a plain function ``verb(ctx, principal, identifying…, *, options…)``. It opens
its own unit of work on ``ctx.store`` and reads the time from ``ctx.clock``; nothing else of
the world reaches it. ``bootstrap.build`` makes the context; ``Ledger`` (facade.py) wraps it
for library users. A command of the API gets a copy whose store and outbox join the one
transaction of its request (``joined.py``, decision 020).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from consentry.core.channels import ChannelPolicy
from consentry.core.keywords import KeywordSet
from consentry.core.messaging import NumberConfig
from consentry.core.scopes import Scope
from consentry.ledger.ports import (
    Addresses,
    Clock,
    Outbox,
    PasswordHasher,
    Signer,
    Store,
    WebhookSecrets,
)

DEFAULT_CONFIRMATION_TTL = timedelta(days=7)
NUMBER_KEYS_KEPT = 4096  # remembered spellings of receiving numbers (numbers.number_key)


@dataclass(slots=True)
class InboundMemo:
    """Receiving numbers and keyword sets, each kept with the version of the store's inbound
    configuration it was read at (``Tx.inbound_config_version``; ``ledger/numbers.py``,
    decision 084): a transaction uses only what was read at the version it reads itself.

    ``groups`` holds each number's group: a number never changes group (``configure_number``
    refuses, and numbers are not deleted), so the webhook's principal is derived from it
    without a transaction of its own.
    """

    groups: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, tuple[str | None, NumberConfig]] = field(default_factory=dict)
    keyword_sets: dict[tuple[str, str, tuple[str, ...], bool], tuple[str | None, KeywordSet]] = (
        field(default_factory=dict)
    )


@dataclass(slots=True)
class Memo:
    """What a context remembers between calls: facts that never change once true.

    Scopes are never renamed or deleted, and a receiving number's stored spelling is a pure
    function of how it was written; both are read on every command, so they are kept here. So
    is the hash an unknown email's sign-in is checked against, made once per context. Receiving
    numbers and keyword sets do change: ``inbound`` keeps them with the version they were read
    at, and every message's transaction checks that version first.
    """

    scopes: dict[str, Scope] = field(default_factory=dict)
    number_keys: dict[str, str] = field(default_factory=dict)
    dummy_password_hash: str | None = None
    inbound: InboundMemo = field(default_factory=InboundMemo)

    def remember_number(self, given: str, key: str) -> None:
        """Remember a number's stored spelling, forgetting all once the memo is full."""
        if len(self.number_keys) >= NUMBER_KEYS_KEPT:
            self.number_keys.clear()
        self.number_keys[given] = key


@dataclass(slots=True)
class Context:
    """The ports a use case works through (STYLE §2) and the deployment's channel policy."""

    store: Store
    clock: Clock
    addresses: Addresses
    policy: ChannelPolicy = field(default_factory=ChannelPolicy)
    confirmation_ttl: timedelta = DEFAULT_CONFIRMATION_TTL
    outbox: Outbox | None = None
    signer: Signer | None = None  # signed links of the hosted pages
    passwords: PasswordHasher | None = None  # staff users' passwords (ledger/users.py)
    webhook_secrets: WebhookSecrets | None = None  # outbound webhooks' signing (076)
    webhook_allow_private: bool = False  # webhook URLs to private networks (tests, demo; 080)
    replica: Store | None = None  # where audiences and trends read, when set (decision 083)
    memo: Memo = field(default_factory=Memo)

    @property
    def reads(self) -> Store:
        """The store the heavy reads (audiences, trends) use: the read replica, if there is one.
        A replica may lag the primary by its replication delay; commands never read it."""
        return self.replica or self.store
