"""Contacts: create, get, find by email or mobile, update, list with filters (seeds/000), and
the kept copies of their written permission (decision 067)."""

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
from consentry.core.contacts import ContactDetails, ContactFilter, StatusFilter
from consentry.core.eligibility import Reason
from consentry.core.errors import Invalid
from consentry.core.evidence import download_headers

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
    status: Annotated[
        list[Reason] | None,
        Query(
            description="Only contacts whose opt-in status on `status_channel` is one of these: "
            "what a marketing send from `status_scope` would get (`opted_in`, `pending`, "
            "`no_consent`, `soft_opt_out`, `hard_opt_out`, `bounced`, `complained`, "
            "`no_address`). A page may then hold fewer than `limit` and still have a `next`."
        ),
    ] = None,
    status_channel: Annotated[
        Channel | None,
        Query(description="The channel `status` is about."),
        Checked(limits.WORD, field="status_channel"),
    ] = None,
    status_scope: Annotated[
        str | None,
        Query(description="The sender scope `status` is judged from; the key's own by default."),
        Checked(limits.SCOPE_ID, field="status_scope"),
    ] = None,
    after: Annotated[
        str | None,
        Query(description="The `next` of the previous page."),
        Checked(limits.ID, field="after"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ContactPage:
    """Contacts of the group, filtered, a page at a time (keyset cursor, never offsets)."""
    at = None
    if status or status_channel is not None:
        if not status or status_channel is None:
            raise Invalid("give status and status_channel together", field="status")
        at = StatusFilter(status_channel, frozenset(status), status_scope)
    where = ContactFilter(email, mobile, external_id, list_name, opted_out, after, limit, at)
    page = ledger.contact_page(principal, where)
    return ContactPage(contacts=[ContactOut.of(c) for c in page.contacts], next=page.next_after)


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


_FILE_DOC = {
    200: {
        "description": "The kept file as a download (`Content-Disposition: attachment`): "
        "`application/pdf`, `image/png` or `image/jpeg` as uploaded, anything else as "
        "`application/octet-stream`. Its bytes are hashed again first; altered bytes are a "
        "500 `evidence_file_altered`, never served.",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get(
    "/{contact_id}/evidence/{sha256}",
    response_class=Response,
    responses=_FILE_DOC,  # type: ignore[arg-type]
)
def evidence_file(
    contact_id: ContactId,
    sha256: Annotated[str, Checked(64, field="sha256")],
    ledger: LedgerDep,
    principal: PrincipalDep,
) -> Response:
    """The kept copy of a contact's written permission, by the SHA-256 its opt-in's evidence
    names (`file_sha256`); viewers and up (decision 067)."""
    kept = ledger.evidence_file(principal, contact_id, sha256)
    return Response(kept.data, headers=download_headers(kept))
