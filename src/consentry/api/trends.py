"""Trends: subscribed and unsubscribed totals per channel at a scope and below, the change against
last month, a daily series and the spikes in unsubscribes (seeds/002; docs/decisions/066).

The same numbers as the staff app's Trends page, from the same use case (``Ledger.trends``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from consentry.api.deps import LedgerDep, PrincipalDep
from consentry.api.errors import COMMON_ERRORS
from consentry.api.schemas import Checked
from consentry.core import limits
from consentry.core.channels import Channel
from consentry.core.trends import MAX_DAYS, ChannelTrend, Direction, Spike, TrendDay, Trends, Versus

router = APIRouter(prefix="/v1/trends", tags=["trends"], responses=COMMON_ERRORS)


class TotalOut(BaseModel):
    """A total now against the end of last month (UTC)."""

    now: int
    last_month: int = Field(description="The total at the end of last month.")
    change_percent: float | None = Field(
        description="(now - last_month) / last_month x 100, one decimal; null when new "
        "(nothing at the end of last month)."
    )
    direction: Direction

    @classmethod
    def of(cls, total: Versus) -> TotalOut:
        """The API shape of a total against last month."""
        percent = total.percent
        return cls(
            now=total.now,
            last_month=total.then,
            change_percent=None if percent is None else float(percent),
            direction=total.direction,
        )


class DayOut(BaseModel):
    """One UTC day: the totals at its end, and its opt-out events."""

    day: date
    subscribed: int
    unsubscribed: int
    opt_outs: int

    @classmethod
    def of(cls, day: TrendDay) -> DayOut:
        """The API shape of a day of the series."""
        return cls(
            day=day.day,
            subscribed=day.subscribed,
            unsubscribed=day.unsubscribed,
            opt_outs=day.opt_outs,
        )


class SpikeOut(BaseModel):
    """A day whose opt-outs were more than 3 x the median of the 28 days before, and ≥ 10."""

    day: date
    opt_outs: int
    usual: float = Field(description="The median of the 28 days before.")

    @classmethod
    def of(cls, spike: Spike) -> SpikeOut:
        """The API shape of a spike."""
        return cls(day=spike.day, opt_outs=spike.opt_outs, usual=spike.usual)


class ChannelTrendOut(BaseModel):
    """One channel's subscriptions at the scope and below."""

    channel: Channel
    subscribed: TotalOut
    unsubscribed: TotalOut
    series: list[DayOut] = Field(description="The last `days` days, oldest first.")
    spikes: list[SpikeOut] = Field(description="The spikes among the series' days.")
    recent_spikes: list[SpikeOut] = Field(description="The spikes of the last 7 days.")

    @classmethod
    def of(cls, trend: ChannelTrend) -> ChannelTrendOut:
        """The API shape of one channel's trend."""
        return cls(
            channel=trend.channel,
            subscribed=TotalOut.of(trend.subscribed),
            unsubscribed=TotalOut.of(trend.unsubscribed),
            series=[DayOut.of(d) for d in trend.series],
            spikes=[SpikeOut.of(s) for s in trend.spikes],
            recent_spikes=[SpikeOut.of(s) for s in trend.recent_spikes],
        )


class TrendsOut(BaseModel):
    """Subscriptions (contact x channel x scope) at the scope and below, per channel."""

    scope_id: str
    today: date = Field(description="The last day of the series (UTC).")
    days: int
    channels: list[ChannelTrendOut]

    @classmethod
    def of(cls, found: Trends) -> TrendsOut:
        """The API shape of the trends."""
        return cls(
            scope_id=found.scope_id,
            today=found.today,
            days=found.days,
            channels=[ChannelTrendOut.of(c) for c in found.channels],
        )


@router.get("", response_model=TrendsOut)
def trends(
    ledger: LedgerDep,
    principal: PrincipalDep,
    scope: Annotated[
        str | None,
        Query(max_length=limits.SCOPE_ID, description="A scope at or below the key's (default)."),
        Checked(limits.SCOPE_ID, field="scope"),
    ] = None,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="Days in the series.")] = 90,
) -> TrendsOut:
    """Subscribed and unsubscribed totals per channel, against last month, by day, and spikes."""
    return TrendsOut.of(ledger.trends(principal, scope_id=scope, days=days))
