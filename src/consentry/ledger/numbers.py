"""Receiving numbers: where a number's messages land and how it answers (SPEC §4).

A receiving number (a long code, short code, WhatsApp sender or alphanumeric sender id) belongs
to one group and maps to one scope: a STOP sent to it opts the contact out at that scope. It
carries its keyword set's name, its own HELP, opt-out and opt-in reply texts and the keypad
digit that unsubscribes from calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from consentry.core import limits
from consentry.core.channels import Channel, parse_channel
from consentry.core.errors import Conflict, Invalid, InvalidMobile, NumberNotFound
from consentry.core.keywords import DEFAULT_WORDS, LANGUAGES, KeywordSet
from consentry.core.messaging import NumberConfig
from consentry.core.permissions import Capability, Principal, Role, authorise, can_read_scope
from consentry.ledger.context import Context, InboundMemo
from consentry.ledger.keywords import keyword_set_name, keyword_set_of
from consentry.ledger.ports import Tx
from consentry.ledger.steps import load_scope

MESSAGING = (Channel.SMS, Channel.MMS, Channel.RCS, Channel.WHATSAPP)
INBOUND_CHANNELS = (*MESSAGING, Channel.VOICE)
KEYPAD = frozenset("0123456789*#")
PREFIXES = ("whatsapp:", "rcs:", "sms:", "mms:", "tel:")
NUMBERS_KEPT = 1024  # numbers remembered per process (forgotten all at once when full)


def strip_prefix(value: str) -> str:
    """A provider address without its channel prefix (``whatsapp:+44…`` → ``+44…``)."""
    text = value.strip()
    for prefix in PREFIXES:
        if text.lower().startswith(prefix):
            return text[len(prefix) :].strip()
    return text


def configure_number(
    ctx: Context,
    principal: Principal,
    number: str,
    scope_id: str,
    *,
    channels: Sequence[str | Channel] = (Channel.SMS,),
    keyword_set: str = "default",
    languages: Sequence[str] = LANGUAGES,
    help_text: str | None = None,
    opt_out_text: str | None = None,
    opt_in_text: str | None = None,
    unsubscribe_digit: str = "9",
    free_text: bool = True,
) -> NumberConfig:
    """Map a receiving number to a scope, with its keywords and reply texts (admins)."""
    for field, reply in (
        ("help_text", help_text),
        ("opt_out_text", opt_out_text),
        ("opt_in_text", opt_in_text),
    ):
        limits.optional_text(reply, field=field, max_length=limits.REPLY_TEXT, multiline=True)
    config = NumberConfig(
        number=number_key(ctx, number),
        group_id=principal.group_id,
        scope_id=scope_id,
        channels=_channels(channels),
        keyword_set=keyword_set_name(keyword_set),
        languages=_languages(languages),
        free_text=free_text,
        help_text=(help_text or "").strip(),  # empty: the default in the contact's language
        opt_out_text=(opt_out_text or "").strip(),
        opt_in_text=(opt_in_text or "").strip(),
        unsubscribe_digit=_digit(unsubscribe_digit),
    )
    with ctx.store.transaction() as tx:
        scope = load_scope(ctx, tx, principal, scope_id)
        authorise(principal, Capability.MANAGE_SCOPES, scope.id)
        existing = tx.get_number(config.number)
        if existing is not None and existing.group_id != principal.group_id:
            raise Conflict("that number is configured by another group", number=number)
        if existing is not None:  # re-pointing a number needs reach over its old scope too
            authorise(principal, Capability.MANAGE_SCOPES, existing.scope_id)
        config = replace(config, scope_id=scope.id)
        tx.put_number(config, ctx.clock.now())
        tx.commit()
    return config


def get_number(ctx: Context, principal: Principal, number: str) -> NumberConfig:
    """One receiving number of the principal's group."""
    authorise(principal, Capability.VIEW)
    with ctx.store.transaction(write=False) as tx:
        return number_config(tx, principal, number_key(ctx, number))


def list_numbers(ctx: Context, principal: Principal) -> list[NumberConfig]:
    """The receiving numbers of the principal's group that map to a scope it may read."""
    authorise(principal, Capability.VIEW)
    with ctx.store.transaction(write=False) as tx:
        found = tx.list_numbers(principal.group_id)
    return [n for n in found if can_read_scope(principal, n.scope_id)]


def inbound_principal(ctx: Context, provider: str, to: str) -> Principal:
    """Who a verified provider webhook acts as: a sender of the number's group.

    Only for entrypoints that have already checked the provider's signature. A number never
    changes group, so its group is remembered and the next message to it opens no transaction
    here; the message's own transaction reads the number's current configuration (084).
    """
    key = number_key(ctx, to)
    groups = ctx.memo.inbound.groups
    group_id = groups.get(key)
    if group_id is None:
        with ctx.store.transaction(write=False) as tx:
            config = tx.get_number(key)
        if config is None:
            raise NumberNotFound(f"no receiving number {to!r} is configured", number=to)
        group_id = config.group_id
        _keep(groups, key, group_id)
    return Principal(Role.SENDER, group_id, f"webhook:{provider}", via_key=True)


def number_key(ctx: Context, value: str) -> str:
    """A number as stored: E.164 when it reads as a phone number, else as given.

    Remembered in the context's memo (a deployment has few receiving numbers and every webhook names
    one twice): parsing a phone number costs more than the rest of a STOP's lookups.
    """
    known = ctx.memo.number_keys.get(value)
    if known is not None:
        return known
    text = strip_prefix(limits.text(value, field="number", max_length=limits.NUMBER))
    if not text or len(text) > 64:
        raise Invalid("a receiving number or sender id needs 1 to 64 characters")
    try:
        key = ctx.addresses.mobile(text)
    except InvalidMobile:
        key = text
    ctx.memo.remember_number(value, key)
    return key


def number_config(
    tx: Tx, principal: Principal, key: str, view: ConfigView | None = None
) -> NumberConfig:
    """The receiving number ``key`` if it is the principal's group's and in its reach (from
    the memo through ``view`` when it was read at the transaction's version)."""
    config = tx.get_number(key) if view is None else view.number(tx, key)
    if (
        config is None
        or config.group_id != principal.group_id
        or not can_read_scope(principal, config.scope_id)
    ):
        raise NumberNotFound(f"no receiving number {key!r} is configured", number=key)
    return config


@dataclass(frozen=True, slots=True)
class ConfigView:
    """The memo's numbers and keyword sets as one transaction may use them: only those read
    at the configuration version it read (a change through any process's store writes a new
    version in the changing transaction, decision 084)."""

    memo: InboundMemo
    version: str | None

    def number(self, tx: Tx, key: str) -> NumberConfig | None:
        """The number's configuration as of this transaction."""
        kept = self.memo.numbers.get(key)
        if kept is not None and kept[0] == self.version:
            return kept[1]
        config = tx.get_number(key)  # read after the version: never older than it
        if config is not None:
            _keep(self.memo.numbers, key, (self.version, config))
        return config

    def keywords(self, tx: Tx, number: NumberConfig) -> KeywordSet:
        """The number's effective keyword set as of this transaction."""
        wanted = (number.group_id, number.keyword_set, number.languages, number.free_text)
        kept = self.memo.keyword_sets.get(wanted)
        if kept is not None and kept[0] == self.version:
            return kept[1]
        found = keyword_set_of(tx, *wanted[:3], free_text=number.free_text)
        _keep(self.memo.keyword_sets, wanted, (self.version, found))
        return found


def config_view(ctx: Context, tx: Tx) -> ConfigView:
    """The context's memo as of ``tx``'s configuration version (read now, first)."""
    return ConfigView(ctx.memo.inbound, tx.inbound_config_version())


def _keep(kept: dict[Any, Any], key: Any, value: Any) -> None:
    if len(kept) >= NUMBERS_KEPT:
        kept.clear()  # a deployment has few numbers: only a flood of made-up ones gets here
    kept[key] = value


def _channels(values: Sequence[str | Channel]) -> tuple[Channel, ...]:
    limits.items(values, field="channels", max_items=limits.MAX_CHANNELS)
    for value in values:
        limits.text(str(value), field="channels", max_length=limits.WORD)
    channels = tuple(dict.fromkeys(parse_channel(str(v)) for v in values))
    wrong = [c.value for c in channels if c not in INBOUND_CHANNELS]
    if not channels or wrong:
        allowed = ", ".join(c.value for c in INBOUND_CHANNELS)
        raise Invalid(f"a receiving number serves one or more of {allowed}", channels=wrong)
    return channels


def _languages(values: Sequence[str]) -> tuple[str, ...]:
    limits.texts(
        values, field="languages", max_items=limits.MAX_LANGUAGES, max_length=limits.LANGUAGE
    )
    chosen = tuple(dict.fromkeys(v.strip().lower() for v in values))
    unknown = [v for v in chosen if v not in DEFAULT_WORDS]
    if unknown:
        raise Invalid(f"no keywords for {', '.join(unknown)}", languages=unknown)
    return chosen or ("en",)


def _digit(value: str) -> str:
    digit = limits.text(value, field="unsubscribe_digit", max_length=limits.DIGITS).strip()
    if len(digit) != 1 or digit not in KEYPAD:
        raise Invalid("the unsubscribe digit is one key: 0-9, * or #", digit=value)
    return digit
