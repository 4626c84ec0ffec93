"""The providers' formats, translated into ``FeedReport``s (decision 074). Nothing here verifies:
the route has checked the signature before it calls these.

======================  =====================================  ===========================
provider                report                                 kind
======================  =====================================  ===========================
SES (SNS Notification)  Bounce, bounceType Permanent           bounce, each bounced email
                        Bounce, Transient or Undetermined      ignored (recorded)
                        Complaint                              complaint, each complainant
SendGrid                bounce (type bounce)                   bounce
                        bounce (type blocked)                  ignored (recorded)
                        dropped, reason "Bounced Address"      bounce
                        spamreport                             complaint
Postmark                RecordType Bounce, Type HardBounce     bounce
                        RecordType Bounce, other Type          ignored (recorded)
                        RecordType SpamComplaint               complaint
Twilio status callback  undelivered/failed, ErrorCode 30005,   bounce on that number
                        30006, 21211, 21614
                        ErrorCode 21610                        sms_stop (the contact's STOP)
                        undelivered/failed, another code       ignored (recorded)
======================  =====================================  ===========================

Everything else (deliveries, opens, clicks, queued and sent statuses) is acknowledged and not
kept. The event ids: SNS MessageId, SendGrid sg_event_id, Postmark ID, Twilio MessageSid plus
the status.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from consentry.core import limits
from consentry.core.channels import Channel
from consentry.core.errors import Invalid
from consentry.core.feeds import MAX_REPORTS, Feed, FeedKind, FeedReport

#: Twilio errors meaning the number cannot receive messages (twilio.com/docs/api/errors/<code>):
#: 30005 unknown destination handset, 30006 landline or unreachable carrier, 21211 invalid
#: 'To' number, 21614 'To' is not a valid mobile number. 30003 (unreachable handset) is
#: usually temporary (a phone switched off), so it is ignored, as a transient bounce is.
TWILIO_UNREACHABLE = frozenset({"30005", "30006", "21211", "21614"})
TWILIO_STOPPED = "21610"  #: the recipient replied STOP: Twilio refuses to send to them
TWILIO_FAILED = frozenset({"undelivered", "failed"})
SENDGRID_BOUNCED_ADDRESS = "bounced address"


def parse_json(raw: bytes) -> Any:
    """The body as JSON, or ``invalid``."""
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Invalid("the feed's body is not JSON") from None


def sns_fields(data: Any) -> dict[str, str]:
    """An SNS message's top-level fields (strings only), each one line within its limit."""
    if not isinstance(data, dict):
        raise Invalid("an SNS message is a JSON object")
    fields = {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}
    for name, value in fields.items():
        if name != "Message":
            limits.text(value, field=name, max_length=limits.TOKEN)
    return fields


def ses_reports(group_id: str, sns: Mapping[str, str]) -> list[FeedReport]:
    """The bounced or complaining recipients of an SES notification carried by SNS."""
    message = parse_json(sns.get("Message", "").encode())
    if not isinstance(message, dict):
        raise Invalid("the SNS Message is not an SES notification")
    kind = message.get("notificationType") or message.get("eventType")
    event_id = sns.get("MessageId", "")
    if kind == "Bounce":
        bounce = _object(message.get("bounce"), "bounce")
        permanent = bounce.get("bounceType") == "Permanent"
        detail = f"{bounce.get('bounceType')}/{bounce.get('bounceSubType')}"[: limits.REASON]
        recipients = _list(bounce.get("bouncedRecipients"), "bouncedRecipients")
        feed_kind = FeedKind.BOUNCE if permanent else FeedKind.IGNORED
        when = bounce.get("timestamp")
    elif kind == "Complaint":
        complaint = _object(message.get("complaint"), "complaint")
        detail = str(complaint.get("complaintFeedbackType") or "complaint")[: limits.REASON]
        recipients = _list(complaint.get("complainedRecipients"), "complainedRecipients")
        feed_kind, when = FeedKind.COMPLAINT, complaint.get("timestamp")
    else:
        return []  # a delivery, a send, an open: nothing about consent
    return [
        FeedReport(
            feed=Feed.SES,
            group_id=group_id,
            event_id=event_id,
            kind=feed_kind,
            channel=Channel.EMAIL,
            address=_text(_object(r, "recipient").get("emailAddress")),
            occurred_at=_instant(when),
            detail=detail,
            evidence={"type": detail},
        )
        for r in recipients
    ]


def sendgrid_reports(group_id: str, data: Any) -> list[FeedReport]:
    """The bounces and spam reports of a SendGrid event webhook's batch."""
    events = _list(data, "events")
    reports = []
    for item in events:
        event = _object(item, "event")
        kind = _sendgrid_kind(event)
        if kind is None:
            continue
        detail = str(event.get("type") or event.get("event"))[: limits.REASON]
        reports.append(
            FeedReport(
                feed=Feed.SENDGRID,
                group_id=group_id,
                event_id=_text(event.get("sg_event_id")),
                kind=kind,
                channel=Channel.EMAIL,
                address=_text(event.get("email")),
                occurred_at=_unix(event.get("timestamp")),
                detail=detail,
                evidence={"event": _text(event.get("event")), "type": detail},
            )
        )
    return reports


def _sendgrid_kind(event: Mapping[str, Any]) -> FeedKind | None:
    name = event.get("event")
    if name == "bounce":
        return FeedKind.IGNORED if event.get("type") == "blocked" else FeedKind.BOUNCE
    if name == "dropped":
        reason = str(event.get("reason", "")).strip().lower()
        return FeedKind.BOUNCE if reason == SENDGRID_BOUNCED_ADDRESS else None
    if name == "spamreport":
        return FeedKind.COMPLAINT
    return None


def postmark_reports(group_id: str, data: Any) -> list[FeedReport]:
    """A Postmark bounce or spam-complaint webhook's one record."""
    record = _object(data, "record")
    record_type = record.get("RecordType")
    if record_type == "Bounce":
        hard = record.get("Type") == "HardBounce"
        kind = FeedKind.BOUNCE if hard else FeedKind.IGNORED
    elif record_type == "SpamComplaint":
        kind = FeedKind.COMPLAINT
    else:
        return []
    detail = _text(record.get("Type") or record_type)[: limits.REASON]
    report = FeedReport(
        feed=Feed.POSTMARK, group_id=group_id, event_id=_text(record.get("ID")), kind=kind,
        channel=Channel.EMAIL, address=_text(record.get("Email")),
        occurred_at=_instant(record.get("BouncedAt")), detail=detail,
        evidence={"type": detail, "message_stream": _text(record.get("MessageStream"))},
    )  # fmt: skip
    return [report]


def twilio_reports(group_id: str, form: Mapping[str, str]) -> list[FeedReport]:
    """A Twilio message status callback: a failure that says the number is gone, or a STOP."""
    status = form.get("MessageStatus") or form.get("SmsStatus") or ""
    code = form.get("ErrorCode", "").strip()
    if status not in TWILIO_FAILED:
        return []
    if code == TWILIO_STOPPED:
        kind = FeedKind.SMS_STOP
    elif code in TWILIO_UNREACHABLE:
        kind = FeedKind.BOUNCE
    else:
        kind = FeedKind.IGNORED
    to = form.get("To", "")
    channel = Channel.WHATSAPP if to.lower().startswith("whatsapp:") else Channel.SMS
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    detail = f"{status}:{code or '-'}"
    report = FeedReport(
        feed=Feed.TWILIO, group_id=group_id, event_id=f"{sid}:{status}" if sid else "",
        kind=kind, channel=channel, address=to, detail=detail,
        evidence={"status": status, "error_code": code or None},
    )  # fmt: skip
    return [report]


# ── small readers: every value checked before it reaches a report (decision 050) ──
def _object(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(f"the feed's {field} must be a JSON object", field=field)
    return value


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise Invalid(f"the feed's {field} must be a JSON array", field=field)
    limits.items(value, field=field, max_items=MAX_REPORTS)
    return value


def _text(value: Any) -> str:
    """A scalar as one line of text (a number as its digits); "" when absent."""
    if value is None or isinstance(value, bool):
        return ""
    if not isinstance(value, str | int):
        raise Invalid("a feed's ids and addresses are strings or numbers")
    return str(value)


def _instant(value: Any) -> datetime | None:
    """An ISO 8601 time, or None when absent or unreadable (the claim's time is used)."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _unix(value: Any) -> datetime | None:
    """Unix seconds, or None when absent or out of range."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 253402300800:
        return None
    return datetime.fromtimestamp(value, UTC)
