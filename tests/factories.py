"""Tiny builders for tests: principals, scope trees, contacts, receiving numbers (RFC 2606 names,
Ofcom's reserved drama numbers)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import argon2

from consentry.adapters.passwords import Argon2Passwords
from consentry.core import chain
from consentry.core.channels import Channel
from consentry.core.contacts import Contact, ContactDetails
from consentry.core.events import (
    Action,
    Actor,
    ActorKind,
    ConsentEvent,
    Source,
    Strength,
    chain_fields,
)
from consentry.core.permissions import Principal, Role
from consentry.core.users import User
from consentry.ledger import Ledger
from consentry.ledger.inbound_steps import InboundResult
from consentry.ledger.numbers import inbound_principal

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

#: acme: newsletters (users ada, alan) and events (user bob); globex: another group entirely.
SCOPES = (
    "acme",
    "acme/newsletters",
    "acme/newsletters/ada",
    "acme/newsletters/alan",
    "acme/events",
    "acme/events/bob",
    "globex",
    "globex/sales",
)

#: A record of written permission (seeds/000, decision 056): what, when and where.
WRITTEN = {
    "written_permission": "email",
    "given_at": "2026-01-02",
    "reference": "Email of 2026-01-02: 'Yes, please text me offers.'",
}

NEWS = "+447700900900"  # acme/newsletters receives SMS, MMS and WhatsApp here
EVENTS = "+447700900901"  # acme/events receives SMS and voice here
ADA_MOBILE = "+447700900123"  # make_contact's default mobile


def system(group: str = "acme") -> Principal:
    """The deployment operator, for one group."""
    return Principal(Role.SYSTEM, group, "operator")


def admin(scope: str = "acme") -> Principal:
    """An admin bound to a scope."""
    return Principal(Role.ADMIN, scope, f"admin@{scope}")


def staff(scope: str = "acme") -> Principal:
    """A staff member bound to a scope."""
    return Principal(Role.STAFF, scope, f"staff@{scope}")


def viewer(scope: str = "acme") -> Principal:
    """A read-only user."""
    return Principal(Role.VIEWER, scope, f"viewer@{scope}")


def sender(scope: str = "acme") -> Principal:
    """A sending service's API key."""
    return Principal(Role.SENDER, scope, f"key-{scope}", via_key=True)


def as_contact(contact: Contact) -> Principal:
    """The contact themselves, as after following a signed link."""
    return Principal(Role.CONTACT, contact.group_id, contact.id, contact_id=contact.id)


def make_scopes(ledger: Ledger) -> None:
    """Create the acme and globex trees."""
    for scope_id in SCOPES:
        ledger.add_scope(system(scope_id.split("/")[0]), scope_id)


def make_contact(
    ledger: Ledger,
    email: str | None = "ada@example.com",
    mobile: str | None = "+447700900123",
    group: str = "acme",
    **more: Any,
) -> Contact:
    """Add a contact to a group."""
    details = ContactDetails(email=email, mobile=mobile, **more)
    return ledger.add_contact(staff(group), details)


def make_numbers(ledger: Ledger) -> Ledger:
    """Configure acme's two receiving numbers (``NEWS`` and ``EVENTS``); the ledger."""
    ledger.configure_number(admin(), NEWS, "acme/newsletters", channels=["sms", "mms", "whatsapp"])
    ledger.configure_number(
        admin(),
        EVENTS,
        "acme/events",
        channels=["sms", "voice"],
        help_text="Acme Events: 0800 000 000",
    )
    return ledger


def receive_text(
    ledger: Ledger,
    sid: str,
    body: str,
    *,
    sender_number: str = ADA_MOBILE,
    to: str = NEWS,
    channel: str = "sms",
) -> InboundResult:
    """Deliver one text message to a receiving number, as its provider (Twilio) would."""
    principal = inbound_principal(ledger.context, "twilio", to)
    return ledger.receive_message(
        principal, "twilio", sid, sender_number, to, body, channel=channel
    )


def make_event(
    action: Action,
    actor: ActorKind = ActorKind.ADMIN,
    *,
    seq: int = 1,
    event_id: str | None = None,
    contact_id: str = "ct_ada",
    scope_id: str = "acme",
    channel: Channel = Channel.SMS,
    source: Source = Source.API,
    expires_at: datetime | None = None,
    evidence: str | None = None,
    salt: str | None = None,
    prev_hash: str | None = None,
) -> ConsentEvent:
    """A hand-built event (chained onto ``prev_hash``, or the contact's genesis)."""
    strength = Strength.HARD if actor is ActorKind.CONTACT else Strength.SOFT
    prev = prev_hash if prev_hash is not None else chain.genesis(contact_id)
    draft = ConsentEvent(
        id=event_id or f"ev_{seq}",
        contact_id=contact_id,
        group_id="acme",
        seq=seq,
        channel=channel,
        scope_id=scope_id,
        action=action,
        strength=strength,
        actor=Actor(actor, "someone"),
        recorded_by="someone",
        source=source,
        reason=None,
        evidence=evidence,
        evidence_salt=salt,
        evidence_commitment=chain.commitment(salt, evidence),
        occurred_at=T0 + timedelta(minutes=seq),
        recorded_at=T0 + timedelta(minutes=seq),
        expires_at=expires_at,
        prev_hash=prev,
        hash="",
    )
    return replace(draft, hash=chain.link(prev, chain_fields(draft)))


def make_chain(
    actions: list[tuple[Action, ActorKind]], contact_id: str = "ct_ada"
) -> list[ConsentEvent]:
    """A valid hash chain of hand-built events for one contact."""
    events: list[ConsentEvent] = []
    prev = chain.genesis(contact_id)
    for n, (action, actor) in enumerate(actions, start=1):
        evidence = f'{{"note":"n{n}"}}' if n % 2 else None
        salt = f"salt{n}" if evidence else None
        event = make_event(
            action,
            actor,
            seq=n,
            contact_id=contact_id,
            evidence=evidence,
            salt=salt,
            prev_hash=prev,
        )
        events.append(event)
        prev = event.hash
    return events


def count_rows(ledger: Ledger) -> dict[str, int]:
    """How many rows each ledger table holds, read straight from the store."""
    names = (
        "contacts", "contact_keys", "events", "chain_heads", "consents", "suppressions",
        "trend_days",
    )  # fmt: skip
    with ledger.store.engine.connect() as conn:  # type: ignore[attr-defined]
        return {n: conn.exec_driver_sql(f"SELECT count(*) FROM {n}").scalar_one() for n in names}


def sql(ledger: Ledger, statement: str, **params: Any) -> list[Any]:
    """Run one SQL statement directly on the store (tamper tests), committing it."""
    from sqlalchemy import text

    with ledger.store.engine.begin() as conn:  # type: ignore[attr-defined]
        result = conn.execute(text(statement), params)
        return list(result) if result.returns_rows else []


#: A staff user's password in the tests (long enough: core/users.MIN_PASSWORD).
PASSWORD = "correct horse battery staple"


def fast_passwords(ledger: Ledger) -> Ledger:
    """The ledger with real Argon2id at the lowest cost (the defaults take ~0.2 s a hash)."""
    cheap = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    ledger.context.passwords = Argon2Passwords(cheap)
    return ledger


def make_user(
    ledger: Ledger,
    email: str = "sam@example.com",
    role: Role = Role.STAFF,
    scope: str = "acme",
    *,
    by: Principal | None = None,
    password: str = PASSWORD,
) -> User:
    """A staff web app user, made by the group's operator unless ``by`` is given."""
    creator = by or system(scope.split("/")[0])
    name = email.split("@")[0].title()
    return ledger.create_user(
        creator, email, name=name, role=role, scope_id=scope, password=password
    )
