"""What a refusal tells the caller: its code, its details and its message (SPEC §3, docs/errors.md).

A program acts on ``code`` and reads ``details`` (the API sends both in
``{"error": {"code", "message", "details"}}``); a person reads ``message``, shown after the code
as ``code: message``, so it is a lower-case clause that says what is needed.
"""

from __future__ import annotations

import pytest

from consentry.core.eligibility import Category, parse_category
from consentry.core.errors import ConsentryError
from consentry.core.events import ResubscribeReason, Source
from consentry.core.permissions import (
    Capability,
    Principal,
    Role,
    authorise,
    authorise_contact,
)
from consentry.core.transitions import (
    check_confirm,
    check_opt_in,
    check_request_confirmation,
    check_resubscribe,
)
from tests.factories import T0
from tests.unit.states import ADMIN, CONTACT, HARD, IN, KEY, LATER, NONE, PENDING, SOFT, STAFF

#: The two reasons seeds/002 names for re-subscribing, in the order the admin UI offers them.
REASONS = ["mistaken_unsubscribe", "contact_asked"]


def refusal(call) -> ConsentryError:
    with pytest.raises(ConsentryError) as info:
        call()
    return info.value


def assert_reads_well(error: ConsentryError, hint: str) -> None:
    """The message is a lower-case clause that says what is needed, shown as ``code: message``."""
    assert isinstance(error.message, str)
    assert error.message[:1].islower(), error.message
    assert hint in error.message
    assert str(error) == f"{error.code}: {error.message}"


def case(name, call, code, details, hint):
    """One row: the refused call, its code, its details, a word the message uses to say why."""
    return pytest.param(call, code, details, hint, id=name)


REFUSALS = [
    # opt in (SPEC §1, seeds/000): evidence first, then the opt-outs
    case(
        "opt-in without evidence",
        lambda: check_opt_in(NONE, STAFF, Source.ADMIN_UI, False),
        "evidence_required",
        {},
        "evidence",
    ),
    case(
        "START without evidence",
        lambda: check_opt_in(HARD, CONTACT, Source.SMS_KEYWORD, False),
        "evidence_required",
        {},
        "evidence",
    ),
    case(
        "unconfirmed opt-back-in by the contact",
        lambda: check_opt_in(HARD, CONTACT, Source.PREFERENCE_CENTRE, True),
        "opted_out",
        {"status": "hard_opt_out"},
        "confirmation",
    ),
    case(
        "admin opt-in over a hard opt-out",
        lambda: check_opt_in(HARD, ADMIN, Source.ADMIN_UI, True),
        "hard_opt_out_locked",
        {"status": "hard_opt_out"},
        "only the contact",
    ),
    case(
        "staff opt-in over a soft opt-out",
        lambda: check_opt_in(SOFT, STAFF, Source.ADMIN_UI, True),
        "opted_out",
        {"status": "soft_opt_out"},
        "re-subscribe",
    ),
    # re-subscribe (seeds/002): only a soft opt-out, with a reason and evidence
    case(
        "re-subscribe a hard opt-out",
        lambda: check_resubscribe(HARD, "contact_asked", True),
        "hard_opt_out_locked",
        {"status": "hard_opt_out"},
        "never",
    ),
    case(
        "re-subscribe the opted in",
        lambda: check_resubscribe(IN, "contact_asked", True),
        "invalid_transition",
        {"status": "opted_in"},
        "opted_in",
    ),
    case(
        "re-subscribe the never asked",
        lambda: check_resubscribe(NONE, "contact_asked", True),
        "invalid_transition",
        {"status": "none"},
        "only a soft opt-out",
    ),
    case(
        "re-subscribe the pending",
        lambda: check_resubscribe(PENDING, "contact_asked", True),
        "invalid_transition",
        {"status": "pending"},
        "pending",
    ),
    case(
        "re-subscribe without a reason",
        lambda: check_resubscribe(SOFT, None, True),
        "reason_required",
        {"allowed": REASONS},
        "reason",
    ),
    case(
        "re-subscribe with an unknown reason",
        lambda: check_resubscribe(SOFT, "bored", True),
        "reason_required",
        {"allowed": REASONS},
        "reason",
    ),
    case(
        "re-subscribe without evidence",
        lambda: check_resubscribe(SOFT, "contact_asked", False),
        "evidence_required",
        {},
        "evidence",
    ),
    # request confirmation (seeds/003): an opted-out contact must opt back in themselves
    case(
        "signup of a soft opt-out",
        lambda: check_request_confirmation(SOFT, KEY, T0),
        "opted_out",
        {"status": "soft_opt_out"},
        "opt back in",
    ),
    case(
        "signup of a hard opt-out",
        lambda: check_request_confirmation(HARD, ADMIN, T0),
        "opted_out",
        {"status": "hard_opt_out"},
        "opt back in",
    ),
    case(
        "signup of the opted in",
        lambda: check_request_confirmation(IN, STAFF, T0),
        "invalid_transition",
        {"status": "opted_in"},
        "already opted in",
    ),
    # confirm: the details give the status as it stands now, an expired request being none
    case(
        "confirm with no request",
        lambda: check_confirm(NONE, T0),
        "invalid_transition",
        {"status": "none"},
        "confirmation",
    ),
    case(
        "confirm an expired request",
        lambda: check_confirm(PENDING, LATER),
        "invalid_transition",
        {"status": "none"},
        "expired",
    ),
    case(
        "confirm the opted in",
        lambda: check_confirm(IN, T0),
        "invalid_transition",
        {"status": "opted_in"},
        "confirmation",
    ),
    case(
        "confirm a hard opt-out with no request",
        lambda: check_confirm(HARD, T0),
        "invalid_transition",
        {"status": "hard_opt_out"},
        "confirmation",
    ),
]


@pytest.mark.parametrize(("call", "code", "details", "hint"), REFUSALS)
def test_a_refused_command_names_its_code_the_status_it_met_and_what_is_needed(
    call, code, details, hint
):
    error = refusal(call)
    assert (error.code, error.details) == (code, details)
    assert_reads_well(error, hint)


def test_a_missing_reason_lists_in_its_message_the_same_reasons_as_in_its_details():
    error = refusal(lambda: check_resubscribe(SOFT, None, True))
    assert error.details["allowed"] == [r.value for r in ResubscribeReason] == REASONS
    offered = error.message.split("one of ", 1)[1]
    assert offered.split(", ") == REASONS


def test_an_unknown_category_is_invalid_and_the_message_offers_every_category():
    error = refusal(lambda: parse_category("Spam"))
    assert (error.code, error.details) == ("invalid", {})
    assert_reads_well(error, "'Spam'")
    offered = error.message.split("use one of ", 1)[1]
    assert offered.split(", ") == [c.value for c in Category]


@pytest.mark.parametrize(
    ("role", "capability"),
    [
        (Role.STAFF, Capability.CHANGE_SUBSCRIPTION),
        (Role.VIEWER, Capability.OPT_IN),
        (Role.SENDER, Capability.CLEAR_SUPPRESSION),
        (Role.ADMIN, Capability.DELIVER_INBOUND),
        (Role.CONTACT, Capability.VIEW),
    ],
)
def test_a_role_without_the_capability_is_told_which_role_and_which_capability(role, capability):
    error = refusal(lambda: authorise(Principal(role, "acme", "p"), capability, "acme"))
    assert error.code == "forbidden"
    assert error.details == {"role": role.value, "capability": capability.value}
    assert_reads_well(error, f"the {role.value} role may not ")
    assert "_" not in error.message  # the capability in plain words, not its identifier


def test_staff_are_told_in_words_that_they_may_not_change_a_subscription():
    error = refusal(
        lambda: authorise(Principal(Role.STAFF, "acme", "s"), Capability.CHANGE_SUBSCRIPTION)
    )
    assert error.message == "the staff role may not change subscription"


@pytest.mark.parametrize("target", ["acme", "acme/events", "acme/events/bob", "globex/sales"])
def test_acting_above_or_beside_ones_scope_names_both_scopes(target):
    client_admin = Principal(Role.ADMIN, "acme/newsletters", "admin")
    error = refusal(lambda: authorise(client_admin, Capability.CHANGE_SUBSCRIPTION, target))
    assert error.code == "out_of_scope"
    assert error.details == {"scope": target, "principal_scope": "acme/newsletters"}
    assert_reads_well(error, f"{target!r} is outside 'acme/newsletters'")


def test_a_contact_acting_for_another_contact_is_forbidden_with_no_details():
    me = Principal(Role.CONTACT, "acme", "ct_1", contact_id="ct_1")
    error = refusal(lambda: authorise_contact(me, "ct_2"))
    assert (error.code, error.details) == ("forbidden", {})
    assert_reads_well(error, "only their own preferences")
