"""Contacts: add, find, list, update (SPEC §1; seeds/000, seeds/004).

Addresses are validated and normalised once, here, and looked up through keyed hashes (the
``contact_keys`` rows outlive an erasure, so an erased address stays suppressed).
"""

from __future__ import annotations

from dataclasses import replace

from consentry.core import limits
from consentry.core.channels import AddressKind, parse_channel
from consentry.core.contacts import (
    STATUS_REASONS,
    Contact,
    ContactDetails,
    ContactFilter,
    ContactPage,
    StatusFilter,
)
from consentry.core.eligibility import Reason
from consentry.core.errors import ContactErased, ContactNotFound, Invalid, InvalidAttributes
from consentry.core.events import Action, ClearReason, Source
from consentry.core.ids import new_id
from consentry.core.permissions import Capability, Principal, authorise
from consentry.core.status import NO_CONSENT
from consentry.ledger.context import Context
from consentry.ledger.ports import Tx
from consentry.ledger.rules import apply_rules
from consentry.ledger.steps import Change, load_contact, load_scope, record


def add_contact(ctx: Context, principal: Principal, details: ContactDetails) -> Contact:
    """Add a contact to the principal's group; addresses are validated and normalised."""
    authorise(principal, Capability.ADD_CONTACT)
    now = ctx.clock.now()
    contact = apply_details(
        ctx, Contact(new_id("ct", now), principal.group_id, created_at=now), details
    )
    keys = keys_of(ctx, contact)
    with ctx.store.transaction() as tx:
        _refuse_erased(tx, contact.group_id, keys)
        tx.add_contact(contact, keys)
        apply_rules(ctx, tx, principal, None, contact)  # lifecycle rules, same transaction (077)
        tx.commit()
    return contact


def get_contact(ctx: Context, principal: Principal, contact_id: str) -> Contact:
    """One contact of the principal's group."""
    authorise(principal, Capability.VIEW)
    with ctx.store.transaction(write=False) as tx:
        return load_contact(tx, principal, contact_id)


def find_contact(
    ctx: Context, principal: Principal, *, email: str | None = None, mobile: str | None = None
) -> Contact:
    """Find a contact by email address or mobile number (seeds/000)."""
    authorise(principal, Capability.VIEW)
    limits.optional_text(email, field="email", max_length=limits.EMAIL)
    limits.optional_text(mobile, field="mobile", max_length=limits.MOBILE)
    with ctx.store.transaction(write=False) as tx:
        contact_id = _lookup(ctx, tx, principal.group_id, email, mobile)
        if contact_id is None:
            raise ContactNotFound("no contact with that address")
        return load_contact(tx, principal, contact_id)


def list_contacts(ctx: Context, principal: Principal, where: ContactFilter) -> list[Contact]:
    """Contacts of the group, in id order, filtered, a page at a time.

    ``where.status`` keeps those whose Opt-In Status on a channel, as a marketing send from a
    scope (the principal's own unless given; within its reach) would get it, is one of its
    reasons (decision 067).
    """
    where = _checked_filter(ctx, principal, where)
    with ctx.store.transaction(write=False) as tx:
        keyed = _keyed(ctx, tx, principal.group_id, where)
        if keyed is None:
            return []
        return tx.list_contacts(principal.group_id, _at_scope(ctx, tx, principal, keyed))


def contact_page(ctx: Context, principal: Principal, where: ContactFilter) -> ContactPage:
    """A page of ``list_contacts`` and the ``after`` of the next one (None: no more).

    Filtered by status, a page may hold fewer than ``where.limit`` contacts and still have a
    next one: each page reads a bounded number of contacts (decision 067).
    """
    where = _checked_filter(ctx, principal, where)
    with ctx.store.transaction(write=False) as tx:
        keyed = _keyed(ctx, tx, principal.group_id, where)
        if keyed is None:
            return ContactPage([], None)
        return tx.contact_page(principal.group_id, _at_scope(ctx, tx, principal, keyed))


def _keyed(ctx: Context, tx: Tx, group_id: str, where: ContactFilter) -> ContactFilter | None:
    """The filter narrowed to the contact its address keys name; None when no contact can match.

    The typed email or mobile (already normalised) is looked up by its keyed hash, the index
    ``find_contact`` uses; the store still compares the address itself, so an erased contact,
    whose keys stay to keep re-imports suppressed, is never listed under its old address.
    """
    found = {where.contact_id} if where.contact_id else set()
    for kind, address in ((AddressKind.EMAIL, where.email), (AddressKind.MOBILE, where.mobile)):
        if address:
            contact_id = tx.find_contact_id(group_id, kind, ctx.addresses.digest(kind, address))
            if contact_id is None:
                return None
            found.add(contact_id)
    if len(found) > 1:
        return None
    return replace(where, contact_id=found.pop()) if found else where


def _checked_filter(ctx: Context, principal: Principal, where: ContactFilter) -> ContactFilter:
    authorise(principal, Capability.VIEW)
    limits.optional_text(where.email, field="email", max_length=limits.EMAIL)
    limits.optional_text(where.mobile, field="mobile", max_length=limits.MOBILE)
    limits.optional_text(where.external_id, field="external_id", max_length=limits.NAME)
    limits.optional_text(where.list_name, field="list", max_length=limits.NAME)
    limits.optional_text(where.after, field="after", max_length=limits.ID)
    limits.optional_text(where.contact_id, field="contact_id", max_length=limits.ID)
    if where.email:
        where = replace(where, email=ctx.addresses.email(where.email))
    if where.mobile:
        where = replace(where, mobile=ctx.addresses.mobile(where.mobile))
    return where


def _at_scope(ctx: Context, tx: Tx, principal: Principal, where: ContactFilter) -> ContactFilter:
    """The status filter on an enabled channel, at a scope within reach, as of now."""
    status = where.status
    if status is None:
        return where
    channel = ctx.policy.require_enabled(parse_channel(str(status.channel)))
    try:
        reasons = frozenset(Reason(str(r)) for r in status.reasons)
    except ValueError:
        reasons = frozenset()
    if not reasons or not reasons <= STATUS_REASONS:
        allowed = ", ".join(sorted(STATUS_REASONS))
        raise Invalid(f"a status filter asks for one or more of {allowed}", field="status")
    scope = load_scope(ctx, tx, principal, status.scope_id or principal.scope_id)
    authorise(principal, Capability.VIEW, scope.id)
    at = StatusFilter(channel, reasons, scope.id, ctx.clock.now())
    return replace(where, status=at)


def update_contact(
    ctx: Context, principal: Principal, contact_id: str, details: ContactDetails
) -> Contact:
    """Change a contact's details; a changed address lifts that address's suppressions."""
    authorise(principal, Capability.EDIT_CONTACT)
    with ctx.store.transaction() as tx:
        before = load_contact(tx, principal, contact_id)
        after = apply_details(ctx, before, details)
        keys = keys_of(ctx, after)
        tx.update_contact(after, keys)
        _clear_changed_addresses(ctx, tx, principal, before, after)
        apply_rules(ctx, tx, principal, before, after)  # lifecycle rules, same transaction (077)
        tx.commit()
    return after


def _clear_changed_addresses(
    ctx: Context, tx: Tx, principal: Principal, before: Contact, after: Contact
) -> None:
    for channel, _ in tx.suppression_rows(after.id):
        if before.address(channel) != after.address(channel):
            head = tx.lock_chain(after.id)
            change = Change(
                contact=after, channel=channel, scope_id=after.group_id,
                action=Action.SUPPRESSION_CLEARED, actor=principal.actor,
                recorded_by=principal.id, source=Source.API,
                reason=ClearReason.ADDRESS_CHANGED.value,
                evidence={"previous_address_changed": channel.address_field},
            )  # fmt: skip
            record(ctx, tx, head, change, NO_CONSENT)


#: Each text detail's longest length, and whether it may hold line breaks (core/limits.py).
TEXT_DETAILS = {
    "email": (limits.EMAIL, False),
    "mobile": (limits.MOBILE, False),
    "external_id": (limits.NAME, False),
    "name": (limits.NAME, False),
    "locale": (limits.LOCALE, False),
    "postal_address": (limits.POSTAL_ADDRESS, True),
    "push_token": (limits.PUSH_TOKEN, False),
}


def check_details(details: ContactDetails) -> None:
    """Refuse details the store cannot keep: bad text, too many lists (050); nothing is written."""
    for name, (longest, multiline) in TEXT_DETAILS.items():
        value = getattr(details, name)
        limits.optional_text(value, field=name, max_length=longest, multiline=multiline)
    if details.lists is not None:
        if isinstance(details.lists, str):
            raise Invalid("lists must be a collection of list names", field="lists")
        limits.texts(
            details.lists, field="lists", max_items=limits.MAX_LISTS, max_length=limits.NAME
        )
    if details.attributes is not None:
        _attributes(details.attributes)


def _attributes(value: object) -> None:
    limits.bounded_json(
        value,
        field="attributes",
        error=InvalidAttributes,
        max_bytes=limits.MAX_ATTRIBUTES_BYTES,
    )


def apply_details(ctx: Context, contact: Contact, details: ContactDetails) -> Contact:
    check_details(details)
    changes: dict[str, object] = {}
    if details.email is not None:
        changes["email"] = ctx.addresses.email(details.email) if details.email else None
    if details.mobile is not None:
        changes["mobile"] = ctx.addresses.mobile(details.mobile) if details.mobile else None
    for name in ("external_id", "name", "locale", "postal_address", "push_token"):
        value = getattr(details, name)
        if value is not None:
            changes[name] = value.strip() or None
    if details.attributes is not None:
        changes["attributes"] = {**contact.attributes, **details.attributes}
        _attributes(changes["attributes"])  # the merged whole is what is stored
    if details.lists is not None:
        changes["lists"] = frozenset(n.strip() for n in details.lists if n.strip())
    return contact.with_changes(**changes)


def keys_of(ctx: Context, contact: Contact) -> dict[AddressKind, str]:
    keys: dict[AddressKind, str] = {}
    if contact.email:
        keys[AddressKind.EMAIL] = ctx.addresses.digest(AddressKind.EMAIL, contact.email)
    if contact.mobile:
        keys[AddressKind.MOBILE] = ctx.addresses.digest(AddressKind.MOBILE, contact.mobile)
    return keys


def _lookup(
    ctx: Context, tx: Tx, group_id: str, email: str | None, mobile: str | None
) -> str | None:
    if email:
        digest = ctx.addresses.digest(AddressKind.EMAIL, ctx.addresses.email(email))
        return tx.find_contact_id(group_id, AddressKind.EMAIL, digest)
    if mobile:
        digest = ctx.addresses.digest(AddressKind.MOBILE, ctx.addresses.mobile(mobile))
        return tx.find_contact_id(group_id, AddressKind.MOBILE, digest)
    raise Invalid("give an email address or a mobile number to find a contact")


def _refuse_erased(tx: Tx, group_id: str, keys: dict[AddressKind, str]) -> None:
    for kind, digest in keys.items():
        existing = tx.find_contact_id(group_id, kind, digest)
        if existing is None:
            continue
        other = tx.get_contact(group_id, existing)
        if other is not None and other.erased_at is not None:
            raise ContactErased(
                "this address belonged to an erased contact and stays suppressed",
                kind=kind.value,
            )
