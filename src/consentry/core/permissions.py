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
viewer      view and check (read only); staff and viewers also read violations and the
            compliance report (docs/decisions/079)
sender      check eligibility, resolve audiences, report sends (079), bounces and
            complaints, deliver the
            contact's own acts as ``RELAYED_SOURCES`` allows: opt-outs through any of the
            contact's sources that fits the channel, an opt-in only as their START message, a
            website's "opt me back in" only as a confirmation request, a confirmation only
            with the signed link's token (docs/decisions/054)
contact     their own preferences, through a signed link
system      the deployment itself (lifecycle rules, expiry sweeps, the operator's CLI)
==========  ================================================================================

Reading: a principal sees consent facts at its own scope, below it, and on the path above it
(those decide its eligibility). Writing: only at its own scope or below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from consentry.core.channels import Channel
from consentry.core.errors import Forbidden, InvalidSource, OutOfScope
from consentry.core.events import CONTACT_SOURCES, Action, Actor, ActorKind, Source
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
    MANAGE_USERS = "manage_users"  #: the people who sign in to the staff web app (061)
    VERIFY = "verify"
    ERASE = "erase"
    IMPORT = "import"  #: load contacts and their consent from a file (admins; decision 070)
    CONFIGURE_POLICY = "configure_policy"  #: the group's transactional policy (decision 075)
    MANAGE_WEBHOOKS = "manage_webhooks"  #: outbound webhook subscriptions (admins; 076)
    MANAGE_RULES = "manage_rules"  #: lifecycle rules (admins, at or above their scope; 077)
    REPORT_JOURNEY = "report_journey"  #: report a triggered journey message (senders; 078)
    RESEND_JOURNEY = "resend_journey"  #: ask for a missed journey message again (staff; 078)
    MANAGE_JOURNEYS = "manage_journeys"  #: scheduled (birthday-type) journeys (admins; 078)
    REPORT_SENDS = "report_sends"  #: report what was sent, to be judged (senders; 079)
    READ_COMPLIANCE = "read_compliance"  #: violations and the compliance report (079)
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
            Capability.RESEND_JOURNEY,
            Capability.READ_COMPLIANCE,
        }
    ),
    Role.VIEWER: frozenset({Capability.VIEW, Capability.CHECK, Capability.READ_COMPLIANCE}),
    Role.SENDER: frozenset(
        {
            Capability.CHECK,
            Capability.REPORT_DELIVERY,
            Capability.DELIVER_INBOUND,
            Capability.REPORT_JOURNEY,
            Capability.REPORT_SENDS,
        }
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


# ── acting as the contact (docs/decisions/054) ──

#: What a sender key (or the operator) may deliver as the contact's own act, by command. The
#: contact acts only through signed links or their own inbound message, so a relayed opt-out
#: may come through any of their sources, an opt-in only as the START they texted, a website's
#: "opt me back in" button only as a confirmation request (the contact's click on the signed
#: confirmation link completes it), and a confirmation only with that link's token.
RELAYED_SOURCES: dict[Action, frozenset[Source]] = {
    Action.OPTED_OUT: CONTACT_SOURCES - {Source.CONFIRMATION_LINK},
    Action.OPTED_IN: frozenset({Source.SMS_KEYWORD}),
    Action.CONFIRMATION_REQUESTED: frozenset({Source.PREFERENCE_CENTRE, Source.UNSUBSCRIBE_LINK}),
    Action.CONFIRMED: frozenset({Source.CONFIRMATION_LINK}),
}

_TEXTING = frozenset({Channel.SMS, Channel.MMS, Channel.RCS, Channel.WHATSAPP})

#: The channels each of the contact's sources can arrive on; the others (links, the
#: preference centre) can be in or about a message on any channel.
SOURCE_CHANNELS: dict[Source, frozenset[Channel]] = {
    Source.SMS_KEYWORD: _TEXTING,
    Source.VOICE_KEYPAD: frozenset({Channel.VOICE}),
    Source.ONE_CLICK: frozenset({Channel.EMAIL}),
}


def check_relay(action: Action, source: Source) -> None:
    """Refuse to relay as the contact's an act they cannot make through that source."""
    if source not in RELAYED_SOURCES.get(action, frozenset()):
        allowed = sorted(s.value for s in RELAYED_SOURCES.get(action, frozenset()))
        hint = {
            Action.OPTED_IN: (
                "; a website's opt-in button starts the confirmation flow "
                "(request confirmation with source preference_centre)"
            ),
        }.get(action, "")
        raise Forbidden(
            f"a sender cannot relay {action.value} through {source.value}{hint}",
            action=action.value,
            source=source.value,
            allowed=allowed,
        )


def check_source_channel(source: Source, channel: Channel) -> None:
    """Refuse a relayed act of the contact through a source that never arrives on the channel."""
    channels = SOURCE_CHANNELS.get(source)
    if channels is not None and channel not in channels:
        raise InvalidSource(
            f"{source.value} cannot arrive on {channel.value}; it comes on "
            + ", ".join(sorted(c.value for c in channels)),
            source=source.value,
            channel=channel.value,
        )
