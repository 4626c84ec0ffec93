"""``consentry scopes …`` and ``consentry contacts …`` (add, find, show, erase)."""

from __future__ import annotations

from dataclasses import asdict

import click

from consentry.cli.common import Env, group_option, json_option, key_values, operator, pass_env
from consentry.cli.render import contact_data, contact_text, echo_json, scope_data, table
from consentry.core.contacts import Contact, ContactDetails
from consentry.core.events import Source


@click.group()
def scopes() -> None:
    """Add and list scopes: group → client → user (e.g. acme, acme/news, acme/news/ada)."""


@scopes.command("add")
@click.argument("scope_id", metavar="ID")
@click.option("--name", help="Display name (default: the last part of the id).")
@pass_env
def scopes_add(env: Env, scope_id: str, name: str | None) -> None:
    """Add a group, a client under a group, or a user under a client."""
    scope = env.ledger().add_scope(operator(scope_id), scope_id, name=name)
    click.echo(f"Added {scope.kind.value} {scope.id} ({scope.name})")


@scopes.command("list")
@click.argument("group")
@json_option
@pass_env
def scopes_list(env: Env, group: str, as_json: bool) -> None:
    """List the scopes of a group."""
    found = env.ledger().list_scopes(operator(group))
    if as_json:
        echo_json([scope_data(s) for s in found])
    else:
        click.echo(table(("id", "kind", "name"), [(s.id, s.kind.value, s.name) for s in found]))


@click.group()
def contacts() -> None:
    """Add, find and show contacts (each belongs to one group)."""


@contacts.command("add")
@group_option
@click.option("--email", help="Email address (validated, stored lower-cased).")
@click.option("--mobile", help="Mobile number (normalised to E.164; use +country code).")
@click.option("--external-id", help="Your own key for this person.")
@click.option("--name", help="The person's name.")
@click.option("--locale", help="Preferred language, e.g. en-GB.")
@click.option("--attr", "attrs", multiple=True, metavar="KEY=VALUE", help="Attribute (repeatable).")
@pass_env
def contacts_add(
    env: Env,
    group: str,
    email: str | None,
    mobile: str | None,
    external_id: str | None,
    name: str | None,
    locale: str | None,
    attrs: tuple[str, ...],
) -> None:
    """Add a contact to a group and print its id."""
    details = ContactDetails(
        email=email,
        mobile=mobile,
        external_id=external_id,
        name=name,
        locale=locale,
        attributes=key_values(attrs, "--attr") or None,
    )
    contact = env.ledger().add_contact(operator(group), details)
    click.echo(contact.id)


@contacts.command("find")
@group_option
@click.option("--email", help="Find by email address.")
@click.option("--mobile", help="Find by mobile number, in any format it can be read in.")
@json_option
@pass_env
def contacts_find(
    env: Env, group: str, email: str | None, mobile: str | None, as_json: bool
) -> None:
    """Find a contact by email address or mobile number."""
    if bool(email) == bool(mobile):
        raise click.UsageError("give exactly one of --email or --mobile")
    contact = env.ledger().find_contact(operator(group), email=email, mobile=mobile)
    show(contact, as_json)


@contacts.command("show")
@click.argument("contact_id", metavar="ID")
@group_option
@json_option
@pass_env
def contacts_show(env: Env, contact_id: str, group: str, as_json: bool) -> None:
    """Show a contact's details."""
    show(env.ledger().get_contact(operator(group), contact_id), as_json)


@contacts.command("erase")
@click.argument("contact_id", metavar="ID")
@group_option
@click.option(
    "--reference",
    help="The erasure request's reference (a ticket number; no personal data): its evidence.",
)
@json_option
@pass_env
def contacts_erase(
    env: Env, contact_id: str, group: str, reference: str | None, as_json: bool
) -> None:
    """Erase a contact's personal data (GDPR Art. 17); the chain and the suppression stay."""
    erasure = env.ledger().erase_contact(
        operator(group), contact_id, reference=reference, source=Source.CLI
    )
    removed = erasure.removed
    if as_json:
        echo_json(
            {
                "contact": contact_data(erasure.contact),
                "already_erased": erasure.already_erased,
                "events": [e.id for e in erasure.events],
                "removed": None if removed is None else asdict(removed),
            }
        )
    elif removed is None:
        click.echo(f"{contact_id} was erased before: nothing to do")
    else:
        click.echo(
            f"erased {contact_id}: evidence of {removed.evidence} events, {removed.files} "
            f"files, {removed.outbox} outbox messages, {removed.import_rows} import report "
            f"lines, {removed.replays} stored replies; {len(erasure.events)} erasure events"
        )


def show(contact: Contact, as_json: bool) -> None:
    """Print a contact as text or JSON."""
    if as_json:
        echo_json(contact_data(contact))
    else:
        click.echo(contact_text(contact))
