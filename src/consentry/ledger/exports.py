"""Exports: the group's contacts with their consent, and the ledger itself, as CSV or NDJSON,
streamed (SPEC §2, §7; docs/decisions/068).

Each use case checks its inputs and the caller's right at once (a refusal is raised by the call,
before any line), then returns an iterator of text chunks: the CSV header, then one chunk per
batch of ``BATCH`` records. The rows come from one snapshot of the store (``Store.export``),
opened when the first chunk is asked for and closed after the last, so memory stays flat at any
size and the file shows one moment.

Who sees what is the API's rule: anyone who may view (admin, staff, viewer, the operator)
exports every contact of their group, as ``list_contacts`` lists them, and the consent facts
and events at their scope, below it and on the path above it, as ``history`` shows them
(``permissions.can_read_scope``). A contact's ``<channel>_status`` is the answer a marketing
send from the caller's scope would get (decision 065).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from itertools import islice

from consentry.core import limits
from consentry.core.channels import Channel
from consentry.core.exports import (
    CONSENT_COLUMNS,
    LEDGER_COLUMNS,
    ContactState,
    ExportFormat,
    Record,
    consent_records,
    contact_columns,
    contact_record,
    encode,
    event_record,
    header,
    parse_format,
)
from consentry.core.permissions import Capability, Principal, authorise
from consentry.core.scopes import path_to_root
from consentry.ledger.context import Context
from consentry.ledger.ports import ExportReader

BATCH = 1000  #: contacts (or events) per chunk, and per read of the store
Lines = Callable[[ContactState], list[Record]]  #: a contact's lines in one export


def export_contacts(
    ctx: Context, principal: Principal, *, format: str | ExportFormat = ExportFormat.CSV
) -> Iterator[str]:
    """Every contact of the group, in id order: its details and, per enabled channel, the
    answer a marketing send from the caller's scope would get now."""
    fmt = _authorised(principal, format)
    return _contact_chunks(ctx, principal, fmt, ctx.clock.now())


def export_consents(
    ctx: Context, principal: Principal, *, format: str | ExportFormat = ExportFormat.CSV
) -> Iterator[str]:
    """Every consents row the caller may see (contact, channel, scope, status, since) and every
    suppression, in contact order."""
    fmt = _authorised(principal, format)
    return _consent_chunks(ctx, principal, fmt, ctx.clock.now())


def export_ledger(
    ctx: Context,
    principal: Principal,
    *,
    format: str | ExportFormat = ExportFormat.CSV,
    since: datetime | None = None,
) -> Iterator[str]:
    """Every event the caller may see, recorded at or after ``since``, in (contact_id, seq)
    order, with every stored field: its evidence, and ``prev_hash`` and ``hash`` to verify."""
    fmt = _authorised(principal, format)
    if since is not None:
        limits.instant(since, field="since")
    return _ledger_chunks(ctx, principal, fmt, since)


def channels_of(ctx: Context) -> list[Channel]:
    """The deployment's channels, in the fixed order of ``Channel``."""
    return [c for c in Channel if c in ctx.policy.enabled]


def _authorised(principal: Principal, format: str | ExportFormat) -> ExportFormat:
    authorise(principal, Capability.VIEW)
    return parse_format(limits.text(str(format), field="format", max_length=limits.WORD))


def _contact_chunks(
    ctx: Context, principal: Principal, fmt: ExportFormat, now: datetime
) -> Iterator[str]:
    channels = channels_of(ctx)
    columns = contact_columns(channels)
    path = path_to_root(principal.scope_id)

    def lines(state: ContactState) -> list[Record]:
        return [contact_record(state, channels, path, now, ctx.policy)]

    with ctx.store.export(principal.group_id, principal.scope_id) as snapshot:
        yield from _started(fmt, columns)
        yield from _batches(snapshot, fmt, columns, lines)


def _consent_chunks(
    ctx: Context, principal: Principal, fmt: ExportFormat, now: datetime
) -> Iterator[str]:
    def lines(state: ContactState) -> list[Record]:
        return consent_records(state, now)

    with ctx.store.export(principal.group_id, principal.scope_id) as snapshot:
        yield from _started(fmt, CONSENT_COLUMNS)
        yield from _batches(snapshot, fmt, CONSENT_COLUMNS, lines)


def _ledger_chunks(
    ctx: Context, principal: Principal, fmt: ExportFormat, since: datetime | None
) -> Iterator[str]:
    with ctx.store.export(principal.group_id, principal.scope_id) as snapshot:
        yield from _started(fmt, LEDGER_COLUMNS)
        events = snapshot.events(since)
        while chunk := encode(fmt, LEDGER_COLUMNS, map(event_record, islice(events, BATCH))):
            yield chunk


def _started(fmt: ExportFormat, columns: tuple[str, ...]) -> Iterator[str]:
    """The file's first chunk: the CSV header (nothing for NDJSON)."""
    if first := header(fmt, columns):
        yield first


def _batches(
    snapshot: ExportReader, fmt: ExportFormat, columns: tuple[str, ...], lines: Lines
) -> Iterator[str]:
    """The contacts' lines, one chunk per batch read (keyset: each after the last id read)."""
    after: str | None = None
    full = True
    while full:
        chunk, after, full = _batch(snapshot, after, fmt, columns, lines)
        if chunk:
            yield chunk


def _batch(
    snapshot: ExportReader,
    after: str | None,
    fmt: ExportFormat,
    columns: tuple[str, ...],
    lines: Lines,
) -> tuple[str, str | None, bool]:
    """One batch as text, its last id, and whether it was full (more may follow). Nothing of
    it but the text outlives the call, so one batch at a time is held, never two."""
    batch = snapshot.contacts(after, BATCH)
    text = encode(fmt, columns, (line for state in batch for line in lines(state)))
    return text, (batch[-1].contact.id if batch else after), len(batch) == BATCH
