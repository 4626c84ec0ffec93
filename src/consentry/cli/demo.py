"""``consentry demo-seed``: a small, believable demo group, safe to run again.

Group ``demo`` with clients and users, 30 contacts (RFC 2606 addresses, reserved +44 7700 900xxx
numbers), opt-ins with evidence, soft and hard opt-outs on different channels and levels, a
re-subscribe, a bounce, a complaint, a pending double opt-in, one admin API key, and three
people who sign in to the staff web app (an admin, a staff member and a viewer at the group).
Every step is skipped when already done: scopes that exist are kept, a contact found by its
email address keeps its history, and the admin key and the users are created (and their secrets
printed) only on the first run.

The users' password is ``DEMO_PASSWORD`` in demo mode only (``CONSENTRY_DEMO=1``, which
``scripts/demo`` sets, as for the demo's secrets in decision 051); elsewhere it is random, made
for the run and printed once, so seeding a real database never leaves a well-known password.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import click

from consentry.cli.common import Env, operator, pass_env
from consentry.core.contacts import ContactDetails
from consentry.core.errors import ContactNotFound, ScopeExists
from consentry.core.events import Source
from consentry.core.evidence import PermissionKind, written_permission
from consentry.core.permissions import Principal, Role
from consentry.ledger import Ledger

GROUP = "demo"
SCOPES = (
    ("demo", "Demo Ltd"),
    ("demo/newsletters", "Newsletters"),
    ("demo/newsletters/ada", "Ada (newsletter editor)"),
    ("demo/newsletters/alan", "Alan (newsletter editor)"),
    ("demo/events", "Events"),
    ("demo/events/bob", "Bob (events desk)"),
    ("demo/tax", "Tax reminders"),
)
NAMES = (
    "ada",
    "alan",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "karl",
    "linus",
    "mallory",
    "niaj",
    "olivia",
    "peggy",
    "quentin",
    "rupert",
    "sybil",
    "trent",
    "uma",
    "victor",
    "walter",
    "xena",
    "yusuf",
    "zoe",
    "barbara",
    "edsger",
    "margaret",
)
DOMAINS = ("example.com", "example.org", "example.net")
KEY_NAME = "demo admin"
#: The people who sign in to the staff web app, all at the group (decision 061).
DEMO_USERS = (
    ("admin@demo.example", "Demo Admin", Role.ADMIN),
    ("staff@demo.example", "Demo Staff", Role.STAFF),
    ("viewer@demo.example", "Demo Viewer", Role.VIEWER),
)
#: Their password in demo mode: fixed and printed, so a demo is signed in to at once.
DEMO_PASSWORD = "consentry-demo"

Step = Callable[[Ledger, Principal, str], object]


def written(name: str, number: int = 0) -> dict[str, str]:
    """A record of written permission (decision 056): the contact's signed paper form."""
    return written_permission(
        PermissionKind.SIGNED_FORM,
        f"2025-12-{number % 28 + 1:02d}",
        f"{name.title()} signed 'Yes, keep me posted' on the paper signup form (box 3)",
        taken_by="front desk",
    )


def contact_stops(channel: str, scope: str, source: Source, said: str) -> Step:
    """The contact's own opt-out (hard)."""
    return lambda led, who, cid: led.opt_out(
        who, cid, channel, scope, source=source, evidence={"inbound": said}
    )


def admin_opts_out(channel: str, scope: str) -> Step:
    """An operator's opt-out (soft)."""
    return lambda led, who, cid: led.opt_out(who, cid, channel, scope, source=Source.CLI)


#: Extra story beats by contact number (after the usual opt-ins).
STORIES: dict[int, list[Step]] = {
    3: [admin_opts_out("sms", "demo/newsletters")],
    4: [contact_stops("sms", "demo", Source.SMS_KEYWORD, "STOP")],
    6: [contact_stops("voice", "demo/events", Source.VOICE_KEYPAD, "pressed 9")],
    8: [contact_stops("email", "demo/newsletters/ada", Source.UNSUBSCRIBE_LINK, "GET /u/…")],
    9: [
        admin_opts_out("email", "demo/newsletters"),
        lambda led, who, cid: led.resubscribe(
            who,
            cid,
            "email",
            "demo/newsletters",
            reason="contact_asked",
            evidence={"request": "Phoned the help desk: 'please put me back on the newsletter'"},
            source=Source.CLI,
        ),
    ],
    10: [contact_stops("email", "demo/newsletters", Source.ONE_CLICK, "List-Unsubscribe-Post")],
    12: [
        lambda led, who, cid: led.record_bounce(who, cid, "email", evidence={"smtp": "550 5.1.1"})
    ],
    14: [
        lambda led, who, cid: led.record_complaint(
            who, cid, "email", evidence={"feedback": "abuse"}
        )
    ],
    15: [admin_opts_out("email", "demo")],
    27: [
        lambda led, who, cid: led.request_confirmation(
            who,
            cid,
            "email",
            "demo/newsletters",
            evidence={"signup_form": "footer", "ip": "192.0.2.27"},
            source=Source.SIGNUP_FORM,
        )
    ],
}


def usual_opt_ins(number: int) -> list[Step]:
    """Opt-ins with evidence: email for most, SMS for every second, voice for every third."""
    if number >= 25:
        return []  # never asked
    wanted = [("email", "demo")]
    wanted += [("sms", "demo/newsletters")] if number % 2 == 0 else []
    wanted += [("voice", "demo/events")] if number % 3 == 0 else []
    return [opts_in(ch, sc, NAMES[number], number) for ch, sc in wanted]


def opts_in(channel: str, scope: str, name: str, number: int = 0) -> Step:
    """An operator's opt-in with a record of written permission."""
    return lambda led, who, cid: led.opt_in(
        who, cid, channel, scope, evidence=written(name, number), source=Source.CLI
    )


def add_scopes(ledger: Ledger, who: Principal) -> int:
    """Add the demo scopes that are missing; the number added."""
    added = 0
    for scope_id, name in SCOPES:
        try:
            ledger.add_scope(who, scope_id, name=name)
            added += 1
        except ScopeExists:
            pass
    return added


def add_contact(ledger: Ledger, who: Principal, number: int) -> bool:
    """Add one demo contact with its story, unless it is there already."""
    name = NAMES[number]
    email = f"{name}@{DOMAINS[number % len(DOMAINS)]}"
    try:
        ledger.find_contact(who, email=email)
        return False
    except ContactNotFound:
        pass
    details = ContactDetails(
        email=email,
        mobile=f"+44 7700 900{number + 1:03d}",
        name=name.title(),
        locale="en-GB",
        attributes={"signup": f"2026-01-{number % 28 + 1:02d}"},
    )
    contact = ledger.add_contact(who, details)
    for step in usual_opt_ins(number) + STORIES.get(number, []):
        step(ledger, who, contact.id)
    return True


@click.command("demo-seed")
@pass_env
def demo_seed(env: Env) -> None:
    """Fill the database with a demo group (idempotent; prints an admin API key once).

    It also makes three staff web app users, admin@, staff@ and viewer@demo.example, and prints
    their login once. Their password is consentry-demo in demo mode (CONSENTRY_DEMO=1, as
    scripts/demo runs it); otherwise a random one. On a new SQLite database it also makes the
    deployment's secrets in the keys file beside it (demo.keys by demo.db) and says so
    (decision 051); consentry serve --demo serves with them.
    """
    ledger = env.ledger(notice=click.echo)
    who = operator(GROUP)
    scopes = add_scopes(ledger, who)
    added = sum(add_contact(ledger, who, n) for n in range(len(NAMES)))
    click.echo(f"Demo group {GROUP!r}: {scopes} scopes and {added} contacts added.")
    ensure_admin_key(ledger, who)
    ensure_demo_users(ledger, who, demo=env.settings.demo)


def ensure_admin_key(ledger: Ledger, who: Principal) -> None:
    """Create the demo admin key on the first run only."""
    existing = [k for k in ledger.list_api_keys(who) if k.name == KEY_NAME and not k.revoked_at]
    if existing:
        click.echo(f"Admin API key {existing[0].id} exists (its secret was shown on first run).")
        return
    key, secret = ledger.create_api_key(who, Role.ADMIN, GROUP, name=KEY_NAME)
    click.echo(f"Admin API key {key.id} for scope {GROUP}: {secret}")
    click.echo("Keep the secret now: it cannot be shown again.")


def ensure_demo_users(ledger: Ledger, who: Principal, *, demo: bool) -> None:
    """Create the demo users that are missing, with one password, and print their logins."""
    existing = {u.email for u in ledger.list_users(who)}
    password = DEMO_PASSWORD if demo else secrets.token_urlsafe(12)
    for email, name, role in DEMO_USERS:
        if email in existing:
            click.echo(f"Demo login {email} exists (its password was shown when it was made).")
            continue
        ledger.create_user(who, email, name=name, role=role, scope_id=GROUP, password=password)
        click.echo(f"Demo login: {email} / {password}")
