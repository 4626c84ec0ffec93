"""The contacts table: search, the "Unsubscribed" filter per channel, pages by cursor, and the
Opt-In Status column (seeds/001, seeds/002)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from consentry.core import limits
from consentry.core.channels import Channel
from consentry.core.contacts import Contact, ContactFilter
from consentry.core.errors import Invalid
from consentry.core.users import StaffSession
from consentry.ledger import Ledger
from consentry.ledger.eligibility import CheckRequest
from consentry.staff.views import CHANNELS, Icon, Look, icon, shown_channels

PAGE_SIZE = 50
#: The legend under the table: each look, whether it is struck through, and what it means.
LEGEND = (
    (Look.SUBSCRIBED.value, False, "subscribed"),
    (Look.SOFT.value, True, "opted out (an admin can re-subscribe)"),
    (Look.HARD.value, True, "opted out by the contact themselves: red, cannot be reversed"),
    (Look.PENDING.value, False, "waiting for the contact to confirm"),
    (Look.NONE.value, False, "no opt-in"),
    (Look.BOUNCED.value, False, "bounced or complained"),
)
PHONE_LIKE = re.compile(r"\+?[\d\s().-]*\d[\d\s().-]*")  # digits, spaces, + ( ) - .


@dataclass(frozen=True, slots=True)
class Row:
    """One contact of the table and its icons, in the column's channel order."""

    contact: Contact
    icons: list[Icon]


@dataclass(slots=True)
class ContactsView:
    """What the contacts page shows."""

    q: str
    unsubscribed: str
    channels: list[tuple[str, str]]  # (value, name) for the filter
    rows: list[Row] = field(default_factory=list)
    next_after: str | None = None
    error: str | None = None
    status: int = 200
    legend: tuple[tuple[str, bool, str], ...] = LEGEND
    legend_path: str = CHANNELS[Channel.SMS][0]


def search_filter(q: str, unsubscribed: str, after: str | None) -> ContactFilter:
    """What the search box means: an address with ``@`` is an email address, one made of
    digits, spaces and ``+ ( ) - .`` a mobile number in any format (the group's default
    region reads ``07700 900123``), anything else an external id."""
    text = q.strip()
    out = Channel(unsubscribed) if unsubscribed else None
    where = ContactFilter(opted_out_channel=out, after=after or None, limit=PAGE_SIZE + 1)
    if not text:
        return where
    if "@" in text:
        return ContactFilter(email=text, opted_out_channel=out, limit=PAGE_SIZE + 1)
    if PHONE_LIKE.fullmatch(text):
        return ContactFilter(mobile=text, opted_out_channel=out, limit=PAGE_SIZE + 1)
    return ContactFilter(external_id=text, opted_out_channel=out, limit=PAGE_SIZE + 1)


def contacts_view(ledger: Ledger, session: StaffSession, query: Mapping[str, str]) -> ContactsView:
    """The table for the signed-in person: their group's contacts, seen from their scope."""
    q = limits.text(query.get("q", ""), field="q", max_length=limits.EMAIL)
    unsubscribed = limits.text(
        query.get("unsubscribed", ""), field="unsubscribed", max_length=limits.WORD
    )
    after = limits.text(query.get("after", ""), field="after", max_length=limits.ID)
    shown = shown_channels(ledger.policy.enabled)
    view = ContactsView(q, unsubscribed, [(c.value, CHANNELS[c][1]) for c in shown])
    if unsubscribed and unsubscribed not in {c.value for c in shown}:
        raise Invalid(f"no channel {unsubscribed!r} to filter on", field="unsubscribed")
    principal = session.user.principal()
    try:
        found = ledger.list_contacts(principal, search_filter(q, unsubscribed, after))
    except Invalid as exc:  # a typed address that is not one: say so on the page
        view.error, view.status = exc.message, 422
        return view
    page = found[:PAGE_SIZE]
    if len(found) > PAGE_SIZE:
        view.next_after = page[-1].id
    view.rows = opt_in_rows(ledger, session, page, shown)
    return view


def opt_in_rows(
    ledger: Ledger, session: StaffSession, contacts: list[Contact], shown: list[Channel]
) -> list[Row]:
    """Each contact with one icon per channel: what a send from the person's scope would get."""
    principal = session.user.principal()
    requests = [
        CheckRequest(c.id, channel.value, principal.scope_id) for c in contacts for channel in shown
    ]
    decisions = iter(ledger.check_many(principal, requests))
    return [Row(c, [icon(channel, next(decisions)) for channel in shown]) for c in contacts]
