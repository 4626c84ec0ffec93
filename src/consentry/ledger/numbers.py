"""Receiving numbers, keyword sets and the outbox: the configuration of inbound messaging.

A receiving number (a long code, short code, WhatsApp sender or alphanumeric sender id) belongs
to one group and maps to one scope: a STOP sent to it opts the contact out at that scope. Its
keyword set is the group's named set (the defaults for its languages, plus words added and
minus words removed), and it carries its own HELP, opt-out and opt-in reply texts and the
keypad digit that unsubscribes from calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from consentry.core.channels import Channel, parse_channel
from consentry.core.errors import Conflict, Invalid, InvalidMobile, NumberNotFound
from consentry.core.keywords import (
    ANY_LANGUAGE,
    DEFAULT_WORDS,
    LANGUAGES,
    KeywordKind,
    KeywordSet,
    default_keywords,
    normalise,
    refuse_required,
)
from consentry.core.messaging import KeywordChange, KeywordOp, NumberConfig, OutboxItem
from consentry.core.permissions import Capability, Principal, Role, authorise, can_read_scope
from consentry.ledger.base import LedgerBase
from consentry.ledger.ports import Tx

MESSAGING = (Channel.SMS, Channel.MMS, Channel.RCS, Channel.WHATSAPP)
INBOUND_CHANNELS = (*MESSAGING, Channel.VOICE)
KEYPAD = frozenset("0123456789*#")
PREFIXES = ("whatsapp:", "rcs:", "sms:", "mms:", "tel:")
NUMBER_KEYS_KEPT = 4096  # remembered spellings of receiving numbers (``number_key``)


def strip_prefix(value: str) -> str:
    """A provider address without its channel prefix (``whatsapp:+44…`` → ``+44…``)."""
    text = value.strip()
    for prefix in PREFIXES:
        if text.lower().startswith(prefix):
            return text[len(prefix) :].strip()
    return text


class NumberCommands(LedgerBase):
    """Configure receiving numbers and keyword sets; read and acknowledge the outbox."""

    # ── numbers ──
    def configure_number(
        self,
        principal: Principal,
        number: str,
        scope_id: str,
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
        config = NumberConfig(
            number=self.number_key(number),
            group_id=principal.group_id,
            scope_id=scope_id,
            channels=_channels(channels),
            keyword_set=_name(keyword_set),
            languages=_languages(languages),
            free_text=free_text,
            help_text=(help_text or "").strip(),  # empty: the default in the contact's language
            opt_out_text=(opt_out_text or "").strip(),
            opt_in_text=(opt_in_text or "").strip(),
            unsubscribe_digit=_digit(unsubscribe_digit),
        )
        with self.store.transaction() as tx:
            scope = self._scope(tx, principal, scope_id)
            authorise(principal, Capability.MANAGE_SCOPES, scope.id)
            existing = tx.get_number(config.number)
            if existing is not None and existing.group_id != principal.group_id:
                raise Conflict("that number is configured by another group", number=number)
            if existing is not None:  # re-pointing a number needs reach over its old scope too
                authorise(principal, Capability.MANAGE_SCOPES, existing.scope_id)
            config = replace(config, scope_id=scope.id)
            tx.put_number(config, self.clock.now())
            tx.commit()
        return config

    def get_number(self, principal: Principal, number: str) -> NumberConfig:
        """One receiving number of the principal's group."""
        authorise(principal, Capability.VIEW)
        with self.store.transaction(write=False) as tx:
            return self._number_config(tx, principal, self.number_key(number))

    def list_numbers(self, principal: Principal) -> list[NumberConfig]:
        """The receiving numbers of the principal's group that map to a scope it may read."""
        authorise(principal, Capability.VIEW)
        with self.store.transaction(write=False) as tx:
            found = tx.list_numbers(principal.group_id)
        return [n for n in found if can_read_scope(principal, n.scope_id)]

    def inbound_principal(self, provider: str, to: str) -> Principal:
        """Who a verified provider webhook acts as: a sender of the number's group.

        Only for entrypoints that have already checked the provider's signature.
        """
        with self.store.transaction(write=False) as tx:
            config = tx.get_number(self.number_key(to))
        if config is None:
            raise NumberNotFound(f"no receiving number {to!r} is configured", number=to)
        return Principal(Role.SENDER, config.group_id, f"webhook:{provider}", via_key=True)

    def number_key(self, value: str) -> str:
        """A number as stored: E.164 when it reads as a phone number, else as given.

        Remembered per ledger (a deployment has few receiving numbers and every webhook names
        one twice): parsing a phone number costs more than the rest of a STOP's lookups.
        """
        known = self._number_keys.get(value)
        if known is not None:
            return known
        text = strip_prefix(value)
        if not text or len(text) > 64:
            raise Invalid("a receiving number or sender id needs 1 to 64 characters")
        try:
            key = self.addresses.mobile(text)
        except InvalidMobile:
            key = text
        if len(self._number_keys) >= NUMBER_KEYS_KEPT:
            self._number_keys.clear()
        self._number_keys[value] = key
        return key

    # ── keyword sets ──
    def add_keyword(
        self,
        principal: Principal,
        kind: str | KeywordKind,
        word: str,
        keyword_set: str = "default",
        language: str = ANY_LANGUAGE,
    ) -> KeywordSet:
        """Make a word match as ``kind`` in a keyword set of the group (group admins)."""
        return self._change_keyword(principal, kind, word, keyword_set, language, KeywordOp.ADD)

    def remove_keyword(
        self,
        principal: Principal,
        kind: str | KeywordKind,
        word: str,
        keyword_set: str = "default",
        language: str = ANY_LANGUAGE,
    ) -> KeywordSet:
        """Stop a word matching as ``kind``; the FCC's per-se opt-out words stay."""
        refuse_required(_kind(kind), word)
        return self._change_keyword(principal, kind, word, keyword_set, language, KeywordOp.REMOVE)

    def keyword_set(
        self,
        principal: Principal,
        keyword_set: str = "default",
        languages: Iterable[str] = LANGUAGES,
    ) -> KeywordSet:
        """The effective keyword set: the defaults for the languages, with the group's changes."""
        authorise(principal, Capability.VIEW)
        with self.store.transaction(write=False) as tx:
            return self._keyword_set_of(
                tx, principal.group_id, _name(keyword_set), tuple(languages)
            )

    def _change_keyword(
        self,
        principal: Principal,
        kind: str | KeywordKind,
        word: str,
        keyword_set: str,
        language: str,
        op: KeywordOp,
    ) -> KeywordSet:
        authorise(principal, Capability.MANAGE_SCOPES, principal.group_id)
        phrase = normalise(word)
        if not phrase or len(phrase) > 100:
            raise Invalid("a keyword needs 1 to 100 letters or digits", word=word)
        lang = _language(language)
        change = KeywordChange(_name(keyword_set), _kind(kind), lang, phrase, op)
        with self.store.transaction() as tx:
            tx.put_keyword_change(principal.group_id, change, self.clock.now())
            tx.commit()
        return self.keyword_set(principal, change.name)

    def _keyword_set_of(
        self, tx: Tx, group_id: str, name: str, languages: tuple[str, ...], free_text: bool = True
    ) -> KeywordSet:
        keywords = default_keywords(languages, name, free_text)
        for change in tx.keyword_changes(group_id, name):
            if change.language not in (ANY_LANGUAGE, *keywords.languages):
                continue
            if change.op is KeywordOp.ADD:
                keywords = keywords.adding(change.kind, change.word, change.language)
            else:
                keywords = keywords.removing(change.kind, change.word)
        return keywords

    def _number_config(self, tx: Tx, principal: Principal, key: str) -> NumberConfig:
        config = tx.get_number(key)
        if (
            config is None
            or config.group_id != principal.group_id
            or not can_read_scope(principal, config.scope_id)
        ):
            raise NumberNotFound(f"no receiving number {key!r} is configured", number=key)
        return config

    # ── outbox ──
    def list_outbox(
        self,
        principal: Principal,
        pending_only: bool = True,
        limit: int = 100,
        after: str | None = None,
    ) -> list[OutboxItem]:
        """Messages waiting in the group's outbox, oldest first (the sending service reads these).

        ``after`` is the id of the last item of the previous page. The outbox is the group's,
        not a client's, so it needs a key bound to the group.
        """
        authorise(principal, Capability.REPORT_DELIVERY, principal.group_id)
        with self.store.transaction(write=False) as tx:
            return tx.list_outbox(principal.group_id, pending_only, max(1, min(limit, 1000)), after)

    def mark_sent(self, principal: Principal, outbox_id: str) -> bool:
        """Record that the sending service sent one message; False if unknown or already sent."""
        authorise(principal, Capability.REPORT_DELIVERY, principal.group_id)
        with self.store.transaction() as tx:
            done = tx.mark_sent(principal.group_id, outbox_id, self.clock.now())
            tx.commit()
        return done


def _channels(values: Sequence[str | Channel]) -> tuple[Channel, ...]:
    channels = tuple(dict.fromkeys(parse_channel(str(v)) for v in values))
    wrong = [c.value for c in channels if c not in INBOUND_CHANNELS]
    if not channels or wrong:
        allowed = ", ".join(c.value for c in INBOUND_CHANNELS)
        raise Invalid(f"a receiving number serves one or more of {allowed}", channels=wrong)
    return channels


def _languages(values: Sequence[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(v.strip().lower() for v in values))
    unknown = [v for v in chosen if v not in DEFAULT_WORDS]
    if unknown:
        raise Invalid(f"no keywords for {', '.join(unknown)}", languages=unknown)
    return chosen or ("en",)


def _language(value: str) -> str:
    lang = value.strip().lower()
    if lang != ANY_LANGUAGE and lang not in DEFAULT_WORDS:
        raise Invalid(f"unknown language {value!r}", language=value)
    return lang


def _kind(value: str | KeywordKind) -> KeywordKind:
    try:
        return KeywordKind(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(k.value for k in KeywordKind)
        raise Invalid(f"unknown keyword kind {value!r}; use one of {allowed}") from None


def _name(value: str) -> str:
    name = value.strip().lower()
    if not name or len(name) > 64:
        raise Invalid("a keyword set name needs 1 to 64 characters")
    return name


def _digit(value: str) -> str:
    digit = value.strip()
    if len(digit) != 1 or digit not in KEYPAD:
        raise Invalid("the unsubscribe digit is one key: 0-9, * or #", digit=value)
    return digit
