"""Broadcasts: see what a send would get (SPEC §6; seeds/001, 004; docs/decisions/063).

``GET /broadcasts`` is a form (a channel, a sender scope, an audience) and, once a channel is
chosen, the preview: how many contacts the send would reach, the excluded counted by reason,
the audience's first contacts with each excluded one struck through and its reason, and an
alert for each pasted address whose contact is opted out. ``GET /broadcasts/eligible.csv``
streams the eligible contacts. Both ask the ledger as the signed-in person (its ``check``
capability and scope rules decide, as for an API key) for a marketing send at the sender scope;
a long audience is read in the server's thread pool.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from jinja2 import Environment
from starlette.concurrency import run_in_threadpool

from consentry.core.channels import Channel
from consentry.core.contacts import Contact, ContactFilter
from consentry.core.eligibility import Decision, Reason
from consentry.core.permissions import Principal
from consentry.core.users import StaffSession
from consentry.ledger import Audience, Ledger
from consentry.ledger.eligibility import CheckRequest
from consentry.staff.audience_form import (
    FIELDS,
    BroadcastQuery,
    Pasted,
    broadcast_query,
    curl_example,
    form_view,
    read_texts,
)
from consentry.staff.profile import title_of
from consentry.staff.render import page
from consentry.staff.session import check_csrf, signed_in
from consentry.staff.views import CHANNELS, Icon, icon

MAX_SHOWN = 200  #: contacts of the audience listed on the page
MAX_ALERTS = 20  #: opted-out pasted contacts named in the alert
CSV_PAGE = 1000  #: contacts read per query while the CSV streams
CSV_BATCH = 500  #: CSV lines sent at a time
MAX_FIELD = 4 * FIELDS["addresses"]  #: bytes of one posted field, percent-encoded
OPTED_OUT = (Reason.HARD_OPT_OUT, Reason.SOFT_OPT_OUT)
#: The excluded, in the order the counts are listed: the contact's own word first.
EXCLUDED_ORDER = (
    Reason.HARD_OPT_OUT,
    Reason.SOFT_OPT_OUT,
    Reason.NO_CONSENT,
    Reason.PENDING,
    Reason.BOUNCED,
    Reason.COMPLAINED,
    Reason.NO_ADDRESS,
    Reason.NO_CONFIRMATION_REQUEST,
)
#: What one send on a channel is called: "N contacts will get this SMS".
NOUNS = {
    Channel.EMAIL: "email",
    Channel.SMS: "SMS",
    Channel.MMS: "MMS",
    Channel.RCS: "RCS message",
    Channel.WHATSAPP: "WhatsApp message",
    Channel.VOICE: "call or voicemail",
    Channel.POST: "letter",
    Channel.PUSH: "push notification",
}
CSV_COLUMNS = ("contact_id", "email", "mobile", "name")
#: A cell a spreadsheet would read as a formula begins with one of these (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Count:
    """One line of the excluded counts: the reason's icon and words, and how many."""

    icon: Icon
    count: int


@dataclass(frozen=True, slots=True)
class Row:
    """One contact of the audience as listed: struck through when it is excluded."""

    contact: Contact
    icon: Icon
    excluded: bool


@dataclass(slots=True)
class Preview:
    """What the preview shows."""

    query: BroadcastQuery
    noun: str
    eligible: int
    total: int
    excluded: list[Count]
    unknown: int
    rows: list[Row]
    alerts: list[str] = field(default_factory=list)
    more_alerts: int = 0
    curl: str = ""
    curl_left_out: int = 0


@dataclass(slots=True)
class Scan:
    """One pass over the audience: the first ids listed, and the opted-out pasted ones."""

    first: list[str] = field(default_factory=list)
    opted_out: list[str] = field(default_factory=list)
    opted_out_total: int = 0
    total: int = 0


def router(ledger: Ledger, env: Environment) -> APIRouter:
    """``/broadcasts`` (the form and the preview) and ``/broadcasts/eligible.csv``, each by GET
    (the query string: links, bookmarks) or by POST (the form's body, with the session's CSRF
    token: a paste of thousands of lines does not fit in a URL)."""
    r = APIRouter(include_in_schema=False)

    async def broadcasts(request: Request) -> Response:
        """The form; with a channel chosen (or the form posted), the preview of that send."""
        session = signed_in(ledger, request)
        typed = await form_texts(request, session)
        wanted = request.method == "POST" or "channel" in request.query_params
        base_url = str(request.base_url) if wanted else None
        return await run_in_threadpool(broadcast_page, ledger, env, session, typed, base_url)

    async def eligible_csv(request: Request) -> Response:
        """The eligible contacts of the same form, streamed as CSV."""
        session = signed_in(ledger, request)
        typed = await form_texts(request, session)
        return await run_in_threadpool(csv_answer, ledger, session, typed)

    for path, route in (("/broadcasts", broadcasts), ("/broadcasts/eligible.csv", eligible_csv)):
        r.add_api_route(path, route, methods=["GET", "POST"])
    return r


async def form_texts(request: Request, session: StaffSession) -> dict[str, str]:
    """The form's fields from the query string (GET) or the posted body (POST, CSRF checked)."""
    if request.method != "POST":
        return read_texts(request.query_params)
    form = await request.form(max_files=0, max_fields=len(FIELDS) + 1, max_part_size=MAX_FIELD)
    check_csrf(form, session.csrf_token)
    return read_texts(form)


def broadcast_page(
    ledger: Ledger,
    env: Environment,
    session: StaffSession,
    typed: dict[str, str],
    base_url: str | None,
) -> Response:
    """The page: the form, and the preview when one is asked for (``base_url`` given)."""
    shown = None
    if base_url is not None:
        q = broadcast_query(ledger, session, typed)
        shown = preview(ledger, session.user.principal(), q, base_url=base_url)
    form = form_view(ledger, session, typed)
    return page(
        env, "broadcasts.html", session,
        title="Broadcasts", nav="broadcasts", form=form, preview=shown,
    )  # fmt: skip


def csv_answer(ledger: Ledger, session: StaffSession, typed: dict[str, str]) -> Response:
    """The CSV's answer; the ledger's refusals come before its first byte."""
    q = broadcast_query(ledger, session, typed)
    principal = session.user.principal()
    audience = resolve(ledger, principal, q)
    name = f"broadcast-{q.channel.value}-eligible.csv"
    return StreamingResponse(
        csv_lines(audience, contact_reader(ledger, principal, q)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def resolve(ledger: Ledger, principal: Principal, q: BroadcastQuery) -> Audience:
    """The audience of a marketing send on the channel from the sender scope."""
    return ledger.resolve_audience(
        principal, q.segment(), q.channel, q.scope_id, category=q.category
    )


# ── the preview ──
def preview(ledger: Ledger, principal: Principal, q: BroadcastQuery, *, base_url: str) -> Preview:
    """Counts, exclusions in words, the first contacts, the alerts and the API example."""
    audience = resolve(ledger, principal, q)
    scan = scan_audience(audience, pasted=q.pasted is not None)
    shown = Preview(
        q, NOUNS[q.channel], audience.eligible_count, scan.total,
        exclusion_counts(q.channel, audience), audience.unknown,
        listed(ledger, principal, q, scan.first),
    )  # fmt: skip
    if q.pasted is not None:
        shown.alerts = alerts(ledger, principal, q.channel, q.pasted, scan.opted_out)
        shown.more_alerts = scan.opted_out_total - len(scan.opted_out)
    shown.curl, shown.curl_left_out = curl_example(q, base_url)
    return shown


def scan_audience(audience: Audience, *, pasted: bool) -> Scan:
    """Read the whole audience once (its counts are complete afterwards)."""
    scan = Scan()
    for row in audience.all_rows():
        scan.total += 1
        if len(scan.first) < MAX_SHOWN:
            scan.first.append(row.contact_id)
        if pasted and row.reason in OPTED_OUT:
            scan.opted_out_total += 1
            if len(scan.opted_out) < MAX_ALERTS:
                scan.opted_out.append(row.contact_id)
    return scan


def exclusion_counts(channel: Channel, audience: Audience) -> list[Count]:
    """The excluded by reason, in words and with their icons (the Opt-In Status column's)."""
    return [
        Count(icon(channel, Decision(False, reason)), audience.excluded[reason])
        for reason in EXCLUDED_ORDER
        if audience.excluded[reason]
    ]


def listed(ledger: Ledger, principal: Principal, q: BroadcastQuery, ids: list[str]) -> list[Row]:
    """The first contacts with their decision for this send (one read for all of them)."""
    requests = [CheckRequest(i, q.channel.value, q.scope_id) for i in ids]
    decisions = ledger.check_many(principal, requests)
    return [
        Row(ledger.get_contact(principal, i), icon(q.channel, d), excluded=not d.allowed)
        for i, d in zip(ids, decisions, strict=True)
    ]


def alerts(
    ledger: Ledger, principal: Principal, channel: Channel, pasted: Pasted, ids: list[str]
) -> list[str]:
    """ "Bob (bob@example.com) is opted out of SMS and will not get this broadcast"."""
    name = CHANNELS[channel][1]
    words = []
    for contact_id in ids:
        contact = ledger.get_contact(principal, contact_id)
        address = next(
            (a for a in (contact.email, contact.mobile) if pasted.matches(a)), title_of(contact)
        )
        who = f"{contact.name} ({address})" if contact.name else address
        words.append(f"{who} is opted out of {name} and will not get this broadcast")
    return words


# ── the CSV ──
def contact_reader(
    ledger: Ledger, principal: Principal, q: BroadcastQuery
) -> Callable[[str], Contact]:
    """How the CSV reads each eligible contact: one by one for pasted addresses (at most
    ``MAX_PASTED``), else a page of the group (or list) at a time, in the audience's order."""
    if q.pasted is not None:
        return lambda contact_id: ledger.get_contact(principal, contact_id)
    return ContactPages(ledger, principal, list_name=q.list_name).get


class ContactPages:
    """Contacts read a page at a time, in id order, as the audience's rows come."""

    def __init__(self, ledger: Ledger, principal: Principal, *, list_name: str | None) -> None:
        self.ledger, self.principal, self.list_name = ledger, principal, list_name
        self.page: dict[str, Contact] = {}
        self.after: str | None = None
        self.done = False

    def get(self, contact_id: str) -> Contact:
        """The contact; its page is read when the rows reach it (both come in id order)."""
        while contact_id not in self.page and not self.done:
            self._next_page()
        found = self.page.get(contact_id)
        return found if found is not None else self.ledger.get_contact(self.principal, contact_id)

    def _next_page(self) -> None:
        where = ContactFilter(list_name=self.list_name, after=self.after, limit=CSV_PAGE)
        contacts = self.ledger.list_contacts(self.principal, where)
        self.page = {c.id: c for c in contacts}
        self.done = len(contacts) < CSV_PAGE
        if contacts:
            self.after = contacts[-1].id


def csv_lines(audience: Audience, read: Callable[[str], Contact]) -> Iterator[str]:
    """The header, then one line per eligible contact, a few hundred lines at a time."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for n, row in enumerate(audience, 1):
        writer.writerow(csv_cells(read(row.contact_id)))
        if n % CSV_BATCH == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def csv_cells(contact: Contact) -> list[str]:
    """One contact's cells; a mobile is written as a ``tel:`` URI (RFC 3966), not ``+44…``."""
    mobile = f"tel:{contact.mobile}" if contact.mobile else ""
    values = (contact.id, contact.email or "", mobile, contact.name or "")
    return [neutralised(v) for v in values]


def neutralised(value: str) -> str:
    """A cell a spreadsheet would run as a formula, prefixed with a single quote."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
