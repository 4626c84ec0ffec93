"""Results to text: JSON documents and plain-text tables (nothing here touches the ledger)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import click

from consentry.core.contacts import Contact
from consentry.core.eligibility import Decision
from consentry.core.events import ConsentEvent
from consentry.core.scopes import Scope
from consentry.ledger import StatusAt, VerifyReport


def when(moment: datetime | None) -> str | None:
    """A moment as ISO 8601 text."""
    return moment.isoformat() if moment else None


def echo_json(data: Any) -> None:
    """Print one JSON document."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table with a header row, columns padded to their widest cell."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def scope_data(scope: Scope) -> dict[str, Any]:
    """A scope as JSON."""
    return {"id": scope.id, "kind": scope.kind.value, "name": scope.name}


def contact_data(contact: Contact) -> dict[str, Any]:
    """A contact as JSON."""
    return {
        "id": contact.id,
        "group": contact.group_id,
        "email": contact.email,
        "mobile": contact.mobile,
        "external_id": contact.external_id,
        "name": contact.name,
        "locale": contact.locale,
        "attributes": dict(contact.attributes),
        "lists": sorted(contact.lists),
        "created_at": when(contact.created_at),
        "erased_at": when(contact.erased_at),
    }


def contact_text(contact: Contact) -> str:
    """A contact as ``field: value`` lines (empty fields left out)."""
    data = contact_data(contact)
    lines = []
    for key, value in data.items():
        if value in (None, {}, []):
            continue
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
        lines.append(f"{key}: {shown}")
    return "\n".join(lines)


def event_data(event: ConsentEvent) -> dict[str, Any]:
    """A ledger event as JSON, with its evidence."""
    return {
        "id": event.id,
        "contact_id": event.contact_id,
        "seq": event.seq,
        "channel": event.channel.value,
        "scope": event.scope_id,
        "action": event.action.value,
        "strength": event.strength.value,
        "actor": {"kind": event.actor.kind.value, "id": event.actor.id},
        "recorded_by": event.recorded_by,
        "source": event.source.value,
        "reason": event.reason,
        "evidence": event.evidence_data,
        "occurred_at": when(event.occurred_at),
        "recorded_at": when(event.recorded_at),
        "expires_at": when(event.expires_at),
        "hash": event.hash,
    }


def event_line(event: ConsentEvent) -> str:
    """One line naming an event."""
    return (
        f"{event.action.value} ({event.strength.value}) on {event.channel.value} at "
        f"{event.scope_id}: event {event.id}"
    )


HISTORY_HEADERS = ("time", "channel", "scope", "action", "kind", "actor", "source", "evidence")


def history_row(event: ConsentEvent) -> tuple[str, ...]:
    """One row of the history table."""
    actor = f"{event.actor.kind.value}:{event.actor.id}"
    evidence = event.evidence or ""
    if event.reason:
        evidence = f"reason={event.reason} {evidence}".strip()
    return (
        event.occurred_at.isoformat(timespec="seconds"),
        event.channel.value,
        event.scope_id,
        event.action.value,
        event.strength.value,
        actor,
        event.source.value,
        evidence,
    )


def decision_data(decision: Decision) -> dict[str, Any]:
    """An eligibility decision as JSON."""
    return {
        "allowed": decision.allowed,
        "reason": decision.reason.value,
        "scope": decision.scope_id,
        "event_id": decision.event_id,
    }


def decision_text(decision: Decision) -> str:
    """``allowed: opted_in (scope acme, event ev_…)`` or ``refused: …``."""
    word = "allowed" if decision.allowed else "refused"
    where = [f"scope {decision.scope_id}"] if decision.scope_id else []
    where += [f"event {decision.event_id}"] if decision.event_id else []
    suffix = f" ({', '.join(where)})" if where else ""
    return f"{word}: {decision.reason.value}{suffix}"


def status_at_data(found: StatusAt) -> dict[str, Any]:
    """A status-at answer as JSON."""
    return {
        "status": found.status.value,
        "event": event_data(found.event) if found.event else None,
        "effective": found.effective.value,
        "effective_scope": found.effective_scope_id,
        "effective_event": event_data(found.effective_event) if found.effective_event else None,
    }


def status_at_text(found: StatusAt) -> str:
    """A status-at answer as lines."""
    lines = [f"status: {found.status.value}"]
    if found.event:
        lines.append(f"set by: {event_line(found.event)}")
    lines.append(f"effective: {found.effective.value}")
    if found.effective_event:
        lines.append(f"decided by: {event_line(found.effective_event)}")
    return "\n".join(lines)


def verify_data(report: VerifyReport) -> dict[str, Any]:
    """A verification report as JSON."""
    return {
        "ok": report.ok,
        "checked": report.checked,
        "root": report.root,
        "erased": report.erased,
        "erased_evidence": report.erased_evidence,
        "problems": [
            {
                "kind": p.kind,
                "contact_id": p.contact_id,
                "seq": p.seq,
                "event_id": p.event_id,
                "detail": p.detail,
            }
            for p in report.problems
        ],
    }
