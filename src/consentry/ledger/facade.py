"""``Ledger``: Consentry as a library, one method per use case (STYLE §1).

The class holds a ``Context`` and nothing else; each method forwards to the use-case function
of the same name with the context first, so its signature and docstring are the function's
(``help(Ledger.opt_out)`` shows them). It inherits nothing. Transport plumbing — API-key
authentication, idempotency claims, the public request's rate limit, the inbound webhook's
principal, staff sign-in and sessions — is not here: entrypoints call those functions with
``ledger.context``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar

from consentry.core.channels import ChannelPolicy
from consentry.ledger import (
    activity,
    bulk,
    confirmations,
    consent,
    contacts,
    deliverability,
    eligibility,
    erasure,
    evidence_files,
    exports,
    idempotency,
    import_jobs,
    imports,
    integrity,
    journeys,
    keys,
    keywords,
    numbers,
    opt_in_requests,
    policies,
    preferences,
    public_request,
    scopes,
    users,
    webhooks,
)
from consentry.ledger import feeds as deliverability_feeds
from consentry.ledger import history as history_reads
from consentry.ledger import inbound as inbound_messages
from consentry.ledger import outbox as outbox_queue
from consentry.ledger import proof as proofs
from consentry.ledger import rules as lifecycle_rules
from consentry.ledger import sends as send_reports
from consentry.ledger import trends as trend_reads
from consentry.ledger import violations as compliance
from consentry.ledger.context import Context
from consentry.ledger.ports import Clock, Outbox, Signer, Store

P = ParamSpec("P")
R = TypeVar("R")


def _delegate(
    use_case: Callable[Concatenate[Context, P], R],
) -> Callable[Concatenate[Ledger, P], R]:
    """A method that calls ``use_case`` with the ledger's context first."""

    @wraps(use_case)
    def method(self: Ledger, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return use_case(self.context, *args, **kwargs)

    signature = inspect.signature(use_case)
    params = list(signature.parameters.values())
    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
    method.__signature__ = signature.replace(parameters=[self_param, *params[1:]])  # type: ignore[attr-defined]
    return method


class Ledger:
    """Consentry as a library: every use case as a method over one context."""

    def __init__(self, context: Context) -> None:
        self.context = context

    @property
    def store(self) -> Store:
        """The store (also the unit of work) this ledger writes to."""
        return self.context.store

    @property
    def clock(self) -> Clock:
        """Where this ledger's time comes from."""
        return self.context.clock

    @property
    def policy(self) -> ChannelPolicy:
        """The deployment's channels and transactional rules."""
        return self.context.policy

    @property
    def outbox(self) -> Outbox | None:
        """Where Consentry's own messages go."""
        return self.context.outbox

    @property
    def signer(self) -> Signer | None:
        """The signer of the hosted pages' links."""
        return self.context.signer

    def close(self) -> None:
        """Release the store's connections (and the read replica's)."""
        self.context.store.close()
        if self.context.replica is not None:
            self.context.replica.close()

    # ── scopes and contacts ──
    add_scope = _delegate(scopes.add_scope)
    get_scope = _delegate(scopes.get_scope)
    list_scopes = _delegate(scopes.list_scopes)
    add_contact = _delegate(contacts.add_contact)
    get_contact = _delegate(contacts.get_contact)
    find_contact = _delegate(contacts.find_contact)
    list_contacts = _delegate(contacts.list_contacts)
    contact_page = _delegate(contacts.contact_page)
    update_contact = _delegate(contacts.update_contact)
    erase_contact = _delegate(erasure.erase_contact)
    transactional_policy = _delegate(policies.transactional_policy)
    set_transactional_policy = _delegate(policies.set_transactional_policy)
    import_contacts = _delegate(imports.import_contacts)

    # ── imports over the API: saved mappings and jobs (decision 071) ──
    save_import_mapping = _delegate(import_jobs.save_import_mapping)
    list_import_mappings = _delegate(import_jobs.list_import_mappings)
    get_import_mapping = _delegate(import_jobs.get_import_mapping)
    check_import = _delegate(import_jobs.check_import)
    start_import = _delegate(import_jobs.start_import)
    run_import = _delegate(import_jobs.run_import)
    get_import_job = _delegate(import_jobs.get_import_job)
    import_report = _delegate(import_jobs.import_report)

    # ── consent ──
    opt_in = _delegate(consent.opt_in)
    opt_out = _delegate(consent.opt_out)
    resubscribe = _delegate(consent.resubscribe)
    request_confirmation = _delegate(consent.request_confirmation)
    confirm = _delegate(consent.confirm)
    request_double_opt_in = _delegate(confirmations.request_double_opt_in)
    send_confirmation = _delegate(confirmations.send_confirmation)
    expire_confirmations = _delegate(confirmations.expire_confirmations)
    bulk_change = _delegate(bulk.bulk_change)
    send_opt_in_request = _delegate(opt_in_requests.send_opt_in_request)

    # ── answers and evidence ──
    check = _delegate(eligibility.check)
    check_many = _delegate(eligibility.check_many)
    resolve_audience = _delegate(eligibility.resolve_audience)
    history = _delegate(history_reads.history)
    evidence_file = _delegate(evidence_files.evidence_file)
    kept_evidence_files = _delegate(evidence_files.kept_evidence_files)
    status_at = _delegate(history_reads.status_at)
    opt_outs = _delegate(activity.opt_outs)
    trends = _delegate(trend_reads.trends)

    # ── deliverability and integrity ──
    record_bounce = _delegate(deliverability.record_bounce)
    record_complaint = _delegate(deliverability.record_complaint)
    clear_suppression = _delegate(deliverability.clear_suppression)
    # deliverability feeds: a provider's verified report, claimed once (decision 074)
    receive_feed_event = _delegate(deliverability_feeds.receive_feed_event)
    verify = _delegate(integrity.verify)
    verify_contact = _delegate(integrity.verify_contact)
    export_digest = _delegate(integrity.export_digest)
    export_contacts = _delegate(exports.export_contacts)
    export_consents = _delegate(exports.export_consents)
    export_ledger = _delegate(exports.export_ledger)
    proof_of_consent = _delegate(proofs.proof_of_consent)
    eligibility_proof = _delegate(proofs.eligibility_proof)

    # ── what the contact does through signed links ──
    unsubscribe_headers = _delegate(preferences.unsubscribe_headers)
    open_page = _delegate(preferences.open_page)
    one_click_unsubscribe = _delegate(preferences.one_click_unsubscribe)
    unsubscribe = _delegate(preferences.unsubscribe)
    opt_back_in = _delegate(preferences.opt_back_in)
    open_confirmation = _delegate(preferences.open_confirmation)
    confirm_link = _delegate(preferences.confirm_link)
    send_preferences_link = _delegate(public_request.send_preferences_link)

    # ── inbound messages, numbers, keyword sets, the outbox ──
    receive_message = _delegate(inbound_messages.receive_message)
    press_key = _delegate(inbound_messages.press_key)
    configure_number = _delegate(numbers.configure_number)
    get_number = _delegate(numbers.get_number)
    list_numbers = _delegate(numbers.list_numbers)
    number_key = _delegate(numbers.number_key)
    add_keyword = _delegate(keywords.add_keyword)
    remove_keyword = _delegate(keywords.remove_keyword)
    keyword_set = _delegate(keywords.keyword_set)
    list_outbox = _delegate(outbox_queue.list_outbox)
    mark_sent = _delegate(outbox_queue.mark_sent)

    # ── API keys ──
    create_api_key = _delegate(keys.create_api_key)
    list_api_keys = _delegate(keys.list_api_keys)
    revoke_api_key = _delegate(keys.revoke_api_key)
    prune_idempotency_keys = _delegate(idempotency.prune_idempotency_keys)

    # ── outbound webhooks (decision 076) ──
    create_webhook = _delegate(webhooks.create_webhook)
    list_webhooks = _delegate(webhooks.list_webhooks)
    get_webhook = _delegate(webhooks.get_webhook)
    update_webhook = _delegate(webhooks.update_webhook)
    delete_webhook = _delegate(webhooks.delete_webhook)
    replay_webhook = _delegate(webhooks.replay_webhook)
    deliver_webhooks = _delegate(webhooks.deliver_webhooks)

    # ── lifecycle rules (decision 077) ──
    create_rule = _delegate(lifecycle_rules.create_rule)
    update_rule = _delegate(lifecycle_rules.update_rule)
    list_rules = _delegate(lifecycle_rules.list_rules)
    get_rule = _delegate(lifecycle_rules.get_rule)
    delete_rule = _delegate(lifecycle_rules.delete_rule)

    # send reports, violations and the compliance report (decision 079)
    report_sends = _delegate(send_reports.report_sends)
    violations = _delegate(compliance.violations)
    compliance_report = _delegate(compliance.compliance_report)

    # ── journeys: reported messages, missed ones, re-sends, scheduled runs (decision 078) ──
    report_journey_message = _delegate(journeys.report_journey_message)
    get_journey_message = _delegate(journeys.get_journey_message)
    missed_messages = _delegate(journeys.missed_messages)
    request_resend = _delegate(journeys.request_resend)
    create_journey = _delegate(journeys.create_journey)
    list_journeys = _delegate(journeys.list_journeys)
    get_journey = _delegate(journeys.get_journey)
    delete_journey = _delegate(journeys.delete_journey)
    run_scheduled_journeys = _delegate(journeys.run_scheduled_journeys)

    # ── the people who sign in to the staff web app ──
    create_user = _delegate(users.create_user)
    list_users = _delegate(users.list_users)
    disable_user = _delegate(users.disable_user)
