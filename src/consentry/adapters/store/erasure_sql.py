"""The statements that remove an erased contact's personal data (docs/decisions/072).

Driver SQL, in the erasure's own transaction, before its erasure events are appended: the
evidence text and salt of the contact's events (their commitments stay, so the chain
verifies), its kept evidence files, its outbox messages, the per-row messages of import
reports and the stored API responses (idempotency replays) whose body names the contact. The
contact row and its lists go through ``contacts_sql.update_contact``; its address keys stay.
"""

from __future__ import annotations

from consentry.adapters.store.driver import Db
from consentry.core.erasure import RemovedCopies

CLEAR_EVIDENCE = (
    "UPDATE events SET evidence = NULL, evidence_salt = NULL "
    "WHERE contact_id = :contact_id AND evidence IS NOT NULL"
)
DELETE_FILES = "DELETE FROM evidence_files WHERE contact_id = :contact_id"
DELETE_OUTBOX = "DELETE FROM outbox WHERE contact_id = :contact_id"
CLEAR_IMPORT_ROWS = (
    "UPDATE import_job_rows SET message = NULL "
    "WHERE contact_id = :contact_id AND message IS NOT NULL"
)
# The id is ``ids.new_id``'s prefix and hex digits: ``_`` is escaped, so LIKE matches it exactly.
DELETE_REPLAYS = "DELETE FROM idempotency_keys WHERE body LIKE :pattern ESCAPE '!'"


def erase_personal_data(db: Db, contact_id: str) -> RemovedCopies:
    """Remove the contact's personal data from every table that copies it; say how much."""
    where = {"contact_id": contact_id}
    pattern = {"pattern": "%" + contact_id.replace("!", "!!").replace("_", "!_") + "%"}
    return RemovedCopies(
        evidence=db.run(CLEAR_EVIDENCE, where, write=True).rowcount,
        files=db.run(DELETE_FILES, where, write=True).rowcount,
        outbox=db.run(DELETE_OUTBOX, where, write=True).rowcount,
        import_rows=db.run(CLEAR_IMPORT_ROWS, where, write=True).rowcount,
        replays=db.run(DELETE_REPLAYS, pattern, write=True).rowcount,
    )
