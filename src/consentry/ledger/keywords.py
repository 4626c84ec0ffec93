"""Keyword sets: the words that opt out, opt in and ask for help, per group (SPEC §4).

A number's keyword set is the group's named set: the defaults for the number's languages, plus
the words the group added and minus those it removed. The FCC's per-se opt-out words cannot be
removed (``core.keywords.refuse_required``).
"""

from __future__ import annotations

from collections.abc import Iterable

from consentry.core import limits
from consentry.core.errors import Invalid
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
from consentry.core.messaging import KeywordChange, KeywordOp
from consentry.core.permissions import Capability, Principal, authorise
from consentry.ledger.context import Context
from consentry.ledger.ports import Tx


def add_keyword(
    ctx: Context,
    principal: Principal,
    kind: str | KeywordKind,
    word: str,
    *,
    keyword_set: str = "default",
    language: str = ANY_LANGUAGE,
) -> KeywordSet:
    """Make a word match as ``kind`` in a keyword set of the group (group admins)."""
    return _change_keyword(ctx, principal, kind, word, keyword_set, language, KeywordOp.ADD)


def remove_keyword(
    ctx: Context,
    principal: Principal,
    kind: str | KeywordKind,
    word: str,
    *,
    keyword_set: str = "default",
    language: str = ANY_LANGUAGE,
) -> KeywordSet:
    """Stop a word matching as ``kind``; the FCC's per-se opt-out words stay."""
    refuse_required(_kind(kind), word)
    return _change_keyword(ctx, principal, kind, word, keyword_set, language, KeywordOp.REMOVE)


def keyword_set(
    ctx: Context,
    principal: Principal,
    *,
    keyword_set: str = "default",
    languages: Iterable[str] = LANGUAGES,
) -> KeywordSet:
    """The effective keyword set: the defaults for the languages, with the group's changes."""
    authorise(principal, Capability.VIEW)
    chosen = tuple(languages)
    limits.texts(
        chosen, field="language", max_items=limits.MAX_LANGUAGES, max_length=limits.LANGUAGE
    )
    with ctx.store.transaction(write=False) as tx:
        return keyword_set_of(tx, principal.group_id, keyword_set_name(keyword_set), chosen)


def _change_keyword(
    ctx: Context,
    principal: Principal,
    kind: str | KeywordKind,
    word: str,
    set_name: str,
    language: str,
    op: KeywordOp,
) -> KeywordSet:
    authorise(principal, Capability.MANAGE_SCOPES, principal.group_id)
    limits.text(word, field="word", max_length=limits.KEYWORD)
    phrase = normalise(word)
    if not phrase or len(phrase) > 100:
        raise Invalid("a keyword needs 1 to 100 letters or digits", word=word)
    lang = _language(language)
    change = KeywordChange(keyword_set_name(set_name), _kind(kind), lang, phrase, op)
    with ctx.store.transaction() as tx:
        tx.put_keyword_change(principal.group_id, change, ctx.clock.now())
        tx.commit()
    return keyword_set(ctx, principal, keyword_set=change.name)


def keyword_set_of(
    tx: Tx, group_id: str, name: str, languages: tuple[str, ...], *, free_text: bool = True
) -> KeywordSet:
    """The group's set ``name``: the defaults for ``languages`` with the group's changes."""
    keywords = default_keywords(languages, name, free_text)
    for change in tx.keyword_changes(group_id, name):
        if change.language not in (ANY_LANGUAGE, *keywords.languages):
            continue
        if change.op is KeywordOp.ADD:
            keywords = keywords.adding(change.kind, change.word, change.language)
        else:
            keywords = keywords.removing(change.kind, change.word)
    return keywords


def _language(value: str) -> str:
    lang = limits.text(value, field="language", max_length=limits.LANGUAGE).strip().lower()
    if lang != ANY_LANGUAGE and lang not in DEFAULT_WORDS:
        raise Invalid(f"unknown language {value!r}", language=value)
    return lang


def _kind(value: str | KeywordKind) -> KeywordKind:
    limits.text(str(value), field="kind", max_length=limits.WORD)
    try:
        return KeywordKind(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(k.value for k in KeywordKind)
        raise Invalid(f"unknown keyword kind {value!r}; use one of {allowed}") from None


def keyword_set_name(value: str) -> str:
    """A keyword set's name as stored: trimmed, lower case, 1 to 64 characters."""
    name = limits.text(value, field="keyword_set", max_length=limits.KEYWORD_SET).strip().lower()
    if not name or len(name) > 64:
        raise Invalid("a keyword set name needs 1 to 64 characters")
    return name
