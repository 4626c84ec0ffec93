"""Staff users and their sessions (decision 061): who may manage users, signing in and out, the
rate limits, rotation, expiry, and what the store keeps (never a token, never a password)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from consentry.adapters.passwords import Argon2Passwords
from consentry.core.errors import (
    ConsentryError,
    Forbidden,
    Invalid,
    InvalidEmail,
    InvalidText,
    OutOfScope,
    ScopeNotFound,
    SignInFailed,
    SignInRateLimited,
    TextTooLong,
    Unauthenticated,
    UserExists,
    UserNotFound,
    WeakPassword,
)
from consentry.core.permissions import Principal, Role
from consentry.core.users import SESSION_TTL
from consentry.ledger import Ledger
from consentry.ledger.users import (
    PER_EMAIL_LIMIT,
    PER_IP_LIMIT,
    RATE_WINDOW,
    csrf_token,
    hash_token,
    session_of,
    sign_in,
    sign_out,
)
from tests.factories import (
    PASSWORD,
    T0,
    WRITTEN,
    admin,
    fast_passwords,
    make_contact,
    make_user,
    sender,
    sql,
    staff,
    system,
    viewer,
)

IP = "192.0.2.10"


@pytest.fixture
def users(ledger: Ledger) -> Ledger:
    """The ledger with cheap Argon2id, so that many sign-ins stay fast."""
    return fast_passwords(ledger)


def log_in(ledger: Ledger, email: str = "sam@example.com", password: str = PASSWORD, **more):
    return sign_in(ledger.context, email, password, client_ip=more.pop("ip", IP), **more)


def refused(error: type[ConsentryError], code: str, call, *args, **kwargs) -> ConsentryError:
    with pytest.raises(error) as info:
        call(*args, **kwargs)
    assert info.value.code == code
    return info.value


# ── who may create, list and disable users ──
def test_an_admin_creates_a_user_within_its_scope_who_acts_under_their_email(users):
    user = make_user(users, "Sam@Example.COM", Role.STAFF, "acme/newsletters", by=admin())
    assert user.id.startswith("us_") and user.email == "sam@example.com"
    assert (user.role, user.scope_id, user.group_id, user.disabled_at) == (
        Role.STAFF,
        "acme/newsletters",
        "acme",
        None,
    )
    assert user.created_at == T0 and user.name == "Sam"
    assert user.principal() == Principal(Role.STAFF, "acme/newsletters", "sam@example.com")
    assert users.list_users(admin()) == [user]


def test_a_user_acts_in_the_history_under_their_email(users):
    boss = make_user(users, "boss@example.com", Role.ADMIN)
    ada = make_contact(users)
    event = users.opt_in(boss.principal(), ada.id, "sms", "acme", evidence=WRITTEN)
    assert (event.actor.kind.value, event.actor.id) == ("admin", "boss@example.com")


def test_a_client_admin_creates_users_for_its_client_only(users):
    client_admin = admin("acme/newsletters")
    below = make_user(users, "ada@example.com", scope="acme/newsletters/ada", by=client_admin)
    assert below.scope_id == "acme/newsletters/ada"
    for scope in ("acme", "acme/events", "globex"):
        refused(OutOfScope, "out_of_scope", make_user, users, scope=scope, by=client_admin)
    assert [u.email for u in users.list_users(admin())] == ["ada@example.com"]


def test_staff_viewers_and_senders_cannot_create_users(users):
    for who in (staff(), viewer(), sender()):
        refused(Forbidden, "forbidden", make_user, users, by=who)
        refused(Forbidden, "forbidden", users.list_users, who)


def test_a_user_has_a_staff_role_at_a_scope_that_exists(users):
    for role in (Role.SENDER, Role.CONTACT, Role.SYSTEM, "owner"):
        refused(Invalid, "invalid", make_user, users, role=role)
    refused(ScopeNotFound, "scope_not_found", make_user, users, scope="acme/nope")
    with pytest.raises(Invalid) as info:
        users.create_user(
            admin(), "x@example.com", name="  ", role=Role.STAFF, scope_id="acme", password=PASSWORD
        )
    assert info.value.details == {"field": "name"}
    assert make_user(users, role="viewer").role is Role.VIEWER  # type: ignore[arg-type]


def test_an_email_address_is_one_user_across_the_deployment(users):
    make_user(users, "sam@example.com")
    refused(UserExists, "user_exists", make_user, users, "SAM@example.com", scope="acme/events")
    refused(UserExists, "user_exists", make_user, users, "sam@example.com", scope="globex")
    refused(InvalidEmail, "invalid_email", make_user, users, "not an address")


def test_a_password_is_twelve_to_256_characters_of_one_line(users):
    error = refused(WeakPassword, "weak_password", make_user, users, password="short pass")
    assert error.details["min_length"] == 12 and "short pass" not in error.message
    refused(InvalidText, "invalid_text", make_user, users, password="twelve chars\x00 and more")
    refused(TextTooLong, "text_too_long", make_user, users, password="x" * 257)
    assert make_user(users, password="x" * 256).email == "sam@example.com"


def test_admins_list_the_users_at_and_below_their_scope_by_email(users):
    make_user(users, "zoe@example.com", scope="acme")
    make_user(users, "bob@example.com", scope="acme/events")
    make_user(users, "ada@example.com", scope="acme/newsletters")
    make_user(users, "gil@example.com", scope="globex")
    listed = [u.email for u in users.list_users(admin())]
    assert listed == ["ada@example.com", "bob@example.com", "zoe@example.com"]
    assert [u.email for u in users.list_users(admin("acme/events"))] == ["bob@example.com"]
    narrowed = users.list_users(admin(), scope_id="acme/newsletters")
    assert [u.email for u in narrowed] == ["ada@example.com"]
    refused(OutOfScope, "out_of_scope", users.list_users, admin("acme/events"), scope_id="acme")
    everyone = [u.email for u in users.list_users(system())]  # the operator: the deployment
    assert everyone == ["ada@example.com", "bob@example.com", "gil@example.com", "zoe@example.com"]
    assert [u.email for u in users.list_users(system(), scope_id="globex")] == ["gil@example.com"]


def test_an_admin_disables_users_within_its_scope_only(users):
    top = make_user(users, "top@example.com", Role.ADMIN, "acme")
    news = make_user(users, "news@example.com", scope="acme/newsletters")
    other = make_user(users, "gil@example.com", scope="globex")
    client_admin = admin("acme/newsletters")
    refused(OutOfScope, "out_of_scope", users.disable_user, client_admin, top.id)
    refused(UserNotFound, "user_not_found", users.disable_user, client_admin, other.id)
    refused(UserNotFound, "user_not_found", users.disable_user, client_admin, "us_nobody")
    refused(Forbidden, "forbidden", users.disable_user, staff(), news.id)
    assert users.disable_user(client_admin, news.id).disabled_at == T0
    assert users.disable_user(system("globex"), other.id).disabled_at == T0
    assert [u.disabled_at for u in users.list_users(admin())] == [T0, None]


def test_disabling_twice_keeps_the_first_time(users, clock):
    sam = make_user(users)
    users.disable_user(admin(), sam.id)
    clock.set(T0 + timedelta(hours=1))
    assert users.disable_user(admin(), sam.id).disabled_at == T0


# ── signing in ──
def test_the_right_password_signs_in_for_eight_hours(users):
    sam = make_user(users, "sam@example.com", Role.VIEWER, "acme/events")
    session, token = log_in(users, "  Sam@Example.com ")
    assert session.user == sam and session.expires_at == T0 + SESSION_TTL == T0 + timedelta(hours=8)
    assert len(token) >= 43 and session.csrf_token == csrf_token(token)
    assert session_of(users.context, token) == session


def test_an_unknown_email_a_wrong_password_and_a_disabled_user_get_one_answer(users):
    sam = make_user(users)
    make_user(users, "off@example.com")
    users.disable_user(admin(), users.list_users(admin())[0].id)  # off@ sorts first
    assert users.list_users(admin())[1] == sam
    answers = [
        refused(SignInFailed, "sign_in_failed", log_in, users, email, password)
        for email, password in (
            ("nobody@example.com", PASSWORD),
            ("sam@example.com", PASSWORD + "!"),
            ("off@example.com", PASSWORD),
            ("not an address", PASSWORD),
            ("sam@example.com", "x" * 300),
        )
    ]
    assert {(a.message, tuple(a.details)) for a in answers} == {
        ("the email address or the password is wrong", ())
    }


def test_the_attempts_per_email_address_are_limited(users, clock):
    make_user(users)
    for _ in range(PER_EMAIL_LIMIT):
        refused(SignInFailed, "sign_in_failed", log_in, users, password="wrong password!")
    error = refused(SignInRateLimited, "sign_in_rate_limited", log_in, users)  # even the right one
    assert 0 < error.details["retry_after"] <= RATE_WINDOW.total_seconds() + 1
    make_user(users, "ada@example.com")
    assert log_in(users, "ada@example.com")[0].user.email == "ada@example.com"  # same IP, fine
    clock.set(T0 + RATE_WINDOW)
    assert log_in(users)[0].user.email == "sam@example.com"


def test_the_attempts_per_client_ip_are_limited(users):
    make_user(users)
    for n in range(PER_IP_LIMIT):
        refused(SignInFailed, "sign_in_failed", log_in, users, f"guess{n}@example.com")
    refused(SignInRateLimited, "sign_in_rate_limited", log_in, users)
    assert log_in(users, ip="198.51.100.7")[0].user.email == "sam@example.com"


def test_signing_in_again_closes_the_session_it_replaces(users):
    make_user(users)
    _, first = log_in(users)
    _, other_browser = log_in(users)
    _, second = log_in(users, previous_token=first)
    refused(Unauthenticated, "unauthenticated", session_of, users.context, first)
    assert session_of(users.context, second).user.email == "sam@example.com"
    assert session_of(users.context, other_browser).user.email == "sam@example.com"
    assert log_in(users, previous_token="not ours \u00e9")[1] != second


def test_a_session_expires_eight_hours_after_sign_in(users, clock):
    make_user(users)
    _, token = log_in(users)
    clock.set(T0 + SESSION_TTL - timedelta(microseconds=1))
    assert session_of(users.context, token).expires_at == T0 + SESSION_TTL
    clock.set(T0 + SESSION_TTL)
    error = refused(Unauthenticated, "unauthenticated", session_of, users.context, token)
    assert "expired" in error.message
    log_in(users)  # a new sign-in clears the expired session away
    assert sql(users, "SELECT count(*) FROM staff_sessions")[0][0] == 1


def test_disabling_a_user_ends_their_sessions_at_once(users):
    sam = make_user(users)
    _, token = log_in(users)
    log_in(users)
    users.disable_user(admin(), sam.id)
    refused(Unauthenticated, "unauthenticated", session_of, users.context, token)
    assert sql(users, "SELECT count(*) FROM staff_sessions")[0][0] == 0
    refused(SignInFailed, "sign_in_failed", log_in, users)


def test_a_session_of_a_user_disabled_meanwhile_is_over(users):
    sam = make_user(users)
    _, token = log_in(users)
    sql(users, "UPDATE users SET disabled_at = 1 WHERE id = :id", id=sam.id)
    refused(Unauthenticated, "unauthenticated", session_of, users.context, token)


def test_signing_out_ends_the_session_and_is_harmless_twice(users):
    make_user(users)
    _, token = log_in(users)
    sign_out(users.context, token)
    sign_out(users.context, token)
    sign_out(users.context, "")
    refused(Unauthenticated, "unauthenticated", session_of, users.context, token)


@pytest.mark.parametrize("token", ["", "x" * 129, "caf\u00e9", "a-token-we-never-made"])
def test_a_cookie_that_is_no_session_is_unauthenticated(users, token):
    refused(Unauthenticated, "unauthenticated", session_of, users.context, token)


# ── what the store keeps ──
def test_the_store_keeps_a_hash_of_the_token_and_of_the_password_never_them(users):
    make_user(users)
    _, token = log_in(users)
    (stored,) = [row[0] for row in sql(users, "SELECT token_hash FROM staff_sessions")]
    assert stored == hashlib.sha256(token.encode()).hexdigest() == hash_token(token)
    assert stored != token and token not in stored
    (password_hash,) = [row[0] for row in sql(users, "SELECT password_hash FROM users")]
    assert password_hash.startswith("$argon2id$") and PASSWORD not in password_hash


def test_the_csrf_token_is_stable_per_session_and_differs_between_sessions(users):
    make_user(users)
    one, first = log_in(users)
    two, second = log_in(users)
    assert csrf_token(first) == csrf_token(first) == one.csrf_token
    assert session_of(users.context, first).csrf_token == one.csrf_token
    assert one.csrf_token != two.csrf_token and len(one.csrf_token) == 64
    assert first not in one.csrf_token and second != first


# ── the hasher ──
def test_the_built_ledger_hashes_with_argon2id_and_rehashes_old_parameters(ledger):
    fast_passwords(ledger)
    make_user(ledger)
    (cheap,) = [row[0] for row in sql(ledger, "SELECT password_hash FROM users")]
    assert "m=1024,t=1,p=1" in cheap
    ledger.context.passwords = Argon2Passwords()  # the defaults bootstrap.build wires in
    log_in(ledger)
    (current,) = [row[0] for row in sql(ledger, "SELECT password_hash FROM users")]
    assert current.startswith("$argon2id$") and "m=65536,t=3,p=4" in current
    log_in(ledger)
    assert sql(ledger, "SELECT password_hash FROM users")[0][0] == current  # no rehash now


def test_the_hasher_refuses_nothing_it_cannot_read():
    hasher = Argon2Passwords()
    assert hasher.verify("not a hash", PASSWORD) is False
    assert hasher.needs_rehash("not a hash") is True


def test_a_ledger_without_a_password_hasher_says_so(users):
    users.context.passwords = None
    error = refused(Invalid, "invalid", make_user, users)
    assert "no password hasher" in error.message
    refused(Invalid, "invalid", log_in, users)
