"""Receiving numbers: which scope a STOP sent to a number opts out of, and how it answers.

Admins configure a number at a scope within their reach; readers see the numbers of the scopes
they may read (docs/inbound.md).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from consentry.api.deps import LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS, error_responses
from consentry.api.idempotency import in_one_transaction
from consentry.api.schemas import SCOPE, WORD, Checked, Counted, ScopeText, Strict
from consentry.core import limits
from consentry.core.channels import Channel
from consentry.core.keywords import LANGUAGES
from consentry.core.messaging import NumberConfig
from consentry.core.permissions import Principal
from consentry.ledger import Ledger

router = APIRouter(prefix="/v1/numbers", tags=["inbound"], responses=COMMON_ERRORS)
TEXT = Field(default=None, max_length=1600, description="Empty: the default, in the language.")
ReplyText = Annotated[str | None, Checked(limits.REPLY_TEXT, multiline=True)]
Number = Annotated[str, Checked(limits.NUMBER, field="number")]


class NumberIn(Strict):
    """How a receiving number maps to a scope and answers keywords."""

    scope: ScopeText = SCOPE
    channels: Annotated[list[Annotated[Channel, WORD]], Counted(limits.MAX_CHANNELS)] = Field(
        default=[Channel.SMS], min_length=1, max_length=8
    )
    keyword_set: Annotated[str, Checked(limits.KEYWORD_SET)] = Field(
        default="default", min_length=1, max_length=64
    )
    languages: Annotated[
        list[Annotated[str, Checked(limits.LANGUAGE)]], Counted(limits.MAX_LANGUAGES)
    ] = Field(default=list(LANGUAGES), max_length=16)
    free_text: bool = Field(default=True, description="Also treat plain 'please stop' as STOP.")
    help_text: ReplyText = TEXT
    opt_out_text: ReplyText = TEXT
    opt_in_text: ReplyText = TEXT
    unsubscribe_digit: Annotated[str, Checked(limits.DIGITS)] = Field(
        default="9", min_length=1, max_length=1
    )


class NumberOut(BaseModel):
    """A configured receiving number (E.164, or a sender id as given)."""

    number: str
    scope_id: str
    channels: list[Channel]
    keyword_set: str
    languages: list[str]
    free_text: bool
    help_text: str
    opt_out_text: str
    opt_in_text: str
    unsubscribe_digit: str

    @classmethod
    def of(cls, config: NumberConfig) -> NumberOut:
        """The API shape of a number's configuration."""
        return cls(
            number=config.number,
            scope_id=config.scope_id,
            channels=list(config.channels),
            keyword_set=config.keyword_set,
            languages=list(config.languages),
            free_text=config.free_text,
            help_text=config.help_text,
            opt_out_text=config.opt_out_text,
            opt_in_text=config.opt_in_text,
            unsubscribe_digit=config.unsubscribe_digit,
        )


class NumberList(BaseModel):
    """The group's receiving numbers the key may see, by number."""

    numbers: list[NumberOut]


@router.get("", response_model=NumberList)
def list_numbers(ledger: LedgerDep, principal: PrincipalDep) -> NumberList:
    """The receiving numbers mapped to scopes the key may read."""
    return NumberList(numbers=[NumberOut.of(n) for n in ledger.list_numbers(principal)])


@router.put("/{number}", response_model=NumberOut, responses=error_responses(409))
def configure_number(
    number: Number, body: NumberIn, ledger: LedgerDep, principal: PrincipalDep
) -> Response:
    """Create or replace a number's configuration (admins, at a scope within reach)."""
    return in_one_transaction(
        ledger, principal, 200, lambda led: _configure(led, principal, number, body)
    )


def _configure(ledger: Ledger, principal: Principal, number: str, body: NumberIn) -> NumberOut:
    config = ledger.configure_number(
        principal,
        number,
        body.scope,
        channels=body.channels,
        keyword_set=body.keyword_set,
        languages=body.languages,
        help_text=body.help_text,
        opt_out_text=body.opt_out_text,
        opt_in_text=body.opt_in_text,
        unsubscribe_digit=body.unsubscribe_digit,
        free_text=body.free_text,
    )
    return NumberOut.of(config)


@router.get("/{number}", response_model=NumberOut)
def get_number(number: Number, ledger: LedgerDep, principal: PrincipalDep) -> NumberOut:
    """One receiving number (`number_not_found` when the key may not see it)."""
    return NumberOut.of(ledger.get_number(principal, number))
