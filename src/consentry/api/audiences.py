"""Audiences for broadcasts (NDJSON stream) and campaign add checks (SPEC §5; seeds/001, 004).

``POST /v1/audiences/resolve`` streams one JSON object per line: every eligible contact
(``{"type": "contact", …}``), then one summary line with the counts excluded by reason
(``{"type": "summary", …}``). Memory stays flat whatever the audience's size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from json.encoder import encode_basestring_ascii as _text  # json.dumps's own

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from consentry.api.deps import SAFE_TO_RETRY, LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS
from consentry.api.schemas import AudienceIn
from consentry.core.eligibility import Reason
from consentry.core.errors import BatchTooLarge
from consentry.ledger import Audience

NDJSON = "application/x-ndjson"
_CONTACT = '{"type":"contact","contact_id":'
_REASON = {reason: f"{_text(reason.value)}}}" for reason in Reason}  # a line's end
MAX_CAMPAIGN = 10_000

router = APIRouter(tags=["audiences"], responses=COMMON_ERRORS)

_STREAM_DOC = {
    200: {
        "description": "NDJSON: one line per eligible contact "
        '(`{"type":"contact","contact_id","address","reason"}`), then one line '
        '`{"type":"summary","eligible","excluded":{reason: count},"unknown"}`.',
        "content": {NDJSON: {"schema": {"type": "string"}}},
    }
}


class CampaignRow(BaseModel):
    """One contact to add: allowed, or flagged with the reason it may not be sent to."""

    contact_id: str
    address: str | None
    allowed: bool
    flagged: bool
    reason: Reason


class CampaignCheck(BaseModel):
    """Every contact asked about, flagged ones included, and the totals."""

    contacts: list[CampaignRow]
    allowed: int
    flagged: int
    excluded: dict[str, int]
    unknown: int


@router.post(
    "/v1/audiences/resolve",
    response_class=StreamingResponse,
    responses=_STREAM_DOC,  # type: ignore[arg-type]
    dependencies=[SAFE_TO_RETRY],
)
def resolve_audience(
    body: AudienceIn, ledger: LedgerDep, principal: PrincipalDep
) -> StreamingResponse:
    """A segment, a channel and a sender scope → the eligible contacts, then the exclusions."""
    audience = ledger.resolve_audience(
        principal, body.segment.to_segment(), body.channel, body.scope, category=body.category
    )
    return StreamingResponse(_lines(audience), media_type=NDJSON)


def _lines(audience: Audience) -> Iterator[bytes]:
    """The NDJSON body, 1,000 contacts a chunk, then the summary line.

    Each contact's line is put together from its JSON-escaped strings: the very bytes of
    ``json.dumps`` of ``{"type", "contact_id", "address", "reason"}`` with compact separators,
    without a dict and an encoder run per contact (the stream's largest cost after the read).
    """
    batch: list[str] = []
    for contact_id, reason, address in audience:
        where = "null" if address is None else _text(address)
        batch.append(f'{_CONTACT}{_text(contact_id)},"address":{where},"reason":{_REASON[reason]}')
        if len(batch) >= 1000:
            yield ("\n".join(batch) + "\n").encode()
            batch = []
    if batch:
        yield ("\n".join(batch) + "\n").encode()
    summary = {
        "type": "summary",
        "eligible": audience.eligible_count,
        "excluded": {r.value: n for r, n in sorted(audience.excluded.items())},
        "unknown": audience.unknown,
    }
    yield (json.dumps(summary, separators=(",", ":")) + "\n").encode()


@router.post("/v1/campaigns/check", response_model=CampaignCheck, dependencies=[SAFE_TO_RETRY])
def check_campaign(body: AudienceIn, ledger: LedgerDep, principal: PrincipalDep) -> CampaignCheck:
    """Contacts to add to a campaign → each allowed, or flagged with its reason (seeds/004)."""
    audience = ledger.resolve_audience(
        principal, body.segment.to_segment(), body.channel, body.scope, category=body.category
    )
    rows: list[CampaignRow] = []
    for row in audience.all_rows():
        if len(rows) == MAX_CAMPAIGN:
            raise BatchTooLarge(
                f"a campaign check covers at most {MAX_CAMPAIGN:,} contacts; resolve an "
                "audience for more",
                limit=MAX_CAMPAIGN,
            )
        allowed = row.reason in (Reason.OPTED_IN, Reason.TRANSACTIONAL, Reason.OPT_IN_CONFIRMATION)
        rows.append(
            CampaignRow(
                contact_id=row.contact_id,
                address=row.address,
                allowed=allowed,
                flagged=not allowed,
                reason=row.reason,
            )
        )
    return CampaignCheck(
        contacts=rows,
        allowed=audience.eligible_count,
        flagged=sum(audience.excluded.values()),
        excluded={r.value: n for r, n in sorted(audience.excluded.items())},
        unknown=audience.unknown,
    )
