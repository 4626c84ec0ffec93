"""``consentry numbers …``, ``keywords …``, ``outbox list`` and ``expire-confirmations``:
what the contact's own messages need (docs/inbound.md).

A receiving number maps to a scope (a STOP sent to it opts out there); keyword sets are per
group; the outbox holds the replies Consentry queued for the sending service.
"""

from __future__ import annotations

from typing import Any

import click

from consentry.cli.common import Env, F, json_option, operator, pass_env
from consentry.cli.render import echo_json, table, when
from consentry.core.keywords import ANY_LANGUAGE, LANGUAGES, KeywordKind, KeywordSet
from consentry.core.messaging import NumberConfig, OutboxItem

KINDS = [k.value for k in KeywordKind]


def group_of_config(func: F) -> F:
    """A required ``--group``: numbers, keyword sets and the outbox belong to one group."""
    return click.option("--group", required=True, help="The group, e.g. acme.")(func)


def keyword_options(func: F) -> F:
    """``--set``, ``--kind`` and ``--language`` of a keyword change."""
    func = click.option(
        "--language",
        default=ANY_LANGUAGE,
        show_default=True,
        help=f"One of {', '.join(LANGUAGES)}, or * for every language.",
    )(func)
    func = click.option(
        "--kind", required=True, type=click.Choice(KINDS), help="What the word asks for."
    )(func)
    return click.option(
        "--set", "keyword_set", default="default", show_default=True, help="The keyword set."
    )(func)


# ── numbers ──
@click.group()
def numbers() -> None:
    """Configure receiving numbers: the scope a STOP opts out of, keywords, reply texts."""


@numbers.command("configure")
@click.argument("number")
@click.option("--scope", required=True, help="The scope a STOP to this number opts out of.")
@click.option(
    "--channel",
    "channels",
    multiple=True,
    default=["sms"],
    show_default=True,
    help="sms, mms, rcs, whatsapp or voice (repeatable).",
)
@click.option("--keyword-set", default="default", show_default=True, help="The group's set.")
@click.option(
    "--language",
    "languages",
    multiple=True,
    help=f"Keyword languages, repeatable: {', '.join(LANGUAGES)} [default: all].",
)
@click.option("--help-text", help="The answer to HELP (default: in the contact's language).")
@click.option("--opt-out-text", help="The answer to STOP (default: in the contact's language).")
@click.option("--opt-in-text", help="The answer to START (default: in the contact's language).")
@click.option("--digit", default="9", show_default=True, help="The keypad unsubscribe digit.")
@click.option(
    "--free-text/--no-free-text",
    default=True,
    show_default=True,
    help="Treat plain 'please stop texting me' as STOP.",
)
@json_option
@pass_env
def numbers_configure(
    env: Env,
    number: str,
    scope: str,
    channels: tuple[str, ...],
    keyword_set: str,
    languages: tuple[str, ...],
    help_text: str | None,
    opt_out_text: str | None,
    opt_in_text: str | None,
    digit: str,
    free_text: bool,
    as_json: bool,
) -> None:
    """Map a receiving number (or sender id) to a scope; replaces its configuration."""
    config = env.ledger().configure_number(
        operator(scope),
        number,
        scope,
        channels=channels,
        keyword_set=keyword_set,
        languages=languages or LANGUAGES,
        help_text=help_text,
        opt_out_text=opt_out_text,
        opt_in_text=opt_in_text,
        unsubscribe_digit=digit,
        free_text=free_text,
    )
    if as_json:
        echo_json(number_data(config))
    else:
        click.echo(f"Configured {config.number} → {config.scope_id}")


@numbers.command("list")
@group_of_config
@json_option
@pass_env
def numbers_list(env: Env, group: str, as_json: bool) -> None:
    """List a group's receiving numbers."""
    found = env.ledger().list_numbers(operator(group))
    if as_json:
        echo_json([number_data(n) for n in found])
        return
    headers = ("number", "scope", "channels", "keyword set", "languages", "digit")
    rows = [
        (
            n.number,
            n.scope_id,
            ",".join(c.value for c in n.channels),
            n.keyword_set,
            ",".join(n.languages),
            n.unsubscribe_digit,
        )
        for n in found
    ]
    click.echo(table(headers, rows))


# ── keyword sets ──
@click.group()
def keywords() -> None:
    """Add and remove words of a group's keyword set (STOP, QUIT, END, … always stay)."""


@keywords.command("add")
@click.argument("word")
@group_of_config
@keyword_options
@pass_env
def keywords_add(
    env: Env, word: str, group: str, keyword_set: str, kind: str, language: str
) -> None:
    """Make WORD match as a kind in a keyword set."""
    found = env.ledger().add_keyword(
        operator(group), kind, word, keyword_set=keyword_set, language=language
    )
    click.echo(f"Added {word!r} as {kind} to {found.name}")


@keywords.command("remove")
@click.argument("word")
@group_of_config
@keyword_options
@pass_env
def keywords_remove(
    env: Env, word: str, group: str, keyword_set: str, kind: str, language: str
) -> None:
    """Stop WORD matching as a kind (the FCC's opt-out words cannot be removed)."""
    found = env.ledger().remove_keyword(
        operator(group), kind, word, keyword_set=keyword_set, language=language
    )
    click.echo(f"Removed {word!r} as {kind} from {found.name}")


@keywords.command("show")
@group_of_config
@click.option("--set", "keyword_set", default="default", show_default=True, help="The set.")
@click.option("--language", "languages", multiple=True, help="Languages [default: all].")
@json_option
@pass_env
def keywords_show(
    env: Env, group: str, keyword_set: str, languages: tuple[str, ...], as_json: bool
) -> None:
    """Show the words a keyword set matches, by kind."""
    found = env.ledger().keyword_set(
        operator(group), keyword_set=keyword_set, languages=languages or LANGUAGES
    )
    if as_json:
        echo_json(keyword_data(found))
        return
    for kind in KeywordKind:
        click.echo(f"{kind.value}: {', '.join(found.listing(kind))}")


# ── the outbox and the confirmation sweep ──
@click.group()
def outbox() -> None:
    """Read the messages Consentry queued for the sending service."""


@outbox.command("list")
@group_of_config
@click.option("--all", "every", is_flag=True, help="Include messages already sent.")
@click.option("--limit", default=100, show_default=True, help="At most this many (≤ 1000).")
@click.option("--after", help="The id of the last message of the previous page.")
@json_option
@pass_env
def outbox_list(
    env: Env, group: str, every: bool, limit: int, after: str | None, as_json: bool
) -> None:
    """List a group's outbox, oldest first (pending only unless --all)."""
    found = env.ledger().list_outbox(
        operator(group), pending_only=not every, limit=limit, after=after
    )
    if as_json:
        echo_json([outbox_data(i) for i in found])
        return
    headers = ("id", "channel", "to", "category", "created", "sent")
    rows = [
        (
            i.id,
            i.message.channel.value,
            i.message.to,
            i.message.category,
            when(i.created_at),
            when(i.sent_at),
        )
        for i in found
    ]
    click.echo(table(headers, rows))


@click.command("expire-confirmations")
@group_of_config
@click.option("--limit", default=1000, show_default=True, help="At most this many per run.")
@pass_env
def expire_confirmations(env: Env, group: str, limit: int) -> None:
    """Record the expiry of a group's confirmation requests past their time."""
    count = env.ledger().expire_confirmations(operator(group), limit=limit)
    click.echo(f"Expired {count} confirmation request{'' if count == 1 else 's'}")


def number_data(config: NumberConfig) -> dict[str, Any]:
    """A receiving number's configuration as JSON."""
    return {
        "number": config.number,
        "group": config.group_id,
        "scope": config.scope_id,
        "channels": [c.value for c in config.channels],
        "keyword_set": config.keyword_set,
        "languages": list(config.languages),
        "free_text": config.free_text,
        "help_text": config.help_text,
        "opt_out_text": config.opt_out_text,
        "opt_in_text": config.opt_in_text,
        "unsubscribe_digit": config.unsubscribe_digit,
    }


def keyword_data(found: KeywordSet) -> dict[str, Any]:
    """A keyword set as JSON: each kind's words with their language."""
    return {
        "name": found.name,
        "languages": list(found.languages),
        "words": {k.value: dict(sorted(found.words.get(k, {}).items())) for k in KeywordKind},
    }


def outbox_data(item: OutboxItem) -> dict[str, Any]:
    """An outbox message as JSON."""
    m = item.message
    return {
        "id": item.id,
        "contact_id": m.contact_id or None,
        "channel": m.channel.value,
        "to": m.to,
        "sender": m.sender,
        "category": m.category,
        "subject": m.subject,
        "body": m.body,
        "created_at": when(item.created_at),
        "sent_at": when(item.sent_at),
    }
