"""Scopes, channels and the permissions matrix (SPEC §1, §3; seeds/002, seeds/004)."""

from __future__ import annotations

import pytest

from consentry.core.channels import AddressKind, Channel, ChannelPolicy, parse_channel
from consentry.core.errors import ConsentryError, all_error_classes
from consentry.core.events import ActorKind
from consentry.core.permissions import (
    Capability,
    Principal,
    Role,
    authorise,
    authorise_contact,
    can_read_scope,
)
from consentry.core.scopes import (
    Scope,
    ScopeKind,
    is_within,
    parent_of,
    parse_scope_id,
    path_to_root,
)


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("acme", "acme"),
        (" Acme/News_1/ada-2 ", "acme/news_1/ada-2"),
        ("/acme/events/", "acme/events"),
    ],
)
def test_scope_ids_are_normalised_paths(raw, parsed):
    assert parse_scope_id(raw) == parsed


@pytest.mark.parametrize(
    "raw", ["", "acme//x", "a/b/c/d", "-acme", "acme/ne ws", "ac.me", "x" * 64, "acme/é"]
)
def test_malformed_scope_ids_are_refused_with_invalid_scope(raw):
    with pytest.raises(ConsentryError) as info:
        parse_scope_id(raw)
    assert info.value.code == "invalid_scope"


def test_a_scope_knows_its_kind_group_and_parent():
    user = Scope("acme/newsletters/ada", "Ada")
    assert (user.kind, user.group_id, user.parent_id) == (
        ScopeKind.USER,
        "acme",
        "acme/newsletters",
    )
    assert Scope("acme/events", "Events").kind is ScopeKind.CLIENT
    assert Scope("acme", "Acme").parent_id is None
    assert parent_of("acme") is None


def test_the_path_to_the_root_runs_user_client_group():
    assert path_to_root("acme/newsletters/ada") == (
        "acme/newsletters/ada",
        "acme/newsletters",
        "acme",
    )
    assert path_to_root("acme") == ("acme",)


@pytest.mark.parametrize(
    ("scope", "ancestor", "within"),
    [
        ("acme/newsletters/ada", "acme", True),
        ("acme/newsletters/ada", "acme/newsletters", True),
        ("acme/newsletters", "acme/newsletters", True),
        ("acme/newsletters", "acme/newsletters/ada", False),
        ("acme/newsletters2", "acme/newsletters", False),
        ("acmex", "acme", False),
        ("globex/sales", "acme", False),
    ],
)
def test_is_within_respects_path_segments(scope, ancestor, within):
    assert is_within(scope, ancestor) is within


def test_channels_parse_case_insensitively_and_unknown_ones_are_refused():
    assert parse_channel(" SMS ") is Channel.SMS
    assert Channel.WHATSAPP.address_field == AddressKind.MOBILE
    assert Channel.EMAIL.address_field == AddressKind.EMAIL
    with pytest.raises(ConsentryError) as info:
        parse_channel("telegram")
    assert info.value.code == "invalid_channel"


def test_a_disabled_channel_is_refused():
    policy = ChannelPolicy(enabled=frozenset({Channel.EMAIL}))
    assert policy.require_enabled(Channel.EMAIL) is Channel.EMAIL
    with pytest.raises(ConsentryError) as info:
        policy.require_enabled(Channel.SMS)
    assert info.value.code == "invalid_channel"


MATRIX: dict[Role, set[Capability]] = {
    Role.ADMIN: {
        c for c in Capability if c not in (Capability.OWN_PREFERENCES, Capability.DELIVER_INBOUND)
    },
    Role.SYSTEM: set(Capability) - {Capability.OWN_PREFERENCES},
    Role.STAFF: {
        Capability.VIEW,
        Capability.ADD_CONTACT,
        Capability.EDIT_CONTACT,
        Capability.OPT_IN,
        Capability.REQUEST_CONFIRMATION,
        Capability.CHECK,
        Capability.READ_COMPLIANCE,  # violations and the compliance report (079)
        Capability.RESEND_JOURNEY,  # ask for a missed journey message again (078)
    },
    Role.VIEWER: {Capability.VIEW, Capability.CHECK, Capability.READ_COMPLIANCE},
    Role.SENDER: {
        Capability.CHECK,
        Capability.REPORT_DELIVERY,
        Capability.DELIVER_INBOUND,
        Capability.REPORT_SENDS,  # what was sent, to be judged (079)
        Capability.REPORT_JOURNEY,  # a triggered journey message, to be judged (078)
    },
    Role.CONTACT: {Capability.OWN_PREFERENCES},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("capability", list(Capability))
def test_the_permissions_matrix(role, capability):
    principal = Principal(role, "acme", "p")
    if capability in MATRIX[role]:
        authorise(principal, capability, "acme/events")
    else:
        with pytest.raises(ConsentryError) as info:
            authorise(principal, capability)
        assert info.value.code == "forbidden"


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ("acme/newsletters", None),
        ("acme/newsletters/ada", None),
        ("acme/events", "out_of_scope"),
        ("acme", "out_of_scope"),
        ("globex/sales", "out_of_scope"),
    ],
)
def test_a_client_admin_acts_only_inside_that_client(target, code):
    client_admin = Principal(Role.ADMIN, "acme/newsletters", "admin")
    try:
        authorise(client_admin, Capability.CHANGE_SUBSCRIPTION, target)
        found = None
    except ConsentryError as exc:
        found = exc.code
    assert found == code


def test_a_client_principal_reads_its_path_up_and_its_subtree_down_but_not_siblings():
    p = Principal(Role.VIEWER, "acme/newsletters", "v")
    assert can_read_scope(p, "acme")
    assert can_read_scope(p, "acme/newsletters/ada")
    assert not can_read_scope(p, "acme/events")
    assert p.group_id == "acme"


@pytest.mark.parametrize(
    ("principal", "kind"),
    [
        (Principal(Role.ADMIN, "acme", "a"), ActorKind.ADMIN),
        (Principal(Role.VIEWER, "acme", "v"), ActorKind.STAFF),
        (Principal(Role.SENDER, "acme", "k", via_key=True), ActorKind.API_KEY),
        (Principal(Role.STAFF, "acme", "k", via_key=True), ActorKind.API_KEY),
        (Principal(Role.SYSTEM, "acme", "op", via_key=True), ActorKind.SYSTEM),
        (Principal(Role.CONTACT, "acme", "x", contact_id="ct_1"), ActorKind.CONTACT),
    ],
)
def test_a_principal_appears_in_the_ledger_as_its_actor_kind(principal, kind):
    assert principal.actor.kind is kind


def test_a_contact_acts_only_for_itself():
    me = Principal(Role.CONTACT, "acme", "ct_1", contact_id="ct_1")
    assert me.actor.id == "ct_1"
    authorise_contact(me, "ct_1")
    authorise_contact(Principal(Role.ADMIN, "acme", "a"), "ct_2")
    with pytest.raises(ConsentryError) as info:
        authorise_contact(me, "ct_2")
    assert info.value.code == "forbidden"


def test_every_error_has_a_distinct_stable_code_and_reads_with_it():
    classes = all_error_classes()
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes))
    error = classes[-1]("it broke", x=1)
    assert str(error) == f"{error.code}: it broke" and error.details == {"x": 1}
