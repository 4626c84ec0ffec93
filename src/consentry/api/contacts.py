"""Contacts: create, get, find by email or mobile, update, list with filters (seeds/000)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from consentry.api.deps import IdempotencyDep, LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS, error_responses
from consentry.api.idempotency import in_one_transaction
from consentry.api.schemas import Attributes, Checked, ContactId, ContactOut, Counted, Strict
from consentry.core import limits
from consentry.core.channels import Channel
from consentry.core.contacts import ContactDetails, ContactFilter

router = APIRouter(prefix="/v1/contacts", tags=["contacts"], responses=COMMON_ERRORS)


class ContactIn(Strict):
    """A contact's details; on update, only the fields given change (attributes merge)."""

    email: Annotated[str | None, Checked(limits.EMAIL)] = Field(
        default=None, max_length=320, examples=["ada@example.com"]
    )
    mobile: Annotated[str | None, Checked(limits.MOBILE)] = Field(
        default=None, max_length=40, examples=["+447700900123"]
    )
    external_id: Annotated[str | None, Checked(limits.NAME)] = Field(default=None, max_length=200)
    name: Annotated[str | None, Checked(limits.NAME)] = Field(default=None, max_length=200)
    locale: Annotated[str | None, Checked(limits.LOCALE)] = Field(default=None, max_length=35)
    postal_address: Annotated[str | None, Checked(limits.POSTAL_ADDRESS, multiline=True)] = Field(
        default=None, max_length=2000
    )
    push_token: Annotated[str | None, Checked(limits.PUSH_TOKEN)] = Field(
        default=None, max_length=4096
    )
    attributes: Attributes | None = None
    lists: Annotated[
        list[Annotated[str, Checked(limits.NAME)]] | None, Counted(limits.MAX_LISTS)
    ] = Field(default=None, description=f"At most {limits.MAX_LISTS} list names.")

    def details(self) -> ContactDetails:
        """The core's contact details."""
        return ContactDetails(**self.model_dump())


class ContactPage(BaseModel):
    """A page of contacts in id order; pass ``next`` as ``after`` for the next page."""

    contacts: list[ContactOut]
    next: str | None


@router.post("", status_code=201, response_model=ContactOut, responses=error_responses(409))
def add_contact(body: ContactIn, principal: PrincipalDep, idem: IdempotencyDep) -> Response:
    """Add a contact to the key's group; addresses are validated and normalised."""
    return idem.run(
        201, lambda ledger: ContactOut.of(ledger.add_contact(principal, body.details()))
    )


@router.get("", response_model=ContactPage)
def list_contacts(
    ledger: LedgerDep,
    principal: PrincipalDep,
    email: Annotated[str | None, Checked(limits.EMAIL, field="email")] = None,
    mobile: Annotated[str | None, Checked(limits.MOBILE, field="mobile")] = None,
    external_id: Annotated[str | None, Checked(limits.NAME, field="external_id")] = None,
    list_name: Annotated[
        str | None, Query(alias="list"), Checked(limits.NAME, field="list")
    ] = None,
    opted_out: Annotated[
        Channel | None,
        Query(description="Only contacts opted out on this channel."),
        Checked(limits.WORD, field="opted_out"),
    ] = None,
    after: Annotated[
        str | None,
        Query(description="The `next` of the previous page."),
        Checked(limits.ID, field="after"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ContactPage:
    """Contacts of the group, filtered, a page at a time (keyset cursor, never offsets)."""
    where = ContactFilter(email, mobile, external_id, list_name, opted_out, after, limit)
    found = ledger.list_contacts(principal, where)
    following = found[-1].id if len(found) == limit else None
    return ContactPage(contacts=[ContactOut.of(c) for c in found], next=following)


@router.get("/find", response_model=ContactOut)
def find_contact(
    ledger: LedgerDep,
    principal: PrincipalDep,
    email: Annotated[str | None, Checked(limits.EMAIL, field="email")] = None,
    mobile: Annotated[str | None, Checked(limits.MOBILE, field="mobile")] = None,
) -> ContactOut:
    """Find a contact by email address or mobile number."""
    return ContactOut.of(ledger.find_contact(principal, email=email, mobile=mobile))


@router.get("/{contact_id}", response_model=ContactOut)
def get_contact(contact_id: ContactId, ledger: LedgerDep, principal: PrincipalDep) -> ContactOut:
    """One contact."""
    return ContactOut.of(ledger.get_contact(principal, contact_id))


@router.patch("/{contact_id}", response_model=ContactOut, responses=error_responses(409))
def update_contact(
    contact_id: ContactId, body: ContactIn, ledger: LedgerDep, principal: PrincipalDep
) -> Response:
    """Change details; attributes merge; a changed address lifts that address's bounce."""
    details = body.details()
    return in_one_transaction(
        ledger,
        principal,
        200,
        lambda led: ContactOut.of(led.update_contact(principal, contact_id, details)),
    )
