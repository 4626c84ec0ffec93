"""Bulk unsubscribe / re-subscribe (seeds/002): pick contacts in the table, add more by search
in the dialog, choose the channels (and for a re-subscribe the reason and the evidence), and
see who changed and who was refused and why. Admins only; the ledger refuses anyone else."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from starlette.datastructures import FormData, QueryParams

from consentry.core import limits
from consentry.core.contacts import Contact
from consentry.core.errors import ConsentryError, Invalid
from consentry.core.evidence import written_permission
from consentry.core.users import StaffSession
from consentry.ledger import Ledger
from consentry.ledger.bulk import MAX_BULK, BulkAction, BulkOutcome, BulkResult
from consentry.staff.profile import PERMISSION_WORDS, REASON_WORDS, title_of
from consentry.staff.table import search_filter
from consentry.staff.views import CHANNELS, shown_channels

FOUND_SHOWN = 20

ACTION_WORDS = {
    BulkAction.UNSUBSCRIBE: "Unsubscribe",
    BulkAction.RESUBSCRIBE: "Re-subscribe",
}
RESULT_WORDS = {
    BulkResult.CHANGED: "changed",
    BulkResult.UNCHANGED: "already opted out",
    BulkResult.REFUSED: "refused",
}


@dataclass(slots=True)
class BulkView:
    """The dialog: the action, the chosen contacts, a search to add more, the channels."""

    action: BulkAction
    chosen: list[Contact]
    q: str = ""
    found: list[Contact] = field(default_factory=list)
    channels: list[tuple[str, str]] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    @property
    def verb(self) -> str:
        """ "Unsubscribe" or "Re-subscribe"."""
        return ACTION_WORDS[self.action]

    def add_link(self, contact: Contact) -> str:
        """The dialog again, with ``contact`` added to the chosen."""
        ids = [c.id for c in self.chosen] + [contact.id]
        return "/bulk?" + str(
            QueryParams([("action", self.action.value)] + [("contact", i) for i in ids])
        )


@dataclass(frozen=True, slots=True)
class BulkRow:
    """One line of the result: who, which channel, what happened."""

    name: str
    contact_id: str
    channel: str
    result: str
    refused: bool
    why: str | None


def action_of(value: str) -> BulkAction:
    """The action named in the form or the query."""
    try:
        return BulkAction(value)
    except ValueError:
        raise Invalid("choose unsubscribe or re-subscribe", field="action") from None


def bulk_view(ledger: Ledger, session: StaffSession, query: QueryParams) -> BulkView:
    """The dialog for the contacts chosen in the table (or added here)."""
    principal = session.user.principal()
    action = action_of(query.get("action", ""))
    ids = list(dict.fromkeys(query.getlist("contact")))
    limits.texts(ids, field="contact", max_items=MAX_BULK, max_length=limits.ID)
    chosen = [ledger.get_contact(principal, i) for i in ids]
    view = BulkView(action, chosen)
    view.channels = [(c.value, CHANNELS[c][1]) for c in shown_channels(ledger.policy.enabled)]
    view.kinds = {k.value: w for k, w in PERMISSION_WORDS.items()}
    view.reasons = {r.value: w for r, w in REASON_WORDS.items()}
    view.q = limits.text(query.get("q", ""), field="q", max_length=limits.EMAIL).strip()
    if view.q:
        try:
            found = ledger.list_contacts(principal, search_filter(view.q, "", None))
        except Invalid as exc:
            view.error = exc.message
            found = []
        view.found = [c for c in found if c.id not in ids][:FOUND_SHOWN]
    return view


def bulk_change(ledger: Ledger, session: StaffSession, form: FormData) -> list[BulkRow]:
    """Run the bulk change at the person's scope; the rows of the result page."""
    principal = session.user.principal()
    action = action_of(str(form.get("action", "")))
    ids = [str(v) for v in form.getlist("contact")]
    channels = [str(v) for v in form.getlist("channels")]
    evidence = None
    reason = None
    if action is BulkAction.RESUBSCRIBE:
        reason = str(form.get("reason", "")) or None
        evidence = written_permission(
            str(form.get("written_permission", "")),
            str(form.get("given_at", "")),
            str(form.get("reference", "")).strip(),
        )
    outcomes = ledger.bulk_change(
        principal, ids, channels, principal.scope_id,
        action=action, reason=reason, evidence=evidence,
    )  # fmt: skip
    return rows_of(ledger, session, outcomes)


def rows_of(
    ledger: Ledger, session: StaffSession, outcomes: Sequence[BulkOutcome]
) -> list[BulkRow]:
    """The result in words, the refused first."""
    principal = session.user.principal()
    names: dict[str, str] = {}
    for o in outcomes:
        if o.contact_id not in names:
            try:
                names[o.contact_id] = title_of(ledger.get_contact(principal, o.contact_id))
            except ConsentryError:
                names[o.contact_id] = o.contact_id
    rows = [_row(o, names[o.contact_id]) for o in outcomes]
    return sorted(rows, key=lambda r: (not r.refused, r.name))


def _row(outcome: BulkOutcome, name: str) -> BulkRow:
    why = f"{outcome.message} ({outcome.code})" if outcome.code else None
    refused = outcome.result is BulkResult.REFUSED
    channel = CHANNELS[outcome.channel][1]
    return BulkRow(name, outcome.contact_id, channel, RESULT_WORDS[outcome.result], refused, why)
