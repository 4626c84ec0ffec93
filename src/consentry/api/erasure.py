"""Erase a contact (GDPR Art. 17; decision 072): its personal data gone, its proof kept."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from consentry.api.deps import IdempotencyDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS, error_responses
from consentry.api.schemas import Checked, ContactId, ContactOut, EventOut, Strict
from consentry.core import limits
from consentry.core.erasure import Erasure

router = APIRouter(prefix="/v1/contacts", tags=["contacts"], responses=COMMON_ERRORS)


class ErasureIn(Strict):
    """Why the contact is erased: a reference to the request (a ticket number, say).

    It is kept as the erasure events' evidence, so it must not hold personal data.
    """

    reference: Annotated[str | None, Checked(limits.REASON)] = Field(
        default=None, max_length=limits.REASON, examples=["DSAR-2026-0042"]
    )


class RemovedOut(BaseModel):
    """How many copies of the person's data the erasure removed, per place."""

    evidence: int
    files: int
    outbox: int
    import_rows: int
    replays: int


class ErasureOut(BaseModel):
    """The contact as it is now, the erasure events, and what was removed.

    ``already_erased``: an earlier erasure did it all; this one recorded nothing and
    ``events`` is empty, ``removed`` null.
    """

    contact: ContactOut
    already_erased: bool
    events: list[EventOut]
    removed: RemovedOut | None

    @classmethod
    def of(cls, erasure: Erasure) -> ErasureOut:
        """The API shape of an erasure."""
        removed = erasure.removed
        return cls(
            contact=ContactOut.of(erasure.contact),
            already_erased=erasure.already_erased,
            events=[EventOut.of(e) for e in erasure.events],
            removed=None if removed is None else RemovedOut(
                evidence=removed.evidence, files=removed.files, outbox=removed.outbox,
                import_rows=removed.import_rows, replays=removed.replays,
            ),
        )  # fmt: skip


@router.post("/{contact_id}/erase", response_model=ErasureOut, responses=error_responses(409))
def erase_contact(
    contact_id: ContactId,
    principal: PrincipalDep,
    idem: IdempotencyDep,
    body: ErasureIn | None = None,
) -> Response:
    """Erase the contact's personal data everywhere (admins of the whole group).

    The details, evidence texts, evidence files, outbox messages, import report messages and
    stored replies go; the events stay, so the chain still verifies (``verify`` counts the
    erasure), and the keyed hash of each address stays, so the person created or imported
    again is refused with ``contact_erased``. Erasing again changes nothing.
    """
    reference = body.reference if body is not None else None
    return idem.run(
        200,
        lambda led: ErasureOut.of(led.erase_contact(principal, contact_id, reference=reference)),
    )
