"""Admin → Activity → Opt outs (seeds/004): every opt-out at the signed-in person's scope and
below it, soft and hard, filtered by scope, channel and UTC days, a page at a time, and the same
as a CSV file (docs/decisions/062).

Everything is a GET with no script: the filters are a form, the next page and the CSV are
links carrying the same filters. The ledger decides what the person may see (``opt_outs``:
their scope and below, never above or beside); a bad filter value raises ``Invalid`` and the
app's one error map answers it with the staff error page (422). Every CSV cell that a
spreadsheet could read as a formula is neutralised with a leading ``'`` (OWASP CSV injection;
the one rule is ``core/csvsafe.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from jinja2 import Environment

from consentry.core import limits
from consentry.core.activity import OptOut
from consentry.core.csvsafe import FORMULA_STARTS as FORMULA_STARTS
from consentry.core.csvsafe import csv_text as csv_text
from consentry.core.csvsafe import neutral as neutral
from consentry.core.errors import Invalid
from consentry.core.events import ActorKind, Source, Strength
from consentry.core.permissions import Principal
from consentry.core.scopes import ScopeKind, scope_kind
from consentry.core.users import StaffSession
from consentry.ledger import Ledger
from consentry.staff.profile import title_of
from consentry.staff.render import page
from consentry.staff.session import signed_in
from consentry.staff.views import CHANNELS, shown_channels

PAGE_SIZE = 50  #: opt-outs on one page of the table
CSV_PAGE = 1000  #: opt-outs read at a time for the CSV
CSV_MOST = 100_000  #: the most rows one CSV file holds
CSV_HEADER = (
    "event_id", "recorded_at", "occurred_at", "contact_id", "channel", "level", "scope_id",
    "strength", "source", "actor_kind", "recorded_by",
)  # fmt: skip
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

LEVEL_WORDS = {ScopeKind.GROUP: "Group", ScopeKind.CLIENT: "Client", ScopeKind.USER: "User"}
STRENGTH_WORDS = {Strength.HARD: "hard: the contact's own", Strength.SOFT: "soft: by staff"}
SOURCE_WORDS = {
    Source.ADMIN_UI: "Staff web app",
    Source.API: "API",
    Source.CLI: "Command line",
    Source.IMPORT: "Import",
    Source.SIGNUP_FORM: "Signup form",
    Source.SMS_KEYWORD: "Text message keyword",
    Source.VOICE_KEYPAD: "Call keypad",
    Source.UNSUBSCRIBE_LINK: "Unsubscribe link",
    Source.ONE_CLICK: "One-click unsubscribe",
    Source.PREFERENCE_CENTRE: "Preference Center",
    Source.CONFIRMATION_LINK: "Confirmation link",
    Source.LIFECYCLE_RULE: "Lifecycle rule",
    Source.BOUNCE_FEED: "Bounce and complaint feed",
}


@dataclass(frozen=True, slots=True)
class Filters:
    """The filters as given in the query (checked), and what they mean to the ledger."""

    scope: str = ""
    channel: str = ""
    start: str = ""  # the from-date, YYYY-MM-DD (a UTC day)
    end: str = ""  # the to-date, included
    since: datetime | None = None
    until: datetime | None = None

    def options(self) -> dict[str, Any]:
        """The keyword options of ``Ledger.opt_outs``."""
        return {
            "scope_id": self.scope or None,
            "channel": self.channel or None,
            "since": self.since,
            "until": self.until,
        }

    def query(self, **more: str) -> str:
        """The filters (and ``more``) as a query string, empty values left out."""
        given = {"scope": self.scope, "channel": self.channel, "from": self.start, "to": self.end}
        return urlencode({k: v for k, v in {**given, **more}.items() if v})


@dataclass(frozen=True, slots=True)
class Row:
    """One opt-out of the table, in words."""

    opt_out: OptOut
    contact: str  # the contact's name, else email, mobile or id
    when: str
    channel: str
    level: str
    strength: str
    source: str
    by: str


@dataclass(slots=True)
class ActivityView:
    """What the Opt-outs page shows."""

    filters: Filters
    scopes: list[tuple[str, str]]  # (scope id, "Client: acme/newsletters") for the select
    channels: list[tuple[str, str]]  # (value, name)
    selected_scope: str
    rows: list[Row] = field(default_factory=list)
    next_link: str | None = None

    @property
    def csv_link(self) -> str:
        """The same opt-outs as a CSV file."""
        query = self.filters.query()
        return "/activity/opt-outs.csv" + (f"?{query}" if query else "")

    @property
    def filtered(self) -> bool:
        """True when any filter is set (the empty state says so)."""
        return bool(self.filters.query())


def router(ledger: Ledger, env: Environment) -> APIRouter:
    """The routes of Activity: the opt-outs page and its CSV."""
    pages = ActivityPages(ledger, env)
    r = APIRouter(include_in_schema=False)
    r.add_api_route("/activity", pages.activity, methods=["GET"])
    r.add_api_route("/activity/opt-outs", pages.opt_outs, methods=["GET"])
    r.add_api_route("/activity/opt-outs.csv", pages.opt_outs_csv, methods=["GET"])
    return r


class ActivityPages:
    """The Activity routes over one ledger."""

    def __init__(self, ledger: Ledger, env: Environment) -> None:
        self.ledger = ledger
        self.env = env

    async def activity(self, request: Request) -> Response:
        """Activity opens on its one report, the opt-outs."""
        del request
        return RedirectResponse("/activity/opt-outs", status_code=303)

    async def opt_outs(self, request: Request) -> Response:
        """The opt-outs table with its filters (seeds/004: Admin > Activity > Opt outs)."""
        session = signed_in(self.ledger, request)
        view = activity_view(self.ledger, session, request.query_params)
        return page(self.env, "activity.html", session, title="Opt-outs", view=view, nav="activity")

    async def opt_outs_csv(self, request: Request) -> Response:
        """The same opt-outs as a CSV file, newest first, at most ``CSV_MOST`` rows."""
        session = signed_in(self.ledger, request)
        filters = filters_of(request.query_params)
        principal = session.user.principal()
        first = self.ledger.opt_outs(
            principal, **filters.options(), limit=CSV_PAGE
        )  # refusals here
        return StreamingResponse(
            csv_chunks(self.ledger, principal, filters, first),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="opt-outs.csv"'},
        )


# ── the filters ──
def filters_of(query: Mapping[str, str]) -> Filters:
    """The filters of the query, each checked once (decision 050); dates are UTC days."""
    scope = _field(query, "scope", limits.SCOPE_ID)
    channel = _field(query, "channel", limits.WORD)
    start, end = _field(query, "from", limits.WORD), _field(query, "to", limits.WORD)
    since = _day(start, "from")
    last = _day(end, "to")
    if since is not None and last is not None and since > last:
        raise Invalid("the from-date is after the to-date", field="from")
    until = None
    if last is not None and last.date() < date.max:
        until = last + timedelta(days=1)  # the to-date is included: up to its end
    return Filters(scope, channel, start, end, since, until)


def _field(query: Mapping[str, str], name: str, longest: int) -> str:
    return limits.text(query.get(name, ""), field=name, max_length=longest).strip()


def _day(value: str, name: str) -> datetime | None:
    """The start of a UTC day given as YYYY-MM-DD (what a date input sends)."""
    if not value:
        return None
    try:
        if not DAY.fullmatch(value):
            raise ValueError(value)
        moment = datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
    except ValueError:
        raise Invalid(f"{name} must be a date such as 2026-01-31", field=name) from None
    return limits.instant(moment, field=name)


# ── the page ──
def activity_view(ledger: Ledger, session: StaffSession, query: Mapping[str, str]) -> ActivityView:
    """The page for the signed-in person: their scope's opt-outs and the scopes below."""
    principal = session.user.principal()
    filters = filters_of(query)
    after = _field(query, "after", limits.ID) or None
    found = ledger.opt_outs(principal, **filters.options(), after=after, limit=PAGE_SIZE + 1)
    shown = found[:PAGE_SIZE]
    scopes = [(s.id, scope_label(s.id)) for s in ledger.list_scopes(principal)]
    channels = [(c.value, CHANNELS[c][1]) for c in shown_channels(ledger.policy.enabled)]
    view = ActivityView(filters, scopes, channels, filters.scope or principal.scope_id)
    view.rows = rows_of(ledger, principal, shown)
    if len(found) > PAGE_SIZE:
        view.next_link = "/activity/opt-outs?" + filters.query(after=shown[-1].event_id)
    return view


def scope_label(scope_id: str) -> str:
    """How the scope select names a scope: its level and its id (``Client: acme/newsletters``)."""
    return f"{LEVEL_WORDS[scope_kind(scope_id)]}: {scope_id}"


def rows_of(ledger: Ledger, principal: Principal, opt_outs: list[OptOut]) -> list[Row]:
    """The opt-outs in words, each contact named once (an erased one by its id)."""
    names: dict[str, str] = {}
    for o in opt_outs:
        if o.contact_id not in names:
            names[o.contact_id] = title_of(ledger.get_contact(principal, o.contact_id))
    return [_row(o, names[o.contact_id]) for o in opt_outs]


def _row(o: OptOut, contact: str) -> Row:
    channel = CHANNELS.get(o.channel, ("", o.channel.value))[1]
    return Row(
        o, contact, o.recorded_at.strftime("%Y-%m-%d %H:%M UTC"), channel,
        LEVEL_WORDS[o.level], STRENGTH_WORDS[o.strength],
        SOURCE_WORDS.get(o.source, o.source.value), by_whom(o),
    )  # fmt: skip


def by_whom(o: OptOut) -> str:
    """Who recorded it: the contact themselves (through a relay, named), else the person or key."""
    if o.actor_kind is ActorKind.CONTACT:
        return (
            "The contact" if o.recorded_by == o.contact_id else f"The contact, via {o.recorded_by}"
        )
    return o.recorded_by


# ── the CSV ──
def csv_chunks(
    ledger: Ledger, principal: Principal, filters: Filters, first: list[OptOut]
) -> Iterator[str]:
    """The header, then the rows a page of ``CSV_PAGE`` at a time, up to ``CSV_MOST`` rows."""
    yield csv_text([list(CSV_HEADER)])
    batch, sent = first, 0
    while batch:
        batch = batch[: CSV_MOST - sent]
        yield csv_text([csv_row(o) for o in batch])
        sent += len(batch)
        if len(batch) < CSV_PAGE or sent >= CSV_MOST:
            return
        batch = ledger.opt_outs(
            principal, **filters.options(), after=batch[-1].event_id, limit=CSV_PAGE
        )


def csv_row(o: OptOut) -> list[str]:
    """One opt-out's cells, in ``CSV_HEADER`` order: ids, times, enum values, who."""
    return [
        o.event_id, o.recorded_at.isoformat(), o.occurred_at.isoformat(), o.contact_id,
        o.channel.value, o.level.value, o.scope_id, o.strength.value, o.source.value,
        o.actor_kind.value, o.recorded_by,
    ]  # fmt: skip
