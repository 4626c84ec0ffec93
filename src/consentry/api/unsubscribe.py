"""The unsubscribe headers of a marketing email, for senders (SPEC §4; RFC 2369, RFC 8058).

The sender puts both values on the message as they are: ``List-Unsubscribe`` holds a signed
link to the hosted page (a POST with ``List-Unsubscribe=One-Click`` unsubscribes at once, a GET
only opens the page) and, when asked, a ``mailto:`` address.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from consentry.api.deps import LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS
from consentry.api.schemas import Checked, ContactId
from consentry.core import limits

router = APIRouter(prefix="/v1/contacts/{contact_id}", tags=["email"], responses=COMMON_ERRORS)


class UnsubscribeHeaders(BaseModel):
    """Header values to copy onto one marketing email to one contact."""

    model_config = ConfigDict(populate_by_name=True)

    list_unsubscribe: str = Field(
        alias="List-Unsubscribe",
        examples=["<https://consentry.example.com/u/v1.k1.…>"],
    )
    list_unsubscribe_post: str = Field(
        alias="List-Unsubscribe-Post", examples=["List-Unsubscribe=One-Click"]
    )


@router.get(
    "/unsubscribe-headers",
    response_model=UnsubscribeHeaders,
    response_model_by_alias=True,
)
def unsubscribe_headers(
    contact_id: ContactId,
    ledger: LedgerDep,
    principal: PrincipalDep,
    scope: Annotated[
        str,
        Query(min_length=1, max_length=200, description="The sender scope."),
        Checked(limits.SCOPE_ID, field="scope"),
    ],
    mailto: Annotated[
        str | None,
        Query(
            min_length=3,
            max_length=320,
            pattern=r"^[^@\s<>,?]+@[^@\s<>,?]+$",
            description="Also offer this address for unsubscribing by email.",
        ),
        Checked(limits.EMAIL, field="mailto"),
    ] = None,
) -> UnsubscribeHeaders:
    """``List-Unsubscribe`` and ``List-Unsubscribe-Post`` for the contact at a scope."""
    values = ledger.unsubscribe_headers(principal, contact_id, scope, mailto=mailto)
    return UnsubscribeHeaders.model_validate(values)
