"""The public "manage my preferences" request: a signed link to anyone who enters an address.

It answers the same whether the address is known or not, and is rate-limited per address and
per client IP in the database (shared by app servers; docs/decisions/033). The rate limit is
for the hosted page, not on the ``Ledger`` facade.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from consentry.core.channels import AddressKind, Channel
from consentry.core.contacts import Contact
from consentry.core.errors import Invalid
from consentry.core.links import LinkClaims, LinkPurpose
from consentry.ledger.context import Context
from consentry.ledger.messages import send_own_message

PREFERENCES_LINK_TTL = timedelta(days=2)
RATE_WINDOW = timedelta(hours=1)
PER_ADDRESS_LIMIT = 3
PER_IP_LIMIT = 20
MOBILE_CHANNELS = (Channel.SMS, Channel.MMS, Channel.RCS, Channel.WHATSAPP, Channel.VOICE)


def allow_preferences_request(ctx: Context, address: str, client_ip: str) -> bool:
    """Count one request per address and per client IP; False once either is over."""
    kind, value = _request_address(ctx, address)
    window = _window_start(ctx.clock.now())
    ip_key = ctx.addresses.digest(AddressKind.EMAIL, f"ip:{client_ip}")
    with ctx.store.transaction() as tx:
        by_address = tx.hit_rate_limit(f"a:{ctx.addresses.digest(kind, value)}"[:100], window)
        by_ip = tx.hit_rate_limit(f"i:{ip_key}"[:100], window)
        tx.commit()
    return by_address <= PER_ADDRESS_LIMIT and by_ip <= PER_IP_LIMIT


def send_preferences_link(ctx: Context, address: str) -> int:
    """Send a signed preferences link to the address in every group that knows it.

    Returns how many were sent; callers must not show it (no enumeration).
    """
    kind, value = _request_address(ctx, address)
    digest = ctx.addresses.digest(kind, value)
    with ctx.store.transaction(write=False) as tx:
        found = [tx.get_contact(g, c) for g, c in tx.find_contacts_by_key(kind, digest)]
    live = [c for c in found if c is not None and c.erased_at is None]
    return sum(1 for contact in live if _send_preferences_link(ctx, contact, kind, value))


def _send_preferences_link(ctx: Context, contact: Contact, kind: AddressKind, to: str) -> bool:
    """The link goes to the address asked for: the contact's own, since its key matched."""
    if ctx.outbox is None or ctx.signer is None:
        return False
    channels: tuple[Channel, ...] = (Channel.EMAIL,)
    channel = Channel.EMAIL
    if kind is AddressKind.MOBILE:
        channel = Channel.SMS
        channels = tuple(c for c in MOBILE_CHANNELS if c in ctx.policy.enabled)
    expires = ctx.clock.now() + PREFERENCES_LINK_TTL
    claims = LinkClaims(LinkPurpose.PREFERENCES, contact.id, contact.group_id, channels, expires)
    send_own_message(
        ctx.outbox, contact, channel, "preferences", to=to, category="preferences_link",
        link=ctx.signer.url(claims), sender=contact.group_id,
    )  # fmt: skip
    return True


def _request_address(ctx: Context, address: str) -> tuple[AddressKind, str]:
    text = address.strip()
    if not text:
        raise Invalid("enter an email address or a mobile number", field="address")
    if "@" in text:
        return AddressKind.EMAIL, ctx.addresses.email(text)
    return AddressKind.MOBILE, ctx.addresses.mobile(text)


def _window_start(now: datetime) -> datetime:
    """The start of the fixed rate-limit window that holds ``now``."""
    seconds = int(RATE_WINDOW.total_seconds())
    return datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, now.tzinfo)
