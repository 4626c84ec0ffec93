"""The evidence side: a contact's full history, and the status as it was at a moment (SPEC §1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from consentry.core.channels import Channel, parse_channel
from consentry.core.eligibility import effective_status
from consentry.core.errors import OutOfScope
from consentry.core.events import ConsentEvent
from consentry.core.permissions import Capability, Principal, authorise, can_read_scope
from consentry.core.scopes import path_to_root
from consentry.core.status import NO_CONSENT, Consent, Status, fold
from consentry.ledger.context import Context
from consentry.ledger.steps import load_contact, load_scope


@dataclass(frozen=True, slots=True)
class StatusAt:
    """The status of a (contact, channel, scope) at a moment, and the events that set it."""

    status: Status
    event: ConsentEvent | None
    effective: Status
    effective_scope_id: str | None
    effective_event: ConsentEvent | None


def history(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    *,
    channel: str | Channel | None = None,
) -> list[ConsentEvent]:
    """Every event of a contact the principal may see, oldest first, with evidence."""
    authorise(principal, Capability.VIEW)
    chan = parse_channel(str(channel)) if channel else None
    with ctx.store.transaction(write=False) as tx:
        load_contact(tx, principal, contact_id)
        events = tx.events(contact_id, chan)
    return [e for e in events if can_read_scope(principal, e.scope_id)]


def status_at(
    ctx: Context,
    principal: Principal,
    contact_id: str,
    channel: str | Channel,
    scope_id: str,
    *,
    at: datetime,
) -> StatusAt:
    """The status as Consentry knew and enforced it at ``at``, and the event that set it."""
    authorise(principal, Capability.VIEW)
    chan = parse_channel(str(channel))
    with ctx.store.transaction(write=False) as tx:
        load_contact(tx, principal, contact_id)
        scope = load_scope(ctx, tx, principal, scope_id)
        if not can_read_scope(principal, scope.id):
            raise OutOfScope(f"scope {scope.id!r} is outside {principal.scope_id!r}")
        path = path_to_root(scope.id)
        events = tx.events(contact_id, chan, list(path), recorded_until=at)
    by_id = {e.id: e for e in events}
    consents: dict[str, Consent] = {
        sid: fold([e for e in events if e.scope_id == sid]) for sid in path
    }
    own = consents.get(scope.id, NO_CONSENT)
    effective, decided_by = effective_status(consents, path, at)
    decided = consents[decided_by].event_id if decided_by else None
    return StatusAt(
        status=own.current(at),
        event=by_id.get(own.event_id or ""),
        effective=effective,
        effective_scope_id=decided_by,
        effective_event=by_id.get(decided or ""),
    )
