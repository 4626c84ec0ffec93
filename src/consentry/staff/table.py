"""The contacts table: search, the "Unsubscribed" filter per channel, the status filter, pages
by cursor, and the Opt-In Status column (seeds/001, seeds/002).

The status filter (``status=sms:hard_opt_out``) keeps the contacts whose icon on that channel
shows that status: what a marketing send from the signed-in person's scope would get (decisions
065, 067). A page of it reads a bounded number of contacts, so it may hold fewer than a page and
still offer the next one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from consentry.core import limits
from consentry.core.channels import Channel
from consentry.core.contacts import Contact, ContactFilter, StatusFilter
from consentry.core.eligibility import Reason
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
#: The status filter's options, per channel: the word in the query string, the reasons of the
#: icon's look (bounced and complained look alike), and the option's words.
STATUSES: dict[str, tuple[frozenset[Reason], str]] = {
    "opted_in": (frozenset({Reason.OPTED_IN}), "Subscribed to {name}"),
    "pending": (frozenset({Reason.PENDING}), "Waiting for the contact to confirm {name}"),
    "no_consent": (frozenset({Reason.NO_CONSENT}), "No opt-in for {name}"),
    "soft_opt_out": (frozenset({Reason.SOFT_OPT_OUT}), "Opted out of {name} by an admin"),
    "hard_opt_out": (frozenset({Reason.HARD_OPT_OUT}), "Opted out of {name} by the contact"),
    "bounced": (frozenset({Reason.BOUNCED, Reason.COMPLAINED}), "{name} bounced or complained"),
}


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
    chosen: str = ""  # the status filter as chosen: ``channel:status``
    statuses: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    next_after: str | None = None
    error: str | None = None
    status: int = 200
    legend: tuple[tuple[str, bool, str], ...] = LEGEND
    page_size: int = PAGE_SIZE
    legend_path: str = CHANNELS[Channel.SMS][0]


def search_filter(
    q: str, unsubscribed: str, after: str | None, status: StatusFilter | None = None
) -> ContactFilter:
    """What the search box means: an address with ``@`` is an email address, one made of
    digits, spaces and ``+ ( ) - .`` a mobile number in any format (the group's default
    region reads ``07700 900123``), anything else an external id."""
    text = q.strip()
    out = Channel(unsubscribed) if unsubscribed else None
    where = ContactFilter(
        opted_out_channel=out, after=after or None, limit=PAGE_SIZE + 1, status=status
    )
    if not text:
        return where
    if "@" in text:
        return replace(where, email=text, after=None)
    if PHONE_LIKE.fullmatch(text):
        return replace(where, mobile=text, after=None)
    return replace(where, external_id=text, after=None)


def status_filter(value: str, shown: list[Channel]) -> StatusFilter | None:
    """``sms:hard_opt_out`` → that channel's status as the person's scope sees it; blank → none."""
    if not value:
        return None
    channel, _, word = value.partition(":")
    if channel not in {c.value for c in shown} or word not in STATUSES:
        raise Invalid(f"no status {value!r} to filter on", field="status")
    return StatusFilter(Channel(channel), STATUSES[word][0])


def status_options(shown: list[Channel]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The status filter's options, a group per channel: (channel name, [(value, words)])."""
    return [
        (
            CHANNELS[c][1],
            [
                (f"{c.value}:{w}", words.format(name=CHANNELS[c][1]))
                for w, (_, words) in STATUSES.items()
            ],
        )
        for c in shown
    ]


def contacts_view(ledger: Ledger, session: StaffSession, query: Mapping[str, str]) -> ContactsView:
    """The table for the signed-in person: their group's contacts, seen from their scope."""
    q = limits.text(query.get("q", ""), field="q", max_length=limits.EMAIL)
    unsubscribed = limits.text(
        query.get("unsubscribed", ""), field="unsubscribed", max_length=limits.WORD
    )
    after = limits.text(query.get("after", ""), field="after", max_length=limits.ID)
    chosen = limits.text(query.get("status", ""), field="status", max_length=2 * limits.WORD)
    shown = shown_channels(ledger.policy.enabled)
    view = ContactsView(
        q, unsubscribed, [(c.value, CHANNELS[c][1]) for c in shown], chosen, status_options(shown)
    )
    if unsubscribed and unsubscribed not in {c.value for c in shown}:
        raise Invalid(f"no channel {unsubscribed!r} to filter on", field="unsubscribed")
    where = search_filter(q, unsubscribed, after, status_filter(chosen, shown))
    principal = session.user.principal()
    try:
        found = ledger.contact_page(principal, replace(where, limit=PAGE_SIZE))
    except Invalid as exc:  # a typed address that is not one: say so on the page
        view.error, view.status = exc.message, 422
        return view
    view.next_after = found.next_after
    view.rows = opt_in_rows(ledger, session, found.contacts, shown)
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
