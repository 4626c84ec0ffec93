"""Confirmation messages, double opt-in, the expiry sweep and the public preference-link
request (SPEC §4; seeds/003).

The opt-in confirmation is the only message that may reach an opted-out contact: it is sent
only while eligibility says ``opt_in_confirmation`` (an open request), and it carries a signed
confirmation link. The public request answers the same whether the address is known or not,
and is rate-limited per address and per client IP in the database (shared by app servers).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from consentry.core.channels import AddressKind, Channel
from consentry.core.contacts import Contact
from consentry.core.eligibility import Category
from consentry.core.errors import Forbidden, Invalid
from consentry.core.events import Action, ConsentEvent, Source
from consentry.core.i18n import message_text, pick_language
from consentry.core.links import LinkClaims, LinkPurpose
from consentry.core.messaging import OutboundMessage
from consentry.core.permissions import Capability, Principal, Role, authorise
from consentry.core.status import NO_CONSENT
from consentry.ledger.base import Change
from consentry.ledger.consent import ConsentCommands
from consentry.ledger.ports import Tx
from consentry.ledger.reads import Reads

PREFERENCES_LINK_TTL = timedelta(days=2)
RATE_WINDOW = timedelta(hours=1)
PER_ADDRESS_LIMIT = 3
PER_IP_LIMIT = 20
MOBILE_CHANNELS = (Channel.SMS, Channel.MMS, Channel.RCS, Channel.WHATSAPP, Channel.VOICE)

Evidence = Mapping[str, Any] | None


class ConfirmationCommands(ConsentCommands, Reads):
    """Messages Consentry sends itself, and the confirmation life cycle."""

    def request_double_opt_in(
        self,
        principal: Principal,
        contact_id: str,
        channel: str | Channel,
        scope_id: str,
        evidence: Evidence = None,
        source: Source = Source.SIGNUP_FORM,
    ) -> ConsentEvent:
        """A new signup: pending, and an opt-in confirmation message with a signed link."""
        event = self.request_confirmation(
            principal, contact_id, channel, scope_id, evidence, source
        )
        self.send_confirmation(contact_id, event.group_id, event.channel, event.scope_id)
        return event

    def send_confirmation(
        self, contact_id: str, group_id: str, channel: Channel, scope_id: str
    ) -> bool:
        """Send the opt-in confirmation message if eligibility allows it (an open request)."""
        system = Principal(Role.SYSTEM, group_id, "hosted-pages")
        decision = self.check(system, contact_id, channel, scope_id, Category.OPT_IN_CONFIRMATION)
        if not decision.allowed or self.outbox is None or self.signer is None:
            return False
        with self.store.transaction(write=False) as tx:
            contact = self._contact(tx, system, contact_id)
            scope = self._scope(tx, system, scope_id)
        claims = LinkClaims(
            LinkPurpose.CONFIRM,
            contact.id,
            scope.id,
            (channel,),
            self.clock.now() + self.confirmation_ttl,
        )
        link = self.signer.url(claims)
        self._send_own_message(
            contact,
            channel,
            "confirm",
            Category.OPT_IN_CONFIRMATION.value,
            link=link,
            sender=scope.name,
        )
        return True

    def expire_confirmations(self, principal: Principal, limit: int = 1000) -> int:
        """Record ``confirmation_expired`` for every request past its time (group admins, system).

        Expiry is already lazy in the status model; the sweep writes it into the ledger so
        the history shows it. The status stays as it was before the request. The sweep covers
        the whole group, so a client admin is out of scope (docs/decisions/034).
        """
        if principal.role not in (Role.SYSTEM, Role.ADMIN):
            raise Forbidden("only a group admin or the deployment sweeps expired confirmations")
        authorise(principal, Capability.CHANGE_SUBSCRIPTION, principal.group_id)
        now = self.clock.now()
        with self.store.transaction() as tx:
            due = tx.open_confirmations_before(principal.group_id, now, limit)
            for contact_id, channel, scope_id in due:
                self._expire_request(tx, principal, contact_id, channel, scope_id)
            tx.commit()
        return len(due)

    def _expire_request(
        self, tx: Tx, principal: Principal, contact_id: str, channel: Channel, scope_id: str
    ) -> None:
        contact = self._contact(tx, principal, contact_id)
        head = tx.lock_chain(contact_id)
        current = tx.consents(contact_id, channel, [scope_id]).get(scope_id, NO_CONSENT)
        change = Change(
            contact,
            channel,
            scope_id,
            Action.CONFIRMATION_EXPIRED,
            principal.actor,
            principal.id,
            Source.LIFECYCLE_RULE,
        )
        self._record(tx, head, change, current)

    # ── the public "manage my preferences" request ──
    def allow_preferences_request(self, address: str, client_ip: str) -> bool:
        """Count one request per address and per client IP; False once either is over."""
        kind, value = self._request_address(address)
        now = self.clock.now()
        window = _window_start(now)
        ip_key = self.addresses.digest(AddressKind.EMAIL, f"ip:{client_ip}")
        with self.store.transaction() as tx:
            by_address = tx.hit_rate_limit(f"a:{self.addresses.digest(kind, value)}"[:100], window)
            by_ip = tx.hit_rate_limit(f"i:{ip_key}"[:100], window)
            tx.commit()
        return by_address <= PER_ADDRESS_LIMIT and by_ip <= PER_IP_LIMIT

    def send_preferences_link(self, address: str) -> int:
        """Send a signed preferences link to the address in every group that knows it.

        Returns how many were sent; callers must not show it (no enumeration).
        """
        kind, value = self._request_address(address)
        digest = self.addresses.digest(kind, value)
        with self.store.transaction(write=False) as tx:
            found = [tx.get_contact(g, c) for g, c in tx.find_contacts_by_key(kind, digest)]
        sent = 0
        for contact in found:
            if (
                contact is not None
                and contact.erased_at is None
                and self._send_preferences_link(contact, kind)
            ):
                sent += 1
        return sent

    def _send_preferences_link(self, contact: Contact, kind: AddressKind) -> bool:
        if self.outbox is None or self.signer is None:
            return False
        channels: tuple[Channel, ...] = (Channel.EMAIL,)
        channel = Channel.EMAIL
        if kind is AddressKind.MOBILE:
            channel = Channel.SMS
            channels = tuple(c for c in MOBILE_CHANNELS if c in self.policy.enabled)
        claims = LinkClaims(
            LinkPurpose.PREFERENCES,
            contact.id,
            contact.group_id,
            channels,
            self.clock.now() + PREFERENCES_LINK_TTL,
        )
        self._send_own_message(
            contact,
            channel,
            "preferences",
            "preferences_link",
            link=self.signer.url(claims),
            sender=contact.group_id,
        )
        return True

    def _request_address(self, address: str) -> tuple[AddressKind, str]:
        text = address.strip()
        if not text:
            raise Invalid("enter an email address or a mobile number", field="address")
        if "@" in text:
            return AddressKind.EMAIL, self.addresses.email(text)
        return AddressKind.MOBILE, self.addresses.mobile(text)

    def _send_own_message(
        self, contact: Contact, channel: Channel, template: str, category: str, **values: str
    ) -> None:
        to = contact.address(channel)
        if to is None or self.outbox is None:
            return
        subject, body = message_text(pick_language(contact.locale), template, **values)
        self.outbox.send(
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


def _window_start(now: datetime) -> datetime:
    """The start of the fixed rate-limit window that holds ``now``."""
    seconds = int(RATE_WINDOW.total_seconds())
    return datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, now.tzinfo)
