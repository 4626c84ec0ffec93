"""The use cases: plain functions over a ``Context``, one module per concept (STYLE §2).

==================  ===========================================================
module              use cases
==================  ===========================================================
scopes, contacts    add / get / list scopes; add / find / list / update contacts
erasure             erase_contact (GDPR Art. 17: personal data gone, the proof kept)
policies            transactional_policy, set_transactional_policy (per group and channel)
consent             opt_in, opt_out, resubscribe, request_confirmation, confirm
confirmations       request_double_opt_in, send_confirmation, expire_confirmations
eligibility         check, check_many, resolve_audience
history             history, status_at
activity, trends    opt_outs (Activity → Opt-outs), trends (totals, change, spikes)
deliverability      record_bounce, record_complaint, clear_suppression
integrity           verify, export_digest
preferences         the hosted pages' signed links: unsubscribe, opt back in, confirm
public_request      the public "manage my preferences" request and its rate limit
inbound             receive_message (STOP, START, HELP), press_key (the keypad digit)
numbers, keywords   receiving numbers, keyword sets
outbox              list_outbox, mark_sent
keys, idempotency   API keys; authenticate and idempotency claims (for entrypoints)
sends, violations   report_sends (judged as the ledger stood then); violations,
                    compliance_report (decision 079)
journeys            report_journey_message (judged as the ledger stood then),
                    missed_messages, request_resend; scheduled journeys and
                    run_scheduled_journeys (decision 078)
users               create / list / disable staff users; sign_in, session_of, sign_out
                    (the sessions are for entrypoints)
==================  ===========================================================

Every command takes the calling ``Principal`` first, then the identifying arguments; the rest
is keyword-only. Refusals are ``ConsentryError``s with stable codes; answers are values.
``Ledger`` (facade.py) is the library's class over them; ``bootstrap.build`` makes one.
"""

from __future__ import annotations

from consentry.ledger.context import Context
from consentry.ledger.eligibility import Audience, CheckRequest
from consentry.ledger.facade import Ledger
from consentry.ledger.history import StatusAt
from consentry.ledger.integrity import Digest, VerifyReport

__all__ = ["Audience", "CheckRequest", "Context", "Digest", "Ledger", "StatusAt", "VerifyReport"]
