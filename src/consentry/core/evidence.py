"""Written permission: the record a staff, admin or operator opt-in must carry (seeds/000).

Seed 000: "Only opt a contact in if they have given you written permission to do so (like in
an email)". An opt-in that anyone but the contact records is accepted only with a structured
record of that permission, so that the ledger can later answer *what* the contact gave, *when*
and *where it is kept* (docs/decisions/056):

====================  ========  ============================================================
key                   required  value
====================  ========  ============================================================
written_permission    yes       what the contact gave: ``email``, ``message`` (a text or
                                chat message they wrote), ``signed_form`` or ``document``
given_at              yes       when: an ISO 8601 date (``2026-01-02``) or a time with its
                                offset (``2026-01-02T10:15:00Z``); never after the opt-in
reference             yes       where it is kept or what it says, as text (a ticket, a
                                mailbox and date, a quotation)
file_sha256           no        the SHA-256 of an uploaded copy, 64 hex digits
====================  ========  ============================================================

Other keys are kept as given (who took it, an IP address). ``written_permission`` builds the
record; ``permission_problems`` says what is wrong with one, ``check_written_permission``
refuses it with ``evidence_required``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from consentry.core.errors import EvidenceRequired, InvalidEvidence

#: The keys every record of written permission holds.
REQUIRED = ("written_permission", "given_at", "reference")

#: A date-only ``given_at`` may be the local date anywhere on Earth: the easternmost time zone
#: is UTC+14, so its date can be one day ahead of the opt-in's UTC date.
_EARLIEST_ZONE = timedelta(hours=14)
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


class PermissionKind(StrEnum):
    """What written permission the contact gave. Add, never rename or remove."""

    EMAIL = "email"
    MESSAGE = "message"
    SIGNED_FORM = "signed_form"
    DOCUMENT = "document"


def written_permission(
    kind: str | PermissionKind,
    given_at: date | datetime | str,
    reference: str,
    *,
    file_sha256: str | None = None,
    **more: Any,
) -> dict[str, Any]:
    """A record of written permission, ready to pass as an opt-in's ``evidence``."""
    when = given_at if isinstance(given_at, str) else given_at.isoformat()
    record: dict[str, Any] = {
        **more,
        "written_permission": str(kind),
        "given_at": when,
        "reference": reference,
    }
    if file_sha256 is not None:
        record["file_sha256"] = file_sha256
    return record


def permission_problems(
    evidence: Mapping[str, Any] | None, moment: datetime | None = None
) -> dict[str, str]:
    """What is missing or wrong in a record of written permission, by key (empty: none).

    ``moment`` is when the opt-in happened; a ``given_at`` after it is a problem. A time
    without a zone is compared by no one (the opt-in itself is refused for it elsewhere).
    """
    if evidence is None:
        return dict.fromkeys(REQUIRED, "missing")
    if not isinstance(evidence, Mapping):
        raise InvalidEvidence("evidence must be a mapping with text keys")
    found: dict[str, str] = {}
    kind = evidence.get("written_permission")
    kinds = ", ".join(k.value for k in PermissionKind)
    if _blank(kind):
        found["written_permission"] = "missing"
    elif kind not in {k.value for k in PermissionKind}:
        found["written_permission"] = f"must be one of {kinds}"
    given = evidence.get("given_at")
    if _blank(given):
        found["given_at"] = "missing"
    else:
        problem = _given_at_problem(given, moment)
        if problem:
            found["given_at"] = problem
    reference = evidence.get("reference")
    if _blank(reference):
        found["reference"] = "missing"
    elif not isinstance(reference, str):
        found["reference"] = "must be text"
    digest = evidence.get("file_sha256")
    if digest is not None and not (isinstance(digest, str) and _SHA256.fullmatch(digest)):
        found["file_sha256"] = "must be 64 hex digits (a SHA-256)"
    return found


def check_written_permission(
    evidence: Mapping[str, Any] | None, moment: datetime | None = None
) -> None:
    """Refuse an opt-in whose evidence is not a complete record of written permission."""
    found = permission_problems(evidence, moment)
    if not found:
        return
    if found == dict.fromkeys(REQUIRED, "missing"):
        message = (
            "an opt-in needs evidence of permission (e.g. the contact's written permission): "
            "give written_permission, given_at and reference"
        )
    else:
        message = "the record of written permission is incomplete: " + "; ".join(
            f"{key} {problem}" for key, problem in found.items()
        )
    raise EvidenceRequired(message, problems=found, required=list(REQUIRED))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _given_at_problem(value: Any, moment: datetime | None) -> str | None:
    """Why ``given_at`` is unusable, or None."""
    if not isinstance(value, str):
        return "must be an ISO 8601 date or time, as text"
    text = value.strip()
    latest = moment.astimezone(UTC) if moment and moment.utcoffset() is not None else None
    try:
        if ":" not in text:
            day = date.fromisoformat(text)
            if latest is not None and day > (latest + _EARLIEST_ZONE).date():
                return "is after the opt-in"
            return None
        when = datetime.fromisoformat(text)
    except ValueError:
        return "must be an ISO 8601 date (2026-01-02) or time with its offset"
    if when.utcoffset() is None:
        return "needs a time zone offset (e.g. 2026-01-02T10:15:00Z), or give only the date"
    if latest is not None and when > latest:
        return "is after the opt-in"
    return None
