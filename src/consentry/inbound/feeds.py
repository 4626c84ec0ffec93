"""The deliverability feeds' webhooks: verify the provider, translate, call the ledger (074).

==========================================  ==========================  =====================
route                                       authenticated by            format
==========================================  ==========================  =====================
POST /v1/inbound/feeds/{group}/ses          SNS signature (RSA, X.509)  SNS JSON carrying an
                                            and the group's topic ARNs  SES notification
POST /v1/inbound/feeds/{group}/sendgrid     ECDSA P-256 signature       JSON array of events
POST /v1/inbound/feeds/{group}/postmark     HTTP Basic credentials      JSON, one record
POST /v1/inbound/feeds/{group}/twilio       X-Twilio-Signature          status callback form
==========================================  ==========================  =====================

The URL's ``{group}`` binds the feed to one group, whose configuration (``CONSENTRY_FEEDS_FILE``)
holds that feed's credentials: a group without it is 404 ``feed_not_found``, and one group's
credentials never write to another's contacts. A bad signature is 403 ``signature_invalid``,
before anything is read or written. Every report is acknowledged (200) with what it did —
unknown addresses and retries too — so a provider never retries one forever. An SNS
``SubscriptionConfirmation`` of a configured topic is logged with its SubscribeURL, never
fetched: the operator confirms the subscription.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from consentry.core import errors as e
from consentry.core import limits
from consentry.core.feeds import Feed, FeedConfig, FeedReport, FeedResult
from consentry.inbound import feed_formats as formats
from consentry.inbound.feed_signatures import (
    certificate_source,
    verify_basic,
    verify_sendgrid,
    verify_sns,
)
from consentry.inbound.routes import SIGNATURE_REFUSED, public_url, read_body
from consentry.inbound.signatures import verify_twilio
from consentry.ledger import Ledger
from consentry.ledger.feeds import feed_principal
from consentry.settings import Settings

log = logging.getLogger(__name__)

MAX_FEED_BODY = 1024 * 1024  #: a SendGrid batch is larger than an inbound message
TWILIO_TEXTS = ("MessageSid", "SmsSid", "MessageStatus", "SmsStatus", "ErrorCode", "To", "From")


async def feed_body(request: Request) -> bytes:
    """The request body, refused past ``MAX_FEED_BODY`` bytes (declared or streamed)."""
    return await read_body(request, limit=MAX_FEED_BODY, what="a feed's body")


def feed_of(settings: Settings, group: str, feed: Feed) -> FeedConfig:
    """The group's configuration of ``feed``, or 404 ``feed_not_found``."""
    group_id = limits.text(group, field="group", max_length=limits.SCOPE_ID).strip().lower()
    config = settings.feed_config(group_id)
    if config is None or not config.enabled(feed):
        raise e.FeedNotFound(
            f"no {feed.value} feed is configured for group {group_id!r}",
            group=group_id,
            feed=feed.value,
        )
    return config


def deliver(ledger: Ledger, feed: Feed, group_id: str, reports: Sequence[FeedReport]) -> Any:
    """Hand each verified report to the ledger; the counts by outcome, as JSON."""
    principal = feed_principal(group_id, feed)
    results: list[FeedResult] = [ledger.receive_feed_event(principal, r) for r in reports]
    outcomes = Counter(r.outcome.value for r in results if not r.replayed)
    return {
        "received": len(results),
        "replayed": sum(r.replayed for r in results),
        "outcomes": dict(sorted(outcomes.items())),
    }


def make_feeds_router(ledger: Ledger, settings: Settings) -> APIRouter:
    """The four deliverability feeds over one ledger."""
    router = APIRouter(prefix="/v1/inbound/feeds", tags=["inbound"], responses=SIGNATURE_REFUSED)
    certificates = certificate_source(settings.sns_certificates)

    @router.post("/{group}/ses", summary="Amazon SES notifications via SNS")
    async def ses(group: str, request: Request) -> JSONResponse:
        """SES bounce and complaint notifications delivered by an SNS subscription."""
        config = feed_of(settings, group, Feed.SES)
        sns = formats.sns_fields(formats.parse_json(await feed_body(request)))
        await run_in_threadpool(verify_sns, sns, certificates)
        if sns.get("TopicArn") not in config.ses_topic_arns:
            raise e.SignatureInvalid("the SNS topic is not configured for this group")
        if sns.get("Type") != "Notification":
            return JSONResponse(_subscription(config, sns))
        reports = formats.ses_reports(config.group_id, sns)
        return JSONResponse(
            await run_in_threadpool(deliver, ledger, Feed.SES, config.group_id, reports)
        )

    @router.post("/{group}/sendgrid", summary="SendGrid event webhook")
    async def sendgrid(group: str, request: Request) -> JSONResponse:
        """SendGrid's bounce, dropped and spam report events, ECDSA-signed."""
        config = feed_of(settings, group, Feed.SENDGRID)
        raw = await feed_body(request)
        headers = request.headers
        verify_sendgrid(
            config.sendgrid_public_keys,
            headers.get("x-twilio-email-event-webhook-signature"),
            headers.get("x-twilio-email-event-webhook-timestamp"),
            raw,
        )
        reports = formats.sendgrid_reports(config.group_id, formats.parse_json(raw))
        answer = await run_in_threadpool(deliver, ledger, Feed.SENDGRID, config.group_id, reports)
        return JSONResponse(answer)

    @router.post("/{group}/postmark", summary="Postmark bounce and spam complaint webhooks")
    async def postmark(group: str, request: Request) -> JSONResponse:
        """Postmark's bounce and spam complaint records, behind HTTP Basic credentials."""
        config = feed_of(settings, group, Feed.POSTMARK)
        verify_basic(config.postmark_credentials, request.headers.get("authorization"))
        raw = await feed_body(request)
        reports = formats.postmark_reports(config.group_id, formats.parse_json(raw))
        answer = await run_in_threadpool(deliver, ledger, Feed.POSTMARK, config.group_id, reports)
        return JSONResponse(answer)

    @router.post("/{group}/twilio", summary="Twilio message status callbacks")
    async def twilio(group: str, request: Request) -> JSONResponse:
        """Twilio's status callbacks: unreachable numbers and the carrier's STOP (21610)."""
        config = feed_of(settings, group, Feed.TWILIO)
        raw = await feed_body(request)
        params = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        signature = request.headers.get("x-twilio-signature")
        verify_twilio(settings.twilio_auth_tokens, public_url(settings, request), params, signature)
        form = dict(params)
        for name in TWILIO_TEXTS:  # after the signature: it is Twilio
            if name in form:
                limits.text(form[name], field=name, max_length=limits.MESSAGE_ID)
        reports = formats.twilio_reports(config.group_id, form)
        answer = await run_in_threadpool(deliver, ledger, Feed.TWILIO, config.group_id, reports)
        return JSONResponse(answer)

    return router


def _subscription(config: FeedConfig, sns: dict[str, str]) -> dict[str, Any]:
    """Log a (un)subscription of a configured topic for the operator; never fetch its URL."""
    log.warning(
        "SNS %s for group %s, topic %s: confirm it by opening %s",
        sns.get("Type"),
        config.group_id,
        sns.get("TopicArn"),
        sns.get("SubscribeURL"),
    )
    return {"type": sns.get("Type"), "topic": sns.get("TopicArn"), "confirmed": False}
