"""The contact profile (seeds/000): "Global opt-in preferences", Yes / No per channel at the
signed-in person's scope, the status at every scope in reach, and the full history.

Yes opens the written-permission form (an opt-in recorded by anyone but the contact needs it,
decision 056), or for a soft opt-out the re-subscribe form with its reason (seeds/002); No is
an admin's soft opt-out. Controls the role may not use are not offered; the ledger refuses them
anyway, with the same rules as the API. An uploaded copy of the permission is kept with its
event, and the history links to it (``/contacts/{id}/evidence/{sha256}``, decision 067).

Beside the chain's verdict the history links to the proof of consent and its PDF (decision
069). An admin of the whole group is offered "Erase contact" (``erasure.py``, decisions 072 and
073); an erased contact shows when it was erased, no details and no controls, and its history
marks the evidence that was erased.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from consentry.core import limits
from consentry.core.channels import Channel, parse_channel
from consentry.core.contacts import Contact
from consentry.core.eligibility import Reason
from consentry.core.errors import Invalid
from consentry.core.events import ConsentEvent, ResubscribeReason, Source
from consentry.core.evidence import (
    OCTET_STREAM,
    Attachment,
    EvidenceFile,
    PermissionKind,
    download_headers,
    written_permission,
)
from consentry.core.permissions import Capability, Principal
from consentry.core.scopes import is_within
from consentry.core.users import StaffSession
from consentry.ledger import Ledger
from consentry.ledger.eligibility import CheckRequest
from consentry.ledger.integrity import VerifyReport
from consentry.staff.journeys import MissedRow, contact_missed, may_resend
from consentry.staff.views import CHANNELS, Icon, Look, icon, shown_channels

MAX_SCOPES_SHOWN = 50
PERMISSION_WORDS = {
    PermissionKind.EMAIL: "An email from the contact",
    PermissionKind.MESSAGE: "A text or chat message from the contact",
    PermissionKind.SIGNED_FORM: "A signed form",
    PermissionKind.DOCUMENT: "Another document",
}
REASON_WORDS = {
    ResubscribeReason.MISTAKEN_UNSUBSCRIBE: "The contact was unsubscribed by mistake",
    ResubscribeReason.CONTACT_ASKED: "The contact asked to be subscribed again",
}
HARD_WHY = (
    "The contact opted out themselves (a STOP, the unsubscribe digit or an unsubscribe link). "
    "Staff cannot reverse that: only the contact can opt back in."
)


@dataclass(frozen=True, slots=True)
class Preference:
    """One channel of the global opt-in preferences and the controls offered for it."""

    icon: Icon
    yes: bool  # offer Yes (the opt-in or re-subscribe form)
    no: bool  # offer No (an admin's soft opt-out)
    why_locked: str | None  # a hard opt-out says why it cannot be reversed
    request: bool = False  # offer "Send an opt-in request" (seeds/004, decision 064)


@dataclass(frozen=True, slots=True)
class ProfileView:
    """What the profile page shows."""

    contact: Contact
    title: str
    scope_id: str
    preferences: list[Preference]
    scopes: list[tuple[str, list[Icon]]]
    history: list[ConsentEvent]
    verdict: VerifyReport  # the contact's chain and projection, recomputed (decision 059)
    kept: frozenset[str] = frozenset()  # the SHA-256 of each kept evidence file (067)
    erasable: bool = False  # offer "Erase contact" (an admin of the whole group; 072, 073)
    missed: tuple[MissedRow, ...] = ()  # the contact's missed journey messages (078)
    may_resend: bool = False  # offer their re-send (admins and staff)


@dataclass(frozen=True, slots=True)
class OptInForm:
    """The form behind a Yes: written permission, and a reason for a re-subscribe."""

    contact: Contact
    title: str
    channel: Channel
    name: str
    resubscribe: bool
    kinds: dict[str, str]
    reasons: dict[str, str]


def title_of(contact: Contact) -> str:
    """How the contact is named on their page: name, else email, else mobile, else id."""
    return contact.name or contact.email or contact.mobile or contact.id


def may_erase(principal: Principal, contact: Contact) -> bool:
    """True when the profile offers "Erase contact": ``erase`` at the contact's group, and not
    erased yet (the ledger decides again when the form is posted)."""
    return (
        principal.can(Capability.ERASE)
        and is_within(contact.group_id, principal.scope_id)
        and contact.erased_at is None
    )


def profile_view(ledger: Ledger, session: StaffSession, contact_id: str) -> ProfileView:
    """The profile for the signed-in person, at their scope."""
    principal = session.user.principal()
    contact = ledger.get_contact(principal, contact_id)
    shown = shown_channels(ledger.policy.enabled)
    scopes = [s.id for s in ledger.list_scopes(principal)][:MAX_SCOPES_SHOWN]
    requests = [CheckRequest(contact.id, c.value, s) for s in scopes for c in shown]
    decisions = iter(ledger.check_many(principal, requests))
    grid = [(s, [icon(c, next(decisions)) for c in shown]) for s in scopes]
    at_scope = next(icons for s, icons in grid if s == principal.scope_id)
    can = {c: principal.can(c) for c in Capability}
    preferences = [_preference(i, can) for i in at_scope]
    history = ledger.history(principal, contact.id)
    verdict = ledger.verify_contact(principal, contact.id)
    kept = frozenset(ledger.kept_evidence_files(principal, contact.id))
    title = "Erased contact" if contact.erased_at else title_of(contact)
    return ProfileView(
        contact, title, principal.scope_id, preferences, grid, history, verdict, kept,
        erasable=may_erase(principal, contact),
        missed=tuple(MissedRow(m, title) for m in contact_missed(ledger, principal, contact.id)),
        may_resend=may_resend(principal),
    )  # fmt: skip


def _preference(i: Icon, can: Mapping[Capability, bool]) -> Preference:
    if i.look is Look.HARD:
        return Preference(i, yes=False, no=False, why_locked=HARD_WHY)
    reachable = i.look is not Look.NO_ADDRESS
    change = can[Capability.CHANGE_SUBSCRIPTION]
    yes = i.look is not Look.SUBSCRIBED and (
        change if i.look is Look.SOFT else can[Capability.OPT_IN]
    )
    no = change and not i.opted_out and reachable
    request = can[Capability.REQUEST_CONFIRMATION] and i.look is Look.NONE  # decision 064
    return Preference(i, yes=yes and reachable, no=no, why_locked=None, request=request)


def opt_in_view(
    ledger: Ledger, session: StaffSession, contact_id: str, query: Mapping[str, str]
) -> OptInForm:
    """The Yes form for one channel: a soft opt-out is re-subscribed, anything else opted in."""
    principal = session.user.principal()
    contact = ledger.get_contact(principal, contact_id)
    channel = _channel(ledger, query.get("channel", ""))
    decision = ledger.check(principal, contact.id, channel, principal.scope_id)
    resubscribe = decision.reason is Reason.SOFT_OPT_OUT
    name = CHANNELS[channel][1]
    verb = "Re-subscribe" if resubscribe else "Opt in"
    return OptInForm(
        contact, f"{verb} to {name}: {title_of(contact)}", channel, name, resubscribe,
        {k.value: w for k, w in PERMISSION_WORDS.items()},
        {r.value: w for r, w in REASON_WORDS.items()},
    )  # fmt: skip


async def change(ledger: Ledger, session: StaffSession, contact_id: str, form: FormData) -> None:
    """Record the Yes or No of one channel at the person's scope, from the admin UI, or send
    the contact an opt-in request."""
    principal = session.user.principal()
    channel = _channel(ledger, str(form.get("channel", "")))
    choice = str(form.get("choice", ""))
    scope_id = principal.scope_id
    if choice == "no":
        ledger.opt_out(principal, contact_id, channel, scope_id, source=Source.ADMIN_UI)
        return
    if choice == "request":
        ledger.send_opt_in_request(principal, contact_id, channel, scope_id, source=Source.ADMIN_UI)
        return
    if choice != "yes":
        raise Invalid("choose Yes or No", field="choice")
    evidence = written_permission(
        str(form.get("written_permission", "")),
        str(form.get("given_at", "")),
        str(form.get("reference", "")).strip(),
    )
    attachment = await _uploaded(form)
    decision = ledger.check(principal, contact_id, channel, scope_id)
    if decision.reason is Reason.SOFT_OPT_OUT:
        ledger.resubscribe(
            principal, contact_id, channel, scope_id,
            reason=str(form.get("reason", "")) or None, evidence=evidence, source=Source.ADMIN_UI,
            attachment=attachment,
        )  # fmt: skip
        return
    ledger.opt_in(
        principal, contact_id, channel, scope_id, evidence=evidence, source=Source.ADMIN_UI,
        attachment=attachment,
    )  # fmt: skip


async def _uploaded(form: FormData) -> Attachment | None:
    """An uploaded copy of the permission, read up to one byte past the limit (the ledger keeps
    it with the event and names its SHA-256, name and size in the evidence)."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read(limits.MAX_EVIDENCE_FILE + 1)
    media_type = (upload.content_type or "").strip() or OCTET_STREAM
    return Attachment(upload.filename, media_type, data)


def _channel(ledger: Ledger, value: str) -> Channel:
    channel = parse_channel(limits.text(value, field="channel", max_length=limits.WORD))
    return ledger.policy.require_enabled(channel)


def download(file: EvidenceFile) -> Response:
    """A kept evidence file as a download: ``attachment``, and a media type from the short
    list of safe ones, else ``application/octet-stream`` (decision 067)."""
    return Response(file.data, headers=download_headers(file))
