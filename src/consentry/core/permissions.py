"""Who may do what, and where (SPEC §3; seeds/002, seeds/004).

Every caller is a ``Principal``: a role bound to a scope. ``authorise`` refuses a capability the
role lacks (``forbidden``) or a target outside the principal's scope (``out_of_scope``).

==========  ================================================================================
role        may
==========  ================================================================================
admin       everything within its scope but speak for the contact; the only role that opts
            out or re-subscribes
staff       view and add contacts, opt in **with evidence**, request confirmation, build
            audiences; never change an existing subscription status
viewer      view and check (read only)
sender      check eligibility, resolve audiences, report bounces and complaints, deliver the
            contact's inbound messages (their STOP, START, keypad)
contact     their own preferences, through a signed link
system      the deployment itself (lifecycle rules, expiry sweeps, the operator's CLI)
==========  ================================================================================

Reading: a principal sees consent facts at its own scope, below it, and on the path above it
(those decide its eligibility). Writing: only at its own scope or below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from consentry.core.errors import Forbidden, OutOfScope
from consentry.core.events import Actor, ActorKind
from consentry.core.scopes import group_of, is_within


class Role(StrEnum):
    """A caller's role. Add, never rename or remove."""

    ADMIN = "admin"
    STAFF = "staff"
    VIEWER = "viewer"
    SENDER = "sender"
    CONTACT = "contact"
    SYSTEM = "system"


class Capability(StrEnum):
    """Something a role may be allowed to do."""

    VIEW = "view"
    ADD_CONTACT = "add_contact"
    EDIT_CONTACT = "edit_contact"
    OPT_IN = "opt_in"
    CHANGE_SUBSCRIPTION = "change_subscription"
    REQUEST_CONFIRMATION = "request_confirmation"
    CHECK = "check"
    REPORT_DELIVERY = "report_delivery"
    DELIVER_INBOUND = "deliver_inbound"
    CLEAR_SUPPRESSION = "clear_suppression"
    MANAGE_SCOPES = "manage_scopes"
    MANAGE_KEYS = "manage_keys"
    VERIFY = "verify"
    ERASE = "erase"
    OWN_PREFERENCES = "own_preferences"


_ALL = frozenset(Capability) - {Capability.OWN_PREFERENCES}

ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    # An admin never delivers the contact's own messages: that would let staff record a
    # STOP/START or a confirmation click "as the contact" and so reverse a hard opt-out.
    Role.ADMIN: _ALL - {Capability.DELIVER_INBOUND},
    Role.SYSTEM: _ALL,
    Role.STAFF: frozenset(
        {
            Capability.VIEW,
            Capability.ADD_CONTACT,
            Capability.EDIT_CONTACT,
            Capability.OPT_IN,
            Capability.REQUEST_CONFIRMATION,
            Capability.CHECK,
        }
    ),
    Role.VIEWER: frozenset({Capability.VIEW, Capability.CHECK}),
    Role.SENDER: frozenset(
        {Capability.CHECK, Capability.REPORT_DELIVERY, Capability.DELIVER_INBOUND}
    ),
    Role.CONTACT: frozenset({Capability.OWN_PREFERENCES}),
}

_ACTOR_KIND = {
    Role.ADMIN: ActorKind.ADMIN,
    Role.STAFF: ActorKind.STAFF,
    Role.VIEWER: ActorKind.STAFF,
    Role.SENDER: ActorKind.API_KEY,
    Role.CONTACT: ActorKind.CONTACT,
    Role.SYSTEM: ActorKind.SYSTEM,
}


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller: a role bound to a scope, with an id for the ledger (key id, user name).

    A contact principal also carries the one contact it may act for.
    """

    role: Role
    scope_id: str
    id: str
    contact_id: str | None = None
    via_key: bool = False

    @property
    def group_id(self) -> str:
        """The group the principal belongs to; it never sees another group."""
        return group_of(self.scope_id)

    @property
    def actor(self) -> Actor:
        """How this principal appears in the ledger when it acts itself."""
        if self.role is Role.CONTACT:
            return Actor(ActorKind.CONTACT, self.contact_id or self.id)
        if self.via_key and self.role is not Role.SYSTEM:
            return Actor(ActorKind.API_KEY, self.id)
        return Actor(_ACTOR_KIND[self.role], self.id)

    def can(self, capability: Capability) -> bool:
        """True when the role carries the capability."""
        return capability in ROLE_CAPABILITIES[self.role]


def authorise(principal: Principal, capability: Capability, scope_id: str | None = None) -> None:
    """Refuse unless the principal's role has the capability and the scope is within reach."""
    if not principal.can(capability):
        raise Forbidden(
            f"the {principal.role.value} role may not {capability.value.replace('_', ' ')}",
            role=principal.role.value,
            capability=capability.value,
        )
    if scope_id is not None and not is_within(scope_id, principal.scope_id):
        raise OutOfScope(
            f"scope {scope_id!r} is outside {principal.scope_id!r}",
            scope=scope_id,
            principal_scope=principal.scope_id,
        )


def authorise_contact(principal: Principal, contact_id: str) -> None:
    """A contact principal acts only for itself."""
    if principal.role is Role.CONTACT and principal.contact_id != contact_id:
        raise Forbidden("a contact may change only their own preferences")


def can_read_scope(principal: Principal, scope_id: str) -> bool:
    """True when a fact at ``scope_id`` is visible: at, below or above the principal's scope."""
    return is_within(scope_id, principal.scope_id) or is_within(principal.scope_id, scope_id)
