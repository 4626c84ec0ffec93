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
file_name, file_bytes no        that copy's file name and size in bytes (as text)
====================  ========  ============================================================

Other keys are kept as given (who took it, an IP address). ``written_permission`` builds the
record; ``permission_problems`` says what is wrong with one, ``check_written_permission``
refuses it with ``evidence_required``.

The uploaded copy itself is an ``Attachment``: an opt-in given one keeps its bytes beside the
event, in the same transaction, as an ``EvidenceFile`` named by the contact and the SHA-256
(docs/decisions/067). A kept file is handed out only as a download (``served_media_type``,
``content_disposition``), and only after its bytes are hashed again (``EvidenceFile.verified``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from consentry.core import limits
from consentry.core.errors import (
    EvidenceFileAltered,
    EvidenceFileTooLarge,
    EvidenceRequired,
    Invalid,
    InvalidEvidence,
)

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


# ── the uploaded copy, kept (docs/decisions/067) ──
#: The media types a kept file is served as; any other is ``application/octet-stream``, so a
#: browser never renders an uploaded HTML or SVG page from the app's origin.
SAFE_MEDIA_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
OCTET_STREAM = "application/octet-stream"
#: The evidence keys an attachment fills in (as ``written_permission``'s callers always have).
FILE_KEYS = ("file_sha256", "file_name", "file_bytes")


@dataclass(frozen=True, slots=True)
class Attachment:
    """An uploaded copy of the written permission: its file name, media type and bytes.

    Refused before anything is written: a name or media type that is not a short line of text
    (``invalid_text``, ``text_too_long``), no name or no bytes (``invalid``), more than
    ``limits.MAX_EVIDENCE_FILE`` bytes (``evidence_file_too_large``).
    """

    name: str
    media_type: str
    data: bytes
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        limits.text(self.name, field="file", max_length=limits.NAME)
        limits.text(self.media_type, field="media_type", max_length=limits.MEDIA_TYPE)
        if not isinstance(self.data, bytes):
            raise Invalid("an attachment's data must be bytes", field="file")
        if not self.name.strip() or not self.data:
            raise Invalid("the uploaded copy needs a file name and some content", field="file")
        if len(self.data) > limits.MAX_EVIDENCE_FILE:
            raise EvidenceFileTooLarge(
                f"the uploaded copy is larger than {limits.MAX_EVIDENCE_FILE // 2**20} MiB",
                field="file", limit=limits.MAX_EVIDENCE_FILE, size=len(self.data),
            )  # fmt: skip
        object.__setattr__(self, "sha256", hashlib.sha256(self.data).hexdigest())

    def evidence(self) -> dict[str, str]:
        """What the opt-in's evidence says of it: its hash, name and size."""
        return {
            "file_sha256": self.sha256,
            "file_name": self.name,
            "file_bytes": str(len(self.data)),
        }


def with_attachment(evidence: Mapping[str, Any] | None, attachment: Attachment) -> dict[str, Any]:
    """The evidence naming the attachment (``file_sha256``, ``file_name``, ``file_bytes``).

    Evidence that already names another file is refused (``invalid_evidence``): one opt-in
    keeps one copy, the one its record names.
    """
    if evidence is not None and not isinstance(evidence, Mapping):
        raise InvalidEvidence("evidence must be a mapping with text keys")
    record = dict(evidence or {})
    given = record.get("file_sha256")
    if given is not None and str(given).lower() != attachment.sha256:
        raise InvalidEvidence(
            "the evidence names another file than the one attached",
            field="file_sha256", attached=attachment.sha256,
        )  # fmt: skip
    return {**record, **attachment.evidence()}


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    """A kept copy of written permission, as the store holds it."""

    contact_id: str
    sha256: str
    name: str
    media_type: str
    size: int
    data: bytes
    created_at: datetime

    def verified(self) -> EvidenceFile:
        """This file, once its bytes hash to its SHA-256 again; else ``evidence_file_altered``."""
        actual = hashlib.sha256(self.data).hexdigest()
        if actual != self.sha256 or len(self.data) != self.size:
            raise EvidenceFileAltered(
                "the kept evidence file does not match the hash its opt-in recorded",
                contact_id=self.contact_id, sha256=self.sha256, actual=actual,
            )  # fmt: skip
        return self


def served_media_type(media_type: str) -> str:
    """What a kept file is served as: its own type when it is a safe one, else octet-stream."""
    bare = media_type.split(";", 1)[0].strip().lower()
    return bare if bare in SAFE_MEDIA_TYPES else OCTET_STREAM


def content_disposition(name: str) -> str:
    """A download's ``Content-Disposition`` (RFC 6266): always ``attachment``, the name as ASCII
    without quotes or slashes, and in full as UTF-8 (RFC 8187)."""
    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\/' else "_" for c in name)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


def download_headers(file: EvidenceFile) -> dict[str, str]:
    """The headers a kept file is handed out with, by the API and the staff pages alike: a
    download (``attachment``) of a safe media type or octet-stream, never sniffed, rendered
    only in a sandbox with nothing allowed, never cached."""
    return {
        "Content-Type": served_media_type(file.media_type),
        "Content-Disposition": content_disposition(file.name),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "no-store",
    }


def check_sha256(value: str) -> str:
    """A SHA-256 as 64 hex digits, lower-cased; anything else is ``invalid``."""
    limits.text(value, field="sha256", max_length=64)
    if not _SHA256.fullmatch(value):
        raise Invalid("a file is named by its SHA-256: 64 hex digits", field="sha256")
    return value.lower()
