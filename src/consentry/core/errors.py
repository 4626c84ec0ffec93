"""Refusals: every command Consentry will not carry out raises one of these.

Answers are values (an eligibility check that says "no" returns a ``Decision``); a refused
*command* is an exception. Every class carries a stable ``code`` that programs act on; the
codes are listed in ``docs/errors.md`` and never renamed (add, never rename or remove).

::

    ConsentryError                         code
    ├── NotFound                           not_found
    │   ├── ContactNotFound                contact_not_found
    │   ├── ScopeNotFound                  scope_not_found
    │   ├── EventNotFound                  event_not_found
    │   ├── ApiKeyNotFound                 api_key_not_found
    │   ├── NumberNotFound                 number_not_found
    │   ├── UserNotFound                   user_not_found
    │   ├── EvidenceFileNotFound           evidence_file_not_found
    │   └── WebhookNotFound                webhook_not_found
    ├── Invalid                            invalid
    │   ├── InvalidEmail                   invalid_email
    │   ├── InvalidMobile                  invalid_mobile
    │   ├── InvalidChannel                 invalid_channel
    │   ├── InvalidScope                   invalid_scope
    │   ├── InvalidEvidence                invalid_evidence
    │   ├── InvalidTransition              invalid_transition
    │   ├── BatchTooLarge                  batch_too_large
    │   ├── InvalidText                    invalid_text
    │   ├── TextTooLong                    text_too_long
    │   ├── InvalidTime                    invalid_time
    │   ├── InvalidAttributes              invalid_attributes
    │   ├── TooManyItems                   too_many_items
    │   ├── InvalidSource                  invalid_source
    │   ├── WeakPassword                   weak_password
    │   ├── InvalidWebhookUrl              invalid_webhook_url
    │   │   └── WebhookUrlNotPublic        webhook_url_not_public
    │   └── InvalidEventType               invalid_event_type
    ├── Conflict                           conflict
    │   ├── ContactExists                  contact_exists
    │   ├── ScopeExists                    scope_exists
    │   ├── ContactErased                  contact_erased
    │   ├── IdempotencyConflict            idempotency_conflict
    │   ├── IdempotencyInProgress          idempotency_in_progress
    │   ├── NotSuppressed                  not_suppressed
    │   ├── NoAddress                      no_address
    │   ├── UserExists                     user_exists
    │   └── SendConflict                   send_conflict
    ├── Refused                            refused
    │   ├── EvidenceRequired               evidence_required
    │   ├── HardOptOutLocked               hard_opt_out_locked
    │   ├── OptedOut                       opted_out
    │   ├── ReasonRequired                 reason_required
    │   ├── Forbidden                      forbidden
    │   │   └── SignatureInvalid           signature_invalid
    │   ├── OutOfScope                     out_of_scope
    │   └── KeywordRequired                keyword_required
    ├── LinkInvalid                        link_invalid
    ├── LinkExpired                        link_expired
    ├── Unavailable                        unavailable
    ├── LedgerTampered                     ledger_tampered
    │   └── EvidenceFileAltered            evidence_file_altered
    ├── Unauthenticated                    unauthenticated
    ├── SignInFailed                       sign_in_failed
    ├── SignInRateLimited                  sign_in_rate_limited
    ├── MethodNotAllowed                   method_not_allowed
    ├── PayloadTooLarge                    payload_too_large
    │   └── EvidenceFileTooLarge           evidence_file_too_large
    ├── InternalError                      internal_error
    ├── SecretsMissing                     secrets_missing
    │   └── SecretsInDatabase              secrets_in_database
    └── SecretsMismatch                    secrets_mismatch
"""

from __future__ import annotations

from typing import Any, ClassVar


class ConsentryError(Exception):
    """Base of every refusal; ``code`` is stable and documented."""

    code: ClassVar[str] = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class NotFound(ConsentryError):
    """The thing named does not exist, or is not visible to the caller's group."""

    code = "not_found"


class ContactNotFound(NotFound):
    """No contact with that id, email or mobile in the caller's group."""

    code = "contact_not_found"


class ScopeNotFound(NotFound):
    """No scope with that id in the caller's group."""

    code = "scope_not_found"


class EventNotFound(NotFound):
    """No ledger event with that id."""

    code = "event_not_found"


class Invalid(ConsentryError):
    """The input is malformed; nothing was written."""

    code = "invalid"


class InvalidEmail(Invalid):
    """The email address is not a valid address."""

    code = "invalid_email"


class InvalidMobile(Invalid):
    """The mobile number cannot be read as a possible phone number."""

    code = "invalid_mobile"


class InvalidChannel(Invalid):
    """The channel is not one of the eight channels, or not enabled in this deployment."""

    code = "invalid_channel"


class InvalidScope(Invalid):
    """A scope id is malformed, or its parent is of the wrong kind."""

    code = "invalid_scope"


class InvalidEvidence(Invalid):
    """The evidence given cannot be stored (not a mapping of JSON, NaN, too deep, too large)."""

    code = "invalid_evidence"


class InvalidTransition(Invalid):
    """The command does not apply to the current status (e.g. re-subscribe someone opted in)."""

    code = "invalid_transition"


class Conflict(ConsentryError):
    """The command clashes with what is already stored."""

    code = "conflict"


class ContactExists(Conflict):
    """Another contact in the group already has that email address or mobile number."""

    code = "contact_exists"


class ScopeExists(Conflict):
    """A scope with that id already exists."""

    code = "scope_exists"


class ContactErased(Conflict):
    """The contact's personal data was erased; the address stays suppressed."""

    code = "contact_erased"


class Refused(ConsentryError):
    """A consent rule forbids this change."""

    code = "refused"


class EvidenceRequired(Refused):
    """Staff or admin opt-in without evidence of written permission (seeds/000)."""

    code = "evidence_required"


class HardOptOutLocked(Refused):
    """Only the contact can reverse their own opt-out (seeds/001, 002)."""

    code = "hard_opt_out_locked"


class OptInRequestTooSoon(Refused):
    """An opt-in request went to the contact on that channel too recently (decision 064)."""

    code = "opt_in_request_too_soon"


class OptedOut(Refused):
    """The contact opted out; signing up again needs their confirmed opt-back-in (seeds/003)."""

    code = "opted_out"


class ReasonRequired(Refused):
    """Re-subscribing needs a reason: mistaken unsubscribe, or the contact asked (seeds/002)."""

    code = "reason_required"


class Forbidden(Refused):
    """The caller's role may not do this at all (e.g. staff changing subscription status)."""

    code = "forbidden"


class OutOfScope(Refused):
    """The caller's role may do this, but not at that scope (seeds/004)."""

    code = "out_of_scope"


class LinkInvalid(ConsentryError):
    """A signed link was altered, or signed with an unknown key."""

    code = "link_invalid"


class LinkExpired(ConsentryError):
    """A signed link is genuine but past its expiry."""

    code = "link_expired"


class Unavailable(ConsentryError):
    """The store could not be reached or kept failing; retrying later is safe."""

    code = "unavailable"


class LedgerTampered(ConsentryError):
    """Verification found an altered, inserted or deleted event."""

    code = "ledger_tampered"


# ── the API's refusals (issue 4) ─────────────────────────────────────────────


class ApiKeyNotFound(NotFound):
    """No API key with that id within the caller's scope."""

    code = "api_key_not_found"


class BatchTooLarge(Invalid):
    """A batch or uploaded set holds more items than one call accepts."""

    code = "batch_too_large"


class IdempotencyConflict(Conflict):
    """The Idempotency-Key was already used for a different request (method, path or body)."""

    code = "idempotency_conflict"


class IdempotencyInProgress(Conflict):
    """A request with this Idempotency-Key is still running; retry after a moment."""

    code = "idempotency_in_progress"


class Unauthenticated(ConsentryError):
    """No API key or staff session was given, or it is unknown, malformed, expired or revoked."""

    code = "unauthenticated"


class MethodNotAllowed(ConsentryError):
    """The resource exists but does not answer to that HTTP method."""

    code = "method_not_allowed"


class PayloadTooLarge(ConsentryError):
    """The request body is larger than the server accepts."""

    code = "payload_too_large"


class InternalError(ConsentryError):
    """An unexpected failure; nothing half-done was kept, and retrying is safe."""

    code = "internal_error"


# ── inbound messages and keywords (issue 5, messaging) ──────────────────────


class NumberNotFound(NotFound):
    """No receiving number (or sender id) with that value is configured."""

    code = "number_not_found"


class SignatureInvalid(Forbidden):
    """A provider webhook's signature is missing, stale or does not match."""

    code = "signature_invalid"


class KeywordRequired(Refused):
    """That opt-out keyword is required by law (FCC 24-18) and cannot be removed."""

    code = "keyword_required"


# ── input limits (issue 8, hardening; core/limits.py, docs/decisions/050) ────────


class InvalidText(Invalid):
    """A text holds a NUL, another control character or an unpaired surrogate."""

    code = "invalid_text"


class TextTooLong(Invalid):
    """A text is longer than its field allows (``details``: field, limit)."""

    code = "text_too_long"


class InvalidTime(Invalid):
    """A time lies outside 1970-01-01 to 9999-12-31 UTC, which the ledger can keep."""

    code = "invalid_time"


class InvalidAttributes(Invalid):
    """A contact's attributes cannot be stored (not JSON, NaN, too deep, too many, too large)."""

    code = "invalid_attributes"


class TooManyItems(Invalid):
    """A collection holds more items than its field allows (e.g. lists per contact)."""

    code = "too_many_items"


# ── consent rules that leaked (issue 8, hardening; docs/decisions/053-058) ───────


class NotSuppressed(Conflict):
    """The address is not suppressed by the kind named (``details``: the suppression it has)."""

    code = "not_suppressed"


class NoAddress(Conflict):
    """The contact has no address on that channel, so nothing there can bounce or complain."""

    code = "no_address"


class InvalidSource(Invalid):
    """That source cannot carry this act on this channel (e.g. a keypad press on SMS)."""

    code = "invalid_source"


# ── the deployment's secrets (issue 8, hardening; docs/decisions/051) ───────────


class SecretsMissing(ConsentryError):
    """The deployment's secrets are not configured; Consentry never keeps them in the database."""

    code = "secrets_missing"


class SecretsInDatabase(SecretsMissing):
    """The database still keeps its secrets in its meta table: move them into the environment."""

    code = "secrets_in_database"


class SecretsMismatch(ConsentryError):
    """The configured address key is not the key this database's address hashes were made with."""

    code = "secrets_mismatch"


# ── the people who sign in to the staff web app (issue 9; docs/decisions/061) ───────


class UserExists(Conflict):
    """A user with that email address already exists (the email is the sign-in name)."""

    code = "user_exists"


class UserNotFound(NotFound):
    """No user with that id within the caller's reach."""

    code = "user_not_found"


class WeakPassword(Invalid):
    """The password is too short to be safe (``details``: the least length)."""

    code = "weak_password"


class SignInFailed(ConsentryError):
    """The email address or the password is wrong (the same answer for every reason)."""

    code = "sign_in_failed"


class SignInRateLimited(ConsentryError):
    """Too many sign-in attempts for that email address or from that address; wait a while."""

    code = "sign_in_rate_limited"


# ── evidence files: the kept copy of written permission (issue 9; docs/decisions/067) ──────


class EvidenceFileNotFound(NotFound):
    """No kept evidence file with that SHA-256 for that contact."""

    code = "evidence_file_not_found"


class EvidenceFileAltered(LedgerTampered):
    """A kept evidence file's bytes no longer match the SHA-256 its opt-in recorded."""

    code = "evidence_file_altered"


class EvidenceFileTooLarge(PayloadTooLarge):
    """An uploaded copy of written permission is larger than 10 MiB."""

    code = "evidence_file_too_large"


def all_error_classes() -> list[type[ConsentryError]]:
    """Every error class, depth first, for documentation checks."""
    found: list[type[ConsentryError]] = [ConsentryError]
    stack = list(ConsentryError.__subclasses__())
    while stack:
        cls = stack.pop(0)
        found.append(cls)
        stack[0:0] = cls.__subclasses__()
    return found


class InvalidMapping(Invalid):
    """An import's column mapping names an unknown target or column, or twice the same."""

    code = "invalid_mapping"


class ImportConflict(Conflict):
    """An import row matches two different contacts, or would change a contact's address."""

    code = "import_conflict"


# ── import jobs over the API (docs/decisions/071) ──


class ImportJobNotFound(NotFound):
    """No import job with that id in the caller's group."""

    code = "import_job_not_found"


class ImportMappingNotFound(NotFound):
    """No saved column mapping with that name in the caller's group."""

    code = "import_mapping_not_found"


class ImportInterrupted(ConsentryError):
    """An import job stopped before its end (its server stopped); kept in the job, not an answer."""

    code = "import_interrupted"


# ── deliverability feeds (docs/decisions/074) ──


class FeedNotFound(NotFound):
    """No deliverability feed of that provider is configured for the group in the URL."""

    code = "feed_not_found"


# ── outbound webhooks (docs/decisions/076) ──


class WebhookNotFound(NotFound):
    """No webhook subscription with that id within the caller's scope."""

    code = "webhook_not_found"


class InvalidWebhookUrl(Invalid):
    """A webhook URL that is not https (plain http only to localhost, 080), or holds credentials."""

    code = "invalid_webhook_url"


class WebhookUrlNotPublic(InvalidWebhookUrl):
    """A webhook URL to a private, loopback, link-local or reserved address, or localhost (080).

    Allowed only where the deployment sets ``CONSENTRY_WEBHOOK_ALLOW_PRIVATE`` (tests, demos).
    """

    code = "webhook_url_not_public"


class InvalidEventType(Invalid):
    """A webhook event type that is not one of ``core.webhooks.EventType``."""

    code = "invalid_event_type"


# ── lifecycle rules (docs/decisions/077) ──


class RuleNotFound(NotFound):
    """No lifecycle rule with that id within the caller's scope (or it was deleted)."""

    code = "rule_not_found"


# ── journeys (docs/decisions/078) ──


class JourneyMessageNotFound(NotFound):
    """No journey message with that id within the caller's reach."""

    code = "journey_message_not_found"


class ScheduledJourneyNotFound(NotFound):
    """No scheduled journey with that id within the caller's scope (or it was deleted)."""

    code = "scheduled_journey_not_found"


class NotMissed(Conflict):
    """A re-send was asked for a journey message that was not missed (it was sent)."""

    code = "journey_message_not_missed"


class ResendAlreadyRequested(Conflict):
    """A re-send of this missed message was requested before: once per missed message."""

    code = "resend_already_requested"


class NotEligibleForResend(Refused):
    """The contact may not be sent the missed message now; ``details.reason`` says why."""

    code = "not_eligible_for_resend"


# ── send reports and violations (docs/decisions/079) ──


class SendConflict(Conflict):
    """A message id already names another send (contact, channel, scope, category or time)."""

    code = "send_conflict"
