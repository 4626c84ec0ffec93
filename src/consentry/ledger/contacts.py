"""Scopes and contacts: add, find, update (SPEC §1; seeds/000, seeds/004)."""

from __future__ import annotations

from dataclasses import replace

from consentry.core.channels import AddressKind
from consentry.core.contacts import Contact, ContactDetails, ContactFilter
from consentry.core.errors import ContactErased, ContactNotFound, Forbidden, Invalid, OutOfScope
from consentry.core.events import Action, ClearReason, Source
from consentry.core.ids import new_id
from consentry.core.permissions import Capability, Principal, Role, authorise, can_read_scope
from consentry.core.scopes import Scope, parent_of, parse_scope_id
from consentry.core.status import NO_CONSENT
from consentry.ledger.base import Change, LedgerBase
from consentry.ledger.ports import Tx


class ContactCommands(LedgerBase):
    """Scopes and contacts."""

    # ── scopes ──
    def add_scope(self, principal: Principal, scope_id: str, name: str | None = None) -> Scope:
        """Add a group (system only), a client under a group, or a user under a client."""
        sid = parse_scope_id(scope_id)
        scope = Scope(sid, (name or sid.rsplit("/", 1)[-1]).strip()[:200])
        parent = parent_of(sid)
        with self.store.transaction() as tx:
            if parent is None:
                if principal.role is not Role.SYSTEM:
                    raise Forbidden("only the deployment's operator adds groups")
                authorise(principal, Capability.MANAGE_SCOPES, sid)
            else:
                authorise(principal, Capability.MANAGE_SCOPES, parent)
                self._scope(tx, principal, parent)
            tx.add_scope(scope, self.clock.now())
            tx.commit()
        return scope

    def get_scope(self, principal: Principal, scope_id: str) -> Scope:
        """One scope of the principal's group, at, above or below the principal's scope."""
        authorise(principal, Capability.VIEW)
        with self.store.transaction(write=False) as tx:
            scope = self._scope(tx, principal, scope_id)
        if not can_read_scope(principal, scope.id):
            raise OutOfScope(f"scope {scope.id!r} is outside {principal.scope_id!r}")
        return scope

    def list_scopes(self, principal: Principal) -> list[Scope]:
        """The scopes at and below the principal's scope."""
        authorise(principal, Capability.VIEW)
        with self.store.transaction(write=False) as tx:
            return tx.list_scopes(principal.scope_id)

    # ── contacts ──
    def add_contact(self, principal: Principal, details: ContactDetails) -> Contact:
        """Add a contact to the principal's group; addresses are validated and normalised."""
        authorise(principal, Capability.ADD_CONTACT)
        now = self.clock.now()
        contact = self._apply_details(
            Contact(new_id("ct", now), principal.group_id, created_at=now), details
        )
        keys = self._keys(contact)
        with self.store.transaction() as tx:
            self._refuse_erased(tx, contact.group_id, keys)
            tx.add_contact(contact, keys)
            tx.commit()
        return contact

    def get_contact(self, principal: Principal, contact_id: str) -> Contact:
        """One contact of the principal's group."""
        authorise(principal, Capability.VIEW)
        with self.store.transaction(write=False) as tx:
            return self._contact(tx, principal, contact_id)

    def find_contact(
        self, principal: Principal, email: str | None = None, mobile: str | None = None
    ) -> Contact:
        """Find a contact by email address or mobile number (seeds/000)."""
        authorise(principal, Capability.VIEW)
        with self.store.transaction(write=False) as tx:
            contact_id = self._lookup(tx, principal.group_id, email, mobile)
            if contact_id is None:
                raise ContactNotFound("no contact with that address")
            return self._contact(tx, principal, contact_id)

    def list_contacts(self, principal: Principal, where: ContactFilter) -> list[Contact]:
        """Contacts of the group, in id order, filtered, a page at a time."""
        authorise(principal, Capability.VIEW)
        if where.email:
            where = replace(where, email=self.addresses.email(where.email))
        if where.mobile:
            where = replace(where, mobile=self.addresses.mobile(where.mobile))
        with self.store.transaction(write=False) as tx:
            return tx.list_contacts(principal.group_id, where)

    def update_contact(
        self, principal: Principal, contact_id: str, details: ContactDetails
    ) -> Contact:
        """Change a contact's details; a changed address lifts that address's suppressions."""
        authorise(principal, Capability.EDIT_CONTACT)
        with self.store.transaction() as tx:
            before = self._contact(tx, principal, contact_id)
            after = self._apply_details(before, details)
            keys = self._keys(after)
            tx.update_contact(after, keys)
            self._clear_changed_addresses(tx, principal, before, after)
            tx.commit()
        return after

    def _clear_changed_addresses(
        self, tx: Tx, principal: Principal, before: Contact, after: Contact
    ) -> None:
        for channel, _ in tx.suppression_rows(after.id):
            if before.address(channel) != after.address(channel):
                head = tx.lock_chain(after.id)
                change = Change(
                    after,
                    channel,
                    after.group_id,
                    Action.SUPPRESSION_CLEARED,
                    principal.actor,
                    principal.id,
                    Source.API,
                    reason=ClearReason.ADDRESS_CHANGED.value,
                    evidence={"previous_address_changed": channel.address_field},
                )
                self._record(tx, head, change, NO_CONSENT)

    # ── helpers ──
    def _apply_details(self, contact: Contact, details: ContactDetails) -> Contact:
        changes: dict[str, object] = {}
        if details.email is not None:
            changes["email"] = self.addresses.email(details.email) if details.email else None
        if details.mobile is not None:
            changes["mobile"] = self.addresses.mobile(details.mobile) if details.mobile else None
        for name in ("external_id", "name", "locale", "postal_address", "push_token"):
            value = getattr(details, name)
            if value is not None:
                changes[name] = value.strip() or None
        if details.attributes is not None:
            changes["attributes"] = {**contact.attributes, **details.attributes}
        if details.lists is not None:
            changes["lists"] = frozenset(n.strip() for n in details.lists if n.strip())
        return contact.with_changes(**changes)

    def _keys(self, contact: Contact) -> dict[AddressKind, str]:
        keys: dict[AddressKind, str] = {}
        if contact.email:
            keys[AddressKind.EMAIL] = self.addresses.digest(AddressKind.EMAIL, contact.email)
        if contact.mobile:
            keys[AddressKind.MOBILE] = self.addresses.digest(AddressKind.MOBILE, contact.mobile)
        return keys

    def _lookup(self, tx: Tx, group_id: str, email: str | None, mobile: str | None) -> str | None:
        if email:
            digest = self.addresses.digest(AddressKind.EMAIL, self.addresses.email(email))
            return tx.find_contact_id(group_id, AddressKind.EMAIL, digest)
        if mobile:
            digest = self.addresses.digest(AddressKind.MOBILE, self.addresses.mobile(mobile))
            return tx.find_contact_id(group_id, AddressKind.MOBILE, digest)
        raise Invalid("give an email address or a mobile number to find a contact")

    def _refuse_erased(self, tx: Tx, group_id: str, keys: dict[AddressKind, str]) -> None:
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
