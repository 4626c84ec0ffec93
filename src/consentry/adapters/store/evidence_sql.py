"""The statements behind kept evidence files: the uploaded copy of a contact's written
permission, one row per (contact, SHA-256 of its bytes) (docs/decisions/067).

Driver SQL, written in the transaction of the opt-in whose evidence names the hash. ``ADD_FILE``
keeps the first copy of a (contact, hash) and leaves the row alone when the same bytes come
again (``ON CONFLICT … DO NOTHING`` reads the same on SQLite and PostgreSQL). The bytes are read
back as stored; the use case hashes them again before anyone gets them.
"""

from __future__ import annotations

from datetime import datetime

from consentry.adapters.store.driver import Db
from consentry.core.events import from_micros, to_micros
from consentry.core.evidence import Attachment, EvidenceFile

ADD_FILE = (
    "INSERT INTO evidence_files (contact_id, sha256, name, media_type, size, content, "
    "created_at) VALUES (:contact_id, :sha256, :name, :media_type, :size, :content, "
    ":created_at) ON CONFLICT (contact_id, sha256) DO NOTHING"
)
GET_FILE = (
    "SELECT name, media_type, size, content, created_at FROM evidence_files "
    "WHERE contact_id = :contact_id AND sha256 = :sha256"
)
KEPT_FILES = "SELECT sha256 FROM evidence_files WHERE contact_id = :contact_id ORDER BY sha256"


def add_evidence_file(
    db: Db, contact_id: str, attachment: Attachment, created_at: datetime
) -> None:
    """Keep the attachment for the contact, unless the same bytes are kept already."""
    values = {
        "contact_id": contact_id,
        "sha256": attachment.sha256,
        "name": attachment.name,
        "media_type": attachment.media_type,
        "size": len(attachment.data),
        "content": attachment.data,
        "created_at": to_micros(created_at),
    }
    db.run(ADD_FILE, values, write=True)


def evidence_file(db: Db, contact_id: str, sha256: str) -> EvidenceFile | None:
    """The contact's kept file with this hash, as stored, or None."""
    row = db.one(GET_FILE, {"contact_id": contact_id, "sha256": sha256})
    if row is None:
        return None
    name, media_type, size, content, created_at = row
    created = from_micros(created_at)
    assert created is not None  # the column is NOT NULL
    return EvidenceFile(contact_id, sha256, name, media_type, size, bytes(content), created)


def kept_evidence_files(db: Db, contact_id: str) -> list[str]:
    """The hashes of the contact's kept files, in order."""
    return [row[0] for row in db.all(KEPT_FILES, {"contact_id": contact_id})]
