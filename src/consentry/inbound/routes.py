"""The inbound webhooks: verify the provider's signature, translate, call the ledger.

==================================  ==========================  ==============================
route                               format                      answer
==================================  ==========================  ==============================
POST /v1/inbound/twilio/messages    Twilio form (From, To,      empty TwiML ``<Response/>``:
                                    Body, MessageSid, NumMedia) replies go through the outbox
POST /v1/inbound/twilio/voice       Twilio form (CallSid,       TwiML ``<Say>`` + ``<Hangup/>``
                                    From, To, Digits, Direction) after an opt-out, else empty
POST /v1/inbound/messages           JSON, HMAC-SHA256 signed    the outcome as JSON
==================================  ==========================  ==============================

Refusals are raised, never formatted here: the app's one error map (``api/errors.py``,
decision 043) answers them with the API's status and body ``{"error": {"code", "message",
"details"}}``. A bad or missing signature is 403 ``signature_invalid``; an unconfigured receiving
number is 404 ``number_not_found`` (the provider's logs then show the misconfiguration).
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.concurrency import run_in_threadpool

from consentry.core import errors as e
from consentry.core import limits
from consentry.core.messaging import InboundOutcome
from consentry.inbound.signatures import verify_hmac, verify_twilio
from consentry.ledger import Ledger
from consentry.ledger.inbound_steps import InboundResult
from consentry.ledger.numbers import inbound_principal
from consentry.settings import Settings

MAX_BODY = 64 * 1024
TOLERANCE = 300
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


class GenericMessage(BaseModel):
    """A message (or keypress) from any provider, in Consentry's own JSON shape."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    type: Literal["message", "keypress"] = "message"
    provider: str = Field("generic", max_length=32)
    message_id: str | None = Field(None, max_length=200)
    call_id: str | None = Field(None, max_length=160)
    from_: str = Field(alias="from", max_length=64)
    to: str = Field(max_length=64)
    body: str = Field("", max_length=10_000)
    channel: str = Field("sms", max_length=limits.WORD)
    digits: str = Field("", max_length=32)
    received_at: AwareDatetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _limits(cls, data: Any) -> Any:
        """Each text within its limit and free of control characters, before pydantic (050)."""
        if isinstance(data, dict):
            for name, (longest, multiline) in GENERIC_TEXTS.items():
                value = data.get(name)
                if isinstance(value, str):
                    limits.text(value, field=name, max_length=longest, multiline=multiline)
        return data

    @model_validator(mode="after")
    def _in_range(self) -> GenericMessage:
        if self.received_at is not None:
            limits.instant(self.received_at, field="received_at")
        return self


#: The generic message's texts (by their JSON names): longest length, and line breaks allowed.
GENERIC_TEXTS = {
    "type": (limits.WORD, False),
    "provider": (limits.PROVIDER, False),
    "message_id": (limits.MESSAGE_ID, False),
    "call_id": (limits.CALL_ID, False),
    "from": (limits.NUMBER, False),
    "to": (limits.NUMBER, False),
    "body": (limits.MESSAGE_BODY, True),
    "channel": (limits.WORD, False),
    "digits": (limits.DIGITS, False),
}

#: The Twilio form fields we read: longest length, and line breaks allowed (a message's Body).
TWILIO_TEXTS = {
    "From": (limits.NUMBER, False),
    "To": (limits.NUMBER, False),
    "Body": (limits.MESSAGE_BODY, True),
    "MessageSid": (limits.MESSAGE_ID, False),
    "SmsMessageSid": (limits.MESSAGE_ID, False),
    "NumMedia": (limits.WORD, False),
    "CallSid": (limits.CALL_ID, False),
    "Digits": (limits.DIGITS, False),
    "Direction": (limits.WORD, False),
}


def twiml(say: str | None = None) -> Response:
    """A TwiML answer: empty, or a sentence spoken before hanging up."""
    text = EMPTY_TWIML
    if say:
        inner = f"<Say>{escape(say)}</Say><Hangup/>"
        text = f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'
    return Response(text, media_type="text/xml")


def public_url(settings: Settings, request: Request) -> str:
    """The URL the provider called: configured public base + the path and query we got."""
    base = (settings.inbound_url or settings.public_url).rstrip("/")
    query = request.url.query
    return base + request.url.path + (f"?{query}" if query else "")


async def read_body(
    request: Request, *, limit: int = MAX_BODY, what: str = "an inbound webhook body"
) -> bytes:
    """The request body, refused past ``limit`` bytes (declared or streamed)."""
    too_large = f"{what} is at most {limit} bytes"
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise e.PayloadTooLarge(too_large)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise e.PayloadTooLarge(too_large)
        chunks.append(chunk)
    return b"".join(chunks)


async def twilio_params(request: Request, settings: Settings) -> dict[str, str]:
    """The verified form parameters of a Twilio webhook (``x-www-form-urlencoded``)."""
    raw = await read_body(request)
    params = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
    signature = request.headers.get("x-twilio-signature")
    verify_twilio(settings.twilio_auth_tokens, public_url(settings, request), params, signature)
    form = dict(params)
    for name, (longest, multiline) in TWILIO_TEXTS.items():  # after the signature: it is Twilio
        if name in form:
            limits.text(form[name], field=name, max_length=longest, multiline=multiline)
    return form


def twilio_channel(sender: str, media: str) -> str:
    """The channel of a Twilio message: WhatsApp / RCS by address prefix, MMS with media."""
    prefix = sender.split(":", 1)[0].lower() if ":" in sender else ""
    if prefix in ("whatsapp", "rcs"):
        return prefix
    return "mms" if media.strip() not in ("", "0") else "sms"


def twilio_message(ledger: Ledger, p: dict[str, str]) -> InboundResult:
    """Hand a verified Twilio message to the ledger."""
    sender, to = p.get("From", ""), p.get("To", "")
    sid = p.get("MessageSid") or p.get("SmsMessageSid") or ""
    channel = twilio_channel(sender, p.get("NumMedia", "0"))
    principal = inbound_principal(ledger.context, "twilio", to)
    return ledger.receive_message(
        principal, "twilio", sid, sender, to, p.get("Body", ""), channel=channel
    )


def twilio_keypress(ledger: Ledger, p: dict[str, str]) -> InboundResult:
    """Hand a verified Twilio keypress to the ledger (outbound calls: the contact is To)."""
    outbound = p.get("Direction", "inbound").startswith("outbound")
    contact, ours = (p.get("To", ""), p.get("From", ""))
    if not outbound:
        contact, ours = ours, contact
    principal = inbound_principal(ledger.context, "twilio", ours)
    call = p.get("CallSid", "")
    return ledger.press_key(principal, "twilio", call, contact, ours, p.get("Digits", ""))


def generic_event(ledger: Ledger, m: GenericMessage) -> InboundResult:
    """Hand a verified generic message or keypress to the ledger."""
    principal = inbound_principal(ledger.context, m.provider, m.to)
    if m.type == "keypress":
        call = m.call_id or m.message_id or ""
        return ledger.press_key(
            principal, m.provider, call, m.from_, m.to, m.digits, received_at=m.received_at
        )
    return ledger.receive_message(
        principal, m.provider, m.message_id or "", m.from_, m.to, m.body, channel=m.channel,
        received_at=m.received_at,
    )  # fmt: skip


def result_json(result: InboundResult) -> dict[str, Any]:
    """The outcome of a generic webhook call."""
    return {
        "outcome": result.outcome.value,
        "rule": result.rule,
        "contact_id": result.contact_id,
        "event_ids": list(result.event_ids),
        "reply": result.reply,
        "replayed": result.replayed,
    }


#: The webhooks' refusal of a bad signature in the OpenAPI document, with the body of the app's
#: error map (its ``ErrorBody`` schema, which the API's routes put in the document).
SIGNATURE_REFUSED: dict[int | str, dict[str, Any]] = {
    403: {
        "description": "The provider's signature is missing, stale or does not match, or no "
        "secret is configured (`signature_invalid`).",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
}


def make_router(ledger: Ledger, settings: Settings) -> APIRouter:
    """The three inbound webhooks over one ledger."""
    router = APIRouter(prefix="/v1/inbound", tags=["inbound"], responses=SIGNATURE_REFUSED)

    @router.post("/twilio/messages", response_class=Response, summary="Twilio inbound SMS")
    async def twilio_messages(request: Request) -> Response:
        """A text message to one of our numbers (STOP, START, HELP…), signed by Twilio."""
        params = await twilio_params(request, settings)
        await run_in_threadpool(twilio_message, ledger, params)
        return twiml()

    @router.post("/twilio/voice", response_class=Response, summary="Twilio keypad")
    async def twilio_voice(request: Request) -> Response:
        """Keys pressed during a call (Twilio ``<Gather>`` action), signed by Twilio."""
        params = await twilio_params(request, settings)
        result = await run_in_threadpool(twilio_keypress, ledger, params)
        return twiml(result.reply if result.outcome is InboundOutcome.OPTED_OUT else None)

    @router.post("/messages", summary="Generic signed inbound message")
    async def generic_messages(request: Request) -> Response:
        """A message or keypress in Consentry's JSON shape, signed with HMAC-SHA256."""
        raw = await read_body(request)
        headers = request.headers
        verify_hmac(
            settings.inbound_secrets,
            headers.get("x-consentry-timestamp"),
            headers.get("x-consentry-signature"),
            raw,
            ledger.clock.now().timestamp(),
            TOLERANCE,
        )
        message = _parse(raw)
        result = await run_in_threadpool(generic_event, ledger, message)
        return JSONResponse(result_json(result))

    return router


def _parse(raw: bytes) -> GenericMessage:
    try:
        return GenericMessage.model_validate_json(raw)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in err["loc"]), "problem": err["msg"]}
            for err in exc.errors()
        ]
        raise e.Invalid("the inbound message is malformed", problems=problems) from None
