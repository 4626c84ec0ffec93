"""Keyword sets: the words a receiving number listens for, per group, set and language.

A set starts from the defaults for its languages; admins of the group add and remove words.
The FCC's per-se opt-out words (STOP, QUIT, END, …) cannot be removed: ``keyword_required``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from consentry.api.deps import IdempotencyDep, LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS, error_responses
from consentry.api.idempotency import in_one_transaction
from consentry.api.schemas import WORD, Checked, Counted, Strict
from consentry.core import limits
from consentry.core.keywords import ANY_LANGUAGE, LANGUAGES, KeywordKind, KeywordSet

router = APIRouter(prefix="/v1/keyword-sets", tags=["inbound"], responses=COMMON_ERRORS)
SetName = Annotated[str, Checked(limits.KEYWORD_SET, field="name")]
LANGUAGE = Field(
    default=ANY_LANGUAGE,
    min_length=1,
    max_length=8,
    description=f"One of {list(LANGUAGES)}, or `*` for every language.",
)


class WordIn(Strict):
    """A word (or phrase) to match as a kind, for one language or all (`*`)."""

    kind: Annotated[KeywordKind, WORD]
    word: Annotated[str, Checked(limits.KEYWORD)] = Field(
        min_length=1, max_length=200, examples=["ENOUGH"]
    )
    language: Annotated[str, Checked(limits.LANGUAGE)] = LANGUAGE


class KeywordSetOut(BaseModel):
    """The effective set: the defaults for its languages with the group's changes.

    ``words`` maps each kind to its normalised words and the language each belongs to.
    """

    name: str
    languages: list[str]
    free_text: bool
    words: dict[KeywordKind, dict[str, str]]

    @classmethod
    def of(cls, keywords: KeywordSet) -> KeywordSetOut:
        """The API shape of a keyword set."""
        return cls(
            name=keywords.name,
            languages=list(keywords.languages),
            free_text=keywords.free_text,
            words={kind: dict(sorted(words.items())) for kind, words in keywords.words.items()},
        )


@router.get("/{name}", response_model=KeywordSetOut)
def keyword_set(
    name: SetName,
    ledger: LedgerDep,
    principal: PrincipalDep,
    language: Annotated[
        list[Annotated[str, Checked(limits.LANGUAGE, field="language")]] | None,
        Query(max_length=16, description="Default: every language."),
        Counted(limits.MAX_LANGUAGES, field="language"),
    ] = None,
) -> KeywordSetOut:
    """The words a set matches, for the languages asked for."""
    return KeywordSetOut.of(
        ledger.keyword_set(principal, keyword_set=name, languages=language or LANGUAGES)
    )


@router.post("/{name}/words", response_model=KeywordSetOut, responses=error_responses(409))
def add_word(
    name: SetName, body: WordIn, principal: PrincipalDep, idem: IdempotencyDep
) -> Response:
    """Make a word match as a kind in the group's set (group admins)."""
    return idem.run(
        200,
        lambda ledger: KeywordSetOut.of(
            ledger.add_keyword(
                principal, body.kind, body.word, keyword_set=name, language=body.language
            )
        ),
    )


@router.delete("/{name}/words", response_model=KeywordSetOut, responses=error_responses(409))
def remove_word(
    name: SetName,
    ledger: LedgerDep,
    principal: PrincipalDep,
    kind: Annotated[KeywordKind, Checked(limits.WORD, field="kind")],
    word: Annotated[
        str, Query(min_length=1, max_length=200), Checked(limits.KEYWORD, field="word")
    ],
    language: Annotated[
        str, Query(min_length=1, max_length=8), Checked(limits.LANGUAGE, field="language")
    ] = ANY_LANGUAGE,
) -> Response:
    """Stop a word matching as a kind (group admins); STOP, QUIT, END, … stay (409)."""
    return in_one_transaction(
        ledger,
        principal,
        200,
        lambda led: KeywordSetOut.of(
            led.remove_keyword(principal, kind, word, keyword_set=name, language=language)
        ),
    )
