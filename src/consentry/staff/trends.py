"""Trends (seeds/002, "Monitoring subscriber trends"): per channel, the subscribed and unsubscribed
totals at the signed-in person's scope and below, how each changed compared to last month, a
chart over time, and a warning when unsubscribes spike (docs/decisions/066).

Everything is a GET with no script: the scope and the period are a form; each channel's chart is
an SVG of its own (``/trends/chart.svg``, drawn on the server: ``chart.py``) shown with
``<img>``, and the same numbers are a table under it for screen readers. A change is put in
words with its arrow ("▲ 12.5 % against last month"), never in colour alone. The ledger decides
what the person may see (``trends``: their scope and below); a bad value raises and the app's one
error map answers it with the staff error page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from jinja2 import Environment

from consentry.core import limits
from consentry.core.channels import Channel, parse_channel
from consentry.core.errors import Invalid
from consentry.core.trends import ChannelTrend, Direction, Spike, Trends, Versus
from consentry.core.users import StaffSession
from consentry.ledger import Ledger
from consentry.staff.activity import scope_label
from consentry.staff.chart import CSP, Size, chart_svg
from consentry.staff.render import page
from consentry.staff.session import signed_in
from consentry.staff.views import CHANNELS

PERIODS = (30, 90, 365)  #: the periods the form offers, in days
DEFAULT_DAYS = 90
ARROWS = {Direction.UP: ("▲", "Up"), Direction.DOWN: ("▼", "Down"), Direction.SAME: ("", "")}


class Tone(StrEnum):
    """Whether a change is good news (more subscribed, fewer unsubscribed): one class each."""

    GOOD = "good"
    BAD = "bad"
    SAME = "same"


@dataclass(frozen=True, slots=True)
class Movement:
    """A total's change against last month, in words: an arrow, what a screen reader says for
    it, and the rest (``▲`` / "Up" / "12.5 % against last month"), and its tone."""

    arrow: str
    said: str
    words: str
    tone: Tone = Tone.SAME

    @property
    def text(self) -> str:
        """The whole as read aloud: "Up 12.5 % against last month"."""
        return f"{self.said} {self.words}".strip()


def movement(total: Versus, *, more_is_good: bool) -> Movement:
    """How the page words a total against the end of last month."""
    arrow, said = ARROWS[total.direction]
    if total.direction is Direction.SAME:
        return Movement(arrow, said, "No change against last month")
    tone = Tone.GOOD if (total.direction is Direction.UP) is more_is_good else Tone.BAD
    percent = total.percent
    if percent is None:
        return Movement(arrow, said, "new since last month", tone)
    return Movement(arrow, said, f"{abs(percent)} % against last month", tone)


def usual_words(value: float) -> str:
    """A median as people write it: 4, or 4.5."""
    return f"{value:g}"


@dataclass(frozen=True, slots=True)
class Alert:
    """One spike warning, in words, and the link to that day's opt-outs."""

    words: str
    link: str


def alert(scope_id: str, channel: Channel, spike: Spike) -> Alert:
    """The spike warning: "SMS: Unsubscribes spiked on 2026-11-28: 57, against a usual 4 a day"."""
    name = CHANNELS[channel][1]
    day = spike.day.isoformat()
    words = (
        f"{name}: Unsubscribes spiked on {day}: {spike.opt_outs}, "
        f"against a usual {usual_words(spike.usual)} a day"
    )
    query = {"scope": scope_id, "channel": channel.value, "from": day, "to": day}
    return Alert(words, "/activity/opt-outs?" + urlencode(query))


@dataclass(frozen=True, slots=True)
class Card:
    """One channel's card: its totals in words, its chart and the chart's numbers."""

    trend: ChannelTrend
    name: str
    subscribed: Movement
    unsubscribed: Movement
    chart_link: str
    narrow_link: str  # the same chart drawn for a phone
    alt: str
    spike_days: frozenset[date]  # the series' days whose opt-outs spiked


@dataclass(frozen=True, slots=True)
class TrendsView:
    """What the Trends page shows."""

    trends: Trends
    scopes: list[tuple[str, str]]  # (scope id, "Client: acme/newsletters") for the select
    periods: list[tuple[int, str]]  # (days, "Last 90 days")
    cards: list[Card]
    alerts: list[Alert]


def router(ledger: Ledger, env: Environment) -> APIRouter:
    """The routes of Trends: the page and its charts."""
    pages = TrendsPages(ledger, env)
    r = APIRouter(include_in_schema=False)
    r.add_api_route("/trends", pages.trends, methods=["GET"])
    r.add_api_route("/trends/chart.svg", pages.chart, methods=["GET"])
    return r


class TrendsPages:
    """The Trends routes over one ledger."""

    def __init__(self, ledger: Ledger, env: Environment) -> None:
        self.ledger = ledger
        self.env = env

    async def trends(self, request: Request) -> Response:
        """The totals, their change against last month, the charts and any spike warning."""
        session = signed_in(self.ledger, request)
        view = trends_view(self.ledger, session, request.query_params)
        return page(self.env, "trends.html", session, title="Trends", view=view, nav="trends")

    async def chart(self, request: Request) -> Response:
        """One channel's chart as an SVG document (no script; only its inline styles apply)."""
        session = signed_in(self.ledger, request)
        query = request.query_params
        channel = self.ledger.policy.require_enabled(parse_channel(_field(query, "channel")))
        size = size_of(query)
        found = options_of(query).read(self.ledger, session)
        (trend,) = [c for c in found.channels if c.channel is channel]
        svg = chart_svg(trend.series, size=size)
        headers = {"Content-Security-Policy": CSP, "Cache-Control": "no-store"}
        return Response(svg, media_type="image/svg+xml", headers=headers)


# ── the query ──
@dataclass(frozen=True, slots=True)
class Options:
    """The page's choices as the ledger takes them: the scope (None: the person's) and the days."""

    scope_id: str | None = None
    days: int = DEFAULT_DAYS

    def read(self, ledger: Ledger, session: StaffSession) -> Trends:
        """The trends for the signed-in person (refusals raised here)."""
        return ledger.trends(session.user.principal(), scope_id=self.scope_id, days=self.days)


def options_of(query: Mapping[str, str]) -> Options:
    """The scope and the days of the query, each checked once (decision 050)."""
    scope = _field(query, "scope", limits.SCOPE_ID) or None
    given = _field(query, "days")
    if not given:
        return Options(scope)
    if not (given.isascii() and given.isdigit()):
        raise Invalid("days must be a whole number of days, such as 90", field="days")
    return Options(scope, int(given))


def size_of(query: Mapping[str, str]) -> Size:
    """The chart's drawing: wide (the default) or narrow."""
    given = _field(query, "size") or Size.WIDE.value
    try:
        return Size(given)
    except ValueError:
        raise Invalid("size must be wide or narrow", field="size") from None


def _field(query: Mapping[str, str], name: str, longest: int = limits.WORD) -> str:
    return limits.text(query.get(name, ""), field=name, max_length=longest).strip()


# ── the page ──
def trends_view(ledger: Ledger, session: StaffSession, query: Mapping[str, str]) -> TrendsView:
    """The page for the signed-in person: the trends at the chosen scope, for the chosen days."""
    found = options_of(query).read(ledger, session)
    scopes = [(s.id, scope_label(s.id)) for s in ledger.list_scopes(session.user.principal())]
    periods = [(d, f"Last {d} days") for d in sorted({*PERIODS, found.days})]
    return TrendsView(
        trends=found,
        scopes=scopes,
        periods=periods,
        cards=[card(found, c) for c in found.channels],
        alerts=[alert(found.scope_id, c, s) for c, s in found.warnings],
    )


def card(found: Trends, trend: ChannelTrend) -> Card:
    """One channel's card."""
    name = CHANNELS[trend.channel][1]
    link = "/trends/chart.svg?" + urlencode(
        {"channel": trend.channel.value, "scope": found.scope_id, "days": found.days}
    )
    narrow = link + "&" + urlencode({"size": Size.NARROW.value})
    first, last = trend.series[0], trend.series[-1]
    alt = (
        f"{name} over the last {found.days} days: subscribed from {first.subscribed} to "
        f"{last.subscribed}, unsubscribed from {first.unsubscribed} to {last.unsubscribed}."
    )
    return Card(
        trend=trend,
        name=name,
        subscribed=movement(trend.subscribed, more_is_good=True),
        unsubscribed=movement(trend.unsubscribed, more_is_good=False),
        chart_link=link,
        narrow_link=narrow,
        alt=alt,
        spike_days=frozenset(s.day for s in trend.spikes),
    )
