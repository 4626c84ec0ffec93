"""Compliance (SPEC §5; decision 079): for a chosen period and scope, the reported sends and the
violations per sender scope and channel, how long each opt-out took to be honoured against its
rule's clock (FCC: 10 business days; Gmail/Yahoo: 2 days), and the violations themselves, each
with the event that decided it (the STOP, the bounce …), a page at a time.

A GET with no script: the filters are a form (the same as Activity's: scope, channel, UTC
days), the next page a link. The ledger decides what the person may see (``read_compliance``:
staff, viewers and admins, their scope and below); a bad value raises and the app's one error
map answers it with the staff error page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from jinja2 import Environment

from consentry.core import limits
from consentry.core.compliance import ComplianceReport, HonourClock, Honouring
from consentry.core.eligibility import Reason
from consentry.core.permissions import Principal
from consentry.core.sends import Violation
from consentry.core.users import StaffSession
from consentry.ledger import Ledger
from consentry.staff.activity import Filters, filters_of, scope_label
from consentry.staff.profile import title_of
from consentry.staff.render import page
from consentry.staff.session import signed_in
from consentry.staff.views import CHANNELS, shown_channels

PAGE_SIZE = 50  #: violations on one page
CLOCK_WORDS = {
    HonourClock.FCC_10_BUSINESS_DAYS: "FCC: 10 business days",
    HonourClock.BULK_SENDER_2_DAYS: "Gmail/Yahoo: 2 days",
}
REASON_WORDS = {
    Reason.HARD_OPT_OUT: "Opted out by the contact",
    Reason.SOFT_OPT_OUT: "Opted out by staff",
    Reason.NO_CONSENT: "No consent",
    Reason.PENDING: "Confirmation pending",
    Reason.BOUNCED: "Address bounced",
    Reason.COMPLAINED: "Spam complaint",
    Reason.NO_CONFIRMATION_REQUEST: "No open confirmation request",
}


@dataclass(frozen=True, slots=True)
class ComplianceView:
    """What the Compliance page shows."""

    filters: Filters
    scopes: list[tuple[str, str]]
    channels: list[tuple[str, str]]
    selected_scope: str
    report: ComplianceReport
    violations: list[Violation]
    next_link: str | None
    names: dict[str, str]  #: each contact listed, by id: its name, else email, mobile or id

    @property
    def filtered(self) -> bool:
        """True when any filter is set."""
        return bool(self.filters.query())


def router(ledger: Ledger, env: Environment) -> APIRouter:
    """The route of the Compliance page."""

    async def compliance(request: Request) -> Response:
        session = signed_in(ledger, request)
        view = compliance_view(ledger, session, request.query_params)
        return page(
            env, "compliance.html", session, title="Compliance", view=view, nav="compliance",
            channel_name=channel_name, clock_words=clock_words, took_words=took_words,
            reason_words=reason_words,
        )  # fmt: skip

    r = APIRouter(include_in_schema=False)
    r.add_api_route("/compliance", compliance, methods=["GET"])
    return r


def compliance_view(
    ledger: Ledger, session: StaffSession, query: Mapping[str, str]
) -> ComplianceView:
    """The report and a page of violations for the signed-in person and the chosen filters."""
    principal = session.user.principal()
    filters = filters_of(query)
    after = limits.text(query.get("after", ""), field="after", max_length=limits.ID).strip()
    scope_id = filters.scope or None
    report = ledger.compliance_report(
        principal, since=filters.since, until=filters.until, scope_id=scope_id
    )
    found = ledger.violations(
        principal, scope_id=scope_id, channel=filters.channel or None, since=report.since,
        until=report.until, after=after or None, limit=PAGE_SIZE + 1,
    )  # fmt: skip
    shown = found[:PAGE_SIZE]
    more = None
    if len(found) > PAGE_SIZE:
        more = "/compliance?" + filters.query(after=shown[-1].id)
    return ComplianceView(
        filters=filters,
        scopes=[(s.id, scope_label(s.id)) for s in ledger.list_scopes(principal)],
        channels=[(c.value, CHANNELS[c][1]) for c in shown_channels(ledger.policy.enabled)],
        selected_scope=filters.scope or principal.scope_id,
        report=report,
        violations=shown,
        next_link=more,
        names=_names(ledger, principal, report, shown),
    )


def _names(
    ledger: Ledger, principal: Principal, report: ComplianceReport, shown: list[Violation]
) -> dict[str, str]:
    """Each contact the page lists, named once."""
    ids = dict.fromkeys([h.contact_id for h in report.honouring] + [v.contact_id for v in shown])
    return {cid: title_of(ledger.get_contact(principal, cid)) for cid in ids}


def channel_name(channel: object) -> str:
    """A channel as the app names it (``SMS``, ``Email`` …)."""
    return next((names[1] for c, names in CHANNELS.items() if c == channel), str(channel))


def clock_words(clock: HonourClock | None) -> str:
    """The rule's clock in words; "No clock" for a channel without one."""
    return "No clock" if clock is None else CLOCK_WORDS[clock]


def reason_words(reason: Reason) -> str:
    """Why a send was not eligible, in words."""
    return REASON_WORDS.get(reason, reason.value)


def took_words(took: timedelta | Honouring) -> str:
    """A duration as people say it: "3 h 10 min", "2 days 4 h", "at once"."""
    span = took.took if isinstance(took, Honouring) else took
    minutes = int(span.total_seconds() // 60)
    if minutes <= 0:
        return "at once"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{mins} min"] if mins and not days else []
    return " ".join(parts)
