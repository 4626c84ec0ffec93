"""The schema, in one sitting: SQLAlchemy Core tables (no ORM mapping of core classes).

Every table of contact data carries ``contact_id`` in its primary key, so a distributed
PostgreSQL can shard all of them by contact. Times are integer microseconds since the epoch
(UTC): exact, portable between SQLite and PostgreSQL, and what the hash chain covers.
Enum columns hold the stable string values of the core enums.

    scopes          group → client → user, the id is the path
    contacts        personal data (erasable)
    contact_keys    keyed hash of each address → contact (survives erasure)
    contact_lists   lists a contact joined
    events          the ledger: append-only, hash-chained per contact
    chain_heads     the end of each contact's chain (the lock writers take)
    consents        projection: status per (contact, channel, scope)
    suppressions    projection: bounced / complained per (contact, channel)
    meta            deployment settings kept in the database (address-hash key)
    users           the people who sign in to the staff web app (a hash of the password)
    staff_sessions  their signed-in browsers (a hash of the cookie's token)
    trend_days      counts per (group, scope, channel, UTC day): subscribed and unsubscribed
                    deltas, opt-outs (derived, kept with each event; decision 066)
    evidence_files  uploaded copies of written permission, by contact and SHA-256 (erasable)
    import_mappings saved column mappings of imports, by group and name
    import_jobs     imports over the API: status, counts, error; import_job_rows their reports
    webhook_*       outbound webhooks: subscriptions, deliveries (the outbox), attempts, notices
    lifecycle_*     lifecycle rules, every version; the firings they skipped (decision 077)
    journey_*       journey messages (sent or missed, re-send requests), scheduled journeys
                    and their daily runs (decision 078)
    send_reports    reported sends, one per (group, message id), and their judgment; violations
                    the sends that were not eligible, by contact, with the deciding event (079)
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = 64  # ids are short strings; scope ids are paths of up to three 63-char slugs
SCOPE_ID = 200

scopes = Table(
    "scopes",
    metadata,
    Column("id", String(SCOPE_ID), primary_key=True),
    Column("group_id", String(SCOPE_ID), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("group_id", String(SCOPE_ID), nullable=False),
    Column("email", String(320)),
    Column("mobile", String(20)),
    Column("external_id", String(200)),
    Column("name", String(200)),
    Column("locale", String(35)),
    Column("postal_address", Text),
    Column("push_token", Text),
    Column("attributes", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("erased_at", BigInteger),
    Index("ix_contacts_group_id_id", "group_id", "id"),
    Index("ix_contacts_group_id_external_id", "group_id", "external_id"),
)

contact_keys = Table(
    "contact_keys",
    metadata,
    Column("group_id", String(SCOPE_ID), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("digest", String(64), primary_key=True),
    Column("contact_id", String(ID), nullable=False),
    Index("ix_contact_keys_contact_id", "contact_id"),
)

contact_lists = Table(
    "contact_lists",
    metadata,
    Column("contact_id", String(ID), primary_key=True),
    Column("list_name", String(200), primary_key=True),
    Column("group_id", String(SCOPE_ID), nullable=False),
    Index("ix_contact_lists_group_list", "group_id", "list_name", "contact_id"),
)

events = Table(
    "events",
    metadata,
    Column("contact_id", String(ID), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("id", String(ID), nullable=False),
    Column("group_id", String(SCOPE_ID), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("scope_id", String(SCOPE_ID), nullable=False),
    Column("action", String(32), nullable=False),
    Column("strength", String(8), nullable=False),
    Column("actor_kind", String(16), nullable=False),
    Column("actor_id", String(200), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("source", String(32), nullable=False),
    Column("reason", String(64)),
    Column("evidence", Text),
    Column("evidence_salt", String(64)),
    Column("evidence_commitment", String(64), nullable=False),
    Column("occurred_at", BigInteger, nullable=False),
    Column("recorded_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_events_id", "id"),
    Index("ix_events_group_id_recorded_at", "group_id", "recorded_at"),
)

chain_heads = Table(
    "chain_heads",
    metadata,
    Column("contact_id", String(ID), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

consents = Table(
    "consents",
    metadata,
    Column("contact_id", String(ID), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("scope_id", String(SCOPE_ID), primary_key=True),
    Column("group_id", String(SCOPE_ID), nullable=False),
    Column("status", String(16), nullable=False),
    Column("event_id", String(ID)),
    Column("confirm_until", BigInteger),
    Column("updated_at", BigInteger, nullable=False),
    # the status filter's rows of one status at one scope, in contact order (migration 0009)
    Index(
        "ix_consents_group_channel_status_scope_contact",
        "group_id",
        "channel",
        "status",
        "scope_id",
        "contact_id",
    ),
)

suppressions = Table(
    "suppressions",
    metadata,
    Column("contact_id", String(ID), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("suppression", String(16), nullable=False),
    Column("event_id", String(ID), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# ── API keys and idempotency keys (migration 0002) ──────────────────────────
# api_keys         who each key speaks for (role, scope); only a SHA-256 of the secret is kept
# idempotency_keys one row per (key id, Idempotency-Key): the request's fingerprint and the
#                  saved response, so a retried POST is answered without running again

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("group_id", String(SCOPE_ID), nullable=False),
    Column("role", String(16), nullable=False),
    Column("scope_id", String(SCOPE_ID), nullable=False),
    Column("name", String(200), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
    Index("ix_api_keys_group_id", "group_id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("owner", String(SCOPE_ID), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("status", Integer),
    Column("body", Text),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_idempotency_keys_created_at", "created_at"),
)

# ── preferences (issue 5; migration 0004) ──────────────────────────────────
# rate_limits      one fixed-window counter per bucket (a keyed hash of an address or a client
#                  IP), shared by every app server: the public preference-link form's limit

rate_limits = Table(
    "rate_limits",
    metadata,
    Column("bucket", String(100), primary_key=True),
    Column("window_start", BigInteger, nullable=False),
    Column("hits", Integer, nullable=False),
)

# The public look-up by address across groups, and the sweep of open confirmation requests.
Index("ix_contact_keys_kind_digest", contact_keys.c.kind, contact_keys.c.digest)
Index("ix_consents_group_id_confirm_until", consents.c.group_id, consents.c.confirm_until)

# ── inbound messages, receiving numbers, keyword sets, outbox (migration 0003) ──────
# inbound_messages  one row per (receiving number, provider, message id, sender): a provider's
#                   retry is one event; another number's or sender's same id is another message
#                   (migration 0006; ``sender`` is the keyed hash of the sender's address)
# numbers           a receiving number or sender id → scope, channels, keywords, reply texts
# keyword_sets      words added to / removed from a named keyword set, per group and language
# outbox            messages Consentry sends (keyword replies, …) for the sending service

inbound_messages = Table(
    "inbound_messages",
    metadata,
    Column("number", String(64), primary_key=True),
    Column("provider", String(32), primary_key=True),
    Column("message_id", String(200), primary_key=True),
    Column("sender", String(64), primary_key=True),  # "" on rows from before 0006
    Column("group_id", String(SCOPE_ID), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("contact_id", String(ID)),
    Column("received_at", BigInteger, nullable=False),
    Column("recorded_at", BigInteger, nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("rule", String(200)),
    Column("event_ids", Text),
    Column("reply_id", String(ID)),
    Index("ix_inbound_messages_contact_id", "contact_id"),
)

numbers = Table(
    "numbers",
    metadata,
    Column("number", String(64), primary_key=True),
    Column("group_id", String(SCOPE_ID), nullable=False),
    Column("scope_id", String(SCOPE_ID), nullable=False),
    Column("channels", String(200), nullable=False),
    Column("keyword_set", String(64), nullable=False),
    Column("languages", String(100), nullable=False),
    Column("free_text", Boolean, nullable=False),
    Column("help_text", Text, nullable=False),
    Column("opt_out_text", Text, nullable=False),
    Column("opt_in_text", Text, nullable=False),
    Column("unsubscribe_digit", String(4), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_numbers_group_id", "group_id"),
)

keyword_sets = Table(
    "keyword_sets",
    metadata,
    Column("group_id", String(SCOPE_ID), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("language", String(16), primary_key=True),
    Column("word", String(100), primary_key=True),
    Column("op", String(8), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("group_id", String(SCOPE_ID), nullable=False),
    Column("contact_id", String(ID)),
    Column("channel", String(16), nullable=False),
    Column("to", String(320), nullable=False),
    Column("sender", String(320)),
    Column("category", String(64), nullable=False),
    Column("subject", Text),
    Column("body", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("sent_at", BigInteger),
    Index("ix_outbox_group_id_sent_at_created_at", "group_id", "sent_at", "created_at"),
)

# ── staff users and their sessions (issue 9; migration 0007; docs/decisions/061) ──────
# users            who signs in (the email, unique across the deployment), their role and scope;
#                  only an Argon2id hash of the password is kept; disabled, never deleted
# staff_sessions   one row per signed-in browser, keyed by a SHA-256 of the cookie's token (never
#                  the token); absolute expiry; deleted on sign-out, rotation and disabling

users = Table(
    "users",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("scope_id", String(SCOPE_ID), nullable=False),
    Column("group_id", String(SCOPE_ID), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("disabled_at", BigInteger),
    Index("ix_users_email", "email", unique=True),
    Index("ix_users_group_id_email", "group_id", "email"),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(ID), ForeignKey("users.id"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_staff_sessions_user_id", "user_id"),
)

# ── trends (issue 9; migration 0008; docs/decisions/066) ──────────────────────
# trend_days       per (group, scope, channel, UTC day as days since 1970-01-01): the net change
#                  of the subscribed (opted_in) and unsubscribed (soft or hard opt-out) projection
#                  rows that day, and the number of opted_out events. Written by the append of
#                  each consent event, in its transaction; only aggregates, no contact: the one
#                  table without contact_id in its key (decision 066 says why).

trend_days = Table(
    "trend_days",
    metadata,
    Column("group_id", String(SCOPE_ID), primary_key=True),
    Column("scope_id", String(SCOPE_ID), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("day", Integer, primary_key=True),
    Column("subscribed_delta", BigInteger, nullable=False),
    Column("unsubscribed_delta", BigInteger, nullable=False),
    Column("opt_outs", BigInteger, nullable=False),
)

# ── evidence files (issue 9; migration 0009; docs/decisions/067) ──────────────
# evidence_files   the uploaded copy of a contact's written permission, one row per (contact,
#                  SHA-256 of the bytes): written in the transaction of the opt-in whose evidence
#                  names the hash, the same file twice for one contact kept once; personal data,
#                  so erasure deletes a contact's rows (the event keeps the hash, name and size)

evidence_files = Table(
    "evidence_files",
    metadata,
    Column("contact_id", String(ID), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("media_type", String(255), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

# ── import jobs over the API, saved column mappings (issue 11; migration 0010; decision 071) ──
# import_mappings  a column mapping (its text form, JSON) kept under a name in a group
# import_jobs      one row per uploaded import: its status (queued, running, done, failed), what
#                  it imports (scope, format, the mapping's text, dry run), the counts so far
#                  (the ImportReport as JSON), the error that ended it; updated after each batch
# import_job_rows  the per-row report of a job: one row per line of the file, written in a small
#                  transaction right after the batch that decided it committed

import_mappings = Table(
    "import_mappings",
    metadata,
    Column("group_id", String(SCOPE_ID), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("spec", Text, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

import_jobs = Table(
    "import_jobs",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("group_id", String(SCOPE_ID), nullable=False),
    Column("scope_id", String(SCOPE_ID), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("format", String(16), nullable=False),
    Column("mapping", Text, nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("rows_read", BigInteger, nullable=False),
    Column("counts", Text, nullable=False),
    Column("error_code", String(64)),
    Column("error_message", Text),
    Column("updated_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger),
    Index("ix_import_jobs_group_id_created_at", "group_id", "created_at"),
)

import_job_rows = Table(
    "import_job_rows",
    metadata,
    Column("job_id", String(ID), primary_key=True),
    Column("line", BigInteger, primary_key=True),
    Column("outcome", String(16), nullable=False),
    Column("contact_id", String(ID)),
    Column("changes", Text),
    Column("code", String(64)),
    Column("message", Text),
)

# ── deliverability feeds (issue 10; migration 0011; decision 074) ──
# feed_events  one row per provider report claimed: (feed, group, the provider's event id, the
#              keyed hash of the address; never the address); what it did, the contact, the
#              events it recorded. A provider's retry finds the row and records nothing.

feed_events = Table(
    "feed_events",
    metadata,
    Column("feed", String(16), primary_key=True),
    Column("group_id", String(SCOPE_ID), primary_key=True),
    Column("event_id", String(200), primary_key=True),
    Column("address", String(64), primary_key=True),  # "" when the address was unreadable
    Column("kind", String(16), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("contact_id", String(ID)),
    Column("event_ids", Text),
    Column("detail", String(64)),
    Column("occurred_at", BigInteger, nullable=False),
    Column("recorded_at", BigInteger, nullable=False),
    Index("ix_feed_events_contact_id", "contact_id"),
)

# ── transactional policies (issue 10; migration 0012; decision 075) ──
# transactional_policies  per (group, channel): may a transactional message reach a contact
#                         who opted out of marketing there; no row: the deployment's default

transactional_policies = Table(
    "transactional_policies",
    metadata,
    Column("group_id", String(SCOPE_ID), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("bypass", Boolean, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# ── outbound webhooks (issue 10; migration 0013; decision 076) ──
# webhook_subscriptions  per scope: URL, event types (",a,b,"), enabled or why not, failures in a
#                        row; no secret: each one's signing secret is derived from the
#                        deployment's key and its id, never stored
# webhook_deliveries     one row per (event, subscription) it matched, written in the event's
#                        transaction: status, attempts made, when next due (a claim leases it)
# webhook_attempts       each POST: its number, when, the status code or error, how long

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("group_id", String(SCOPE_ID), nullable=False),
    Column("scope_id", String(SCOPE_ID), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("event_types", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", String(32)),
    Column("disabled_at", BigInteger),
    Column("failures", Integer, nullable=False),
    Column("failing_since", BigInteger),
    Column("created_by", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_webhook_subscriptions_group_id", "group_id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("subscription_id", String(ID), nullable=False),
    Column("group_id", String(SCOPE_ID), nullable=False),
    Column("event_id", String(ID), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_at", BigInteger, nullable=False),
    Column("claim", String(64)),
    Column("created_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger),
    Index("ix_webhook_deliveries_status_next_at", "status", "next_at"),
    Index("ix_webhook_deliveries_subscription_id", "subscription_id"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("delivery_id", String(128), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("subscription_id", String(ID), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("status_code", Integer),
    Column("error", String(200)),
    Column("duration_ms", Integer, nullable=False),
    Index("ix_webhook_attempts_subscription_id_at", "subscription_id", "at"),
)

# ── webhook notices (issue 10; migration 0015; decision 076) ──
# webhook_notices  what webhooks announce besides consent events (a missed journey message, a
#                  re-send request, a violation): its type, scope and ready payload (ids, enums
#                  and times only), kept so a replay can queue it again; deliveries name its id
webhook_notices = Table(
    "webhook_notices",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("group_id", String(SCOPE_ID), nullable=False),
    Column("scope_id", String(SCOPE_ID), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("body", Text, nullable=False),
    Index("ix_webhook_notices_group_id_at", "group_id", "at"),
)

# ── lifecycle rules (issue 10; migration 0014; decision 077) ──
# lifecycle_rules       every version of every rule: its trigger, the status it sets on a
#                       channel at a scope, the admin's record of permission (opted_in only,
#                       JSON); ``is_current`` marks the version that fires (none: deleted)
# lifecycle_rule_skips  firings that changed nothing and why (a hard opt-out, …), by contact

lifecycle_rules = Table(
    "lifecycle_rules",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("group_id", String(SCOPE_ID), nullable=False),
    Column("scope_id", String(SCOPE_ID), nullable=False),
    Column("trigger_kind", String(32), nullable=False),
    Column("trigger_name", String(200)),
    Column("trigger_value", String(1000)),
    Column("channel", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("permission", Text),
    Column("is_current", Boolean, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_lifecycle_rules_group_id_is_current", "group_id", "is_current"),
)

lifecycle_rule_skips = Table(
    "lifecycle_rule_skips",
    metadata,
    Column("contact_id", String(ID), primary_key=True),
    Column("id", String(ID), primary_key=True),
    Column("rule_id", String(ID), nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("group_id", String(SCOPE_ID), nullable=False),
    Column("trigger_label", String(300), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("at", BigInteger, nullable=False),
    Index("ix_lifecycle_rule_skips_rule_id_at", "rule_id", "at"),
)

# ── journeys (issue 10; migration 0016; decision 078) ──
# journey_messages     each reported (or scheduled) journey message, keyed by contact and the
#                      sender's message id (dedupe): how it was judged at ``triggered_at`` (sent
#                      or missed, the reason, the deciding event) and the re-send request
# scheduled_journeys   birthday-type journeys: a channel at a scope, the attribute with the date
# journey_runs         one row per (scheduled journey, UTC day) run: inserted once (the claim)

journey_messages = Table(
    "journey_messages",
    metadata,
    Column("contact_id", String(ID), primary_key=True),
    Column("message_id", String(200), primary_key=True),
    Column("id", String(ID), nullable=False),
    Column("group_id", String(SCOPE_ID), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("scope_id", String(SCOPE_ID), nullable=False),
    Column("journey", String(200), nullable=False),
    Column("category", String(32), nullable=False),
    Column("triggered_at", BigInteger, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("decided_scope_id", String(SCOPE_ID)),
    Column("decided_event_id", String(ID)),
    Column("reported_by", String(200), nullable=False),
    Column("recorded_at", BigInteger, nullable=False),
    Column("scheduled_journey_id", String(ID)),
    Column("resend_requested_by", String(200)),
    Column("resend_requested_at", BigInteger),
    Index("ix_journey_messages_id", "id"),  # unique by construction (new_id): not keyed (083)
    Index("ix_journey_messages_group_id_outcome_id", "group_id", "outcome", "id"),
)

scheduled_journeys = Table(
    "scheduled_journeys",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("group_id", String(SCOPE_ID), nullable=False),
    Column("scope_id", String(SCOPE_ID), nullable=False),
    Column("name", String(200), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("category", String(32), nullable=False),
    Column("attribute", String(200), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_scheduled_journeys_group_id", "group_id"),
)

journey_runs = Table(
    "journey_runs",
    metadata,
    Column("journey_id", String(ID), primary_key=True),
    Column("day", Integer, primary_key=True),
    Column("started_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger),
    Column("triggered", Integer, nullable=False),
    Column("missed", Integer, nullable=False),
)

# ── send reports and violations (issue 10; migration 0017; decision 079) ──
# send_reports  one row per (group, the sender's message id): keyed like ``feed_events`` by
#               what dedupes it; the contact, channel, scope, category, when it was sent and
#               reported, the judgment (reason, deciding event) and its violation's id
# violations    the sends that were not eligible when sent, by contact, with the reason and
#               the deciding event's id (the compliance report groups them by that event)

send_reports = Table(
    "send_reports",
    metadata,
    Column("group_id", String(SCOPE_ID), primary_key=True),
    Column("message_id", String(200), primary_key=True),
    Column("id", String(ID), nullable=False),
    Column("contact_id", String(ID), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("scope_id", String(SCOPE_ID), nullable=False),
    Column("category", String(32), nullable=False),
    Column("sent_at", BigInteger, nullable=False),
    Column("reported_at", BigInteger, nullable=False),
    Column("reported_by", String(200), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("event_id", String(ID)),
    Column("violation_id", String(ID)),
    Index("ix_send_reports_group_id_sent_at", "group_id", "sent_at"),
    Index("ix_send_reports_contact_id", "contact_id"),
)

violations = Table(
    "violations",
    metadata,
    Column("contact_id", String(ID), primary_key=True),
    Column("id", String(ID), primary_key=True),
    Column("group_id", String(SCOPE_ID), nullable=False),
    Column("message_id", String(200), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("scope_id", String(SCOPE_ID), nullable=False),
    Column("category", String(32), nullable=False),
    Column("sent_at", BigInteger, nullable=False),
    Column("reason", String(32), nullable=False),
    Column("event_id", String(ID)),
    Column("recorded_at", BigInteger, nullable=False),
    Index("ix_violations_group_id_sent_at_id", "group_id", "sent_at", "id"),
    Index("ix_violations_event_id", "event_id"),
)
