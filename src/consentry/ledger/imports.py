"""Import contacts and their consent from a file's rows, in batches (SPEC §7; decision 070).

``import_contacts(ctx, principal, rows, *, mapping, scope_id, evidence, dry_run)`` reads the
rows (``(line, cells)`` pairs from ``adapters/import_files.py``, or any iterable of them), a
batch at a time: each row is normalised and keyed outside the transaction, then a batch's
contacts are read in a few statements, every row planned by the rules single commands obey
(``import_batch.py``) and the batch written in bulk and committed — so a crash or a kill loses
nothing already committed, and running the same file again changes nothing.

A **dry run** writes every batch into one transaction and rolls it back at the end: each row
is judged exactly as the real run would judge it (later rows see earlier ones), and nothing is
kept. ``on_batch`` gets each batch's row outcomes once they are committed (or, in a dry run,
planned): the per-row report and the progress bar are the caller's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from consentry.core.errors import ConsentryError, Invalid
from consentry.core.events import canonical_evidence
from consentry.core.ids import new_id
from consentry.core.imports import (
    MAX_BATCH,
    ColumnMapping,
    ImportReport,
    Outcome,
    RowOutcome,
    read_row,
)
from consentry.core.permissions import Capability, Principal, authorise
from consentry.ledger.context import Context
from consentry.ledger.import_batch import FileEvidence, Job, Prepared, prepare, run_batch
from consentry.ledger.ports import BulkTx
from consentry.ledger.steps import load_scope

#: One row of a file: its line number, and its cells by column (or why it could not be read).
Line = tuple[int, Mapping[str, Any] | Invalid]
OnBatch = Callable[[Sequence[RowOutcome]], None]
DEFAULT_BATCH = 5_000
ANALYZE_AFTER = 1_000  #: a batch this large may have grown the tables enough to plan anew


def import_contacts(
    ctx: Context,
    principal: Principal,
    rows: Iterable[Line],
    *,
    mapping: ColumnMapping,
    scope_id: str | None = None,
    evidence: Mapping[str, Any] | None = None,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH,
    on_batch: OnBatch | None = None,
) -> ImportReport:
    """Import ``rows`` at ``scope_id`` (the group by default); ``evidence`` is the whole file's
    record of written permission, merged under each row's ``evidence:`` cells."""
    job = _job(ctx, principal, scope_id, evidence)
    if not 1 <= batch_size <= MAX_BATCH:
        raise Invalid(f"batch_size is 1 to {MAX_BATCH}", field="batch_size")
    report = ImportReport(dry_run=dry_run)
    batches = _batches(rows, batch_size)
    if dry_run:
        with ctx.store.bulk() as tx:  # one transaction, never committed
            for chunk in batches:
                _report(report, on_batch, _one(ctx, tx, job, mapping, chunk))
        return report
    for chunk in batches:
        with ctx.store.bulk() as tx:
            outcomes = _one(ctx, tx, job, mapping, chunk)
            tx.commit()
            if len(chunk) >= ANALYZE_AFTER and _doubled(report.batches + 1):
                tx.analyze()  # the tables grew by as much as the planner last counted
        _report(report, on_batch, outcomes)
    return report


def _doubled(batches: int) -> bool:
    """True after the 1st, 2nd, 4th, 8th … batch: the statistics stay within 2x of the truth
    at the cost of a handful of ``ANALYZE`` runs for any number of batches."""
    return batches & (batches - 1) == 0


def _job(
    ctx: Context, principal: Principal, scope_id: str | None, evidence: Mapping[str, Any] | None
) -> Job:
    with ctx.store.transaction(write=False) as tx:
        scope = load_scope(ctx, tx, principal, scope_id or principal.group_id)
    authorise(principal, Capability.IMPORT, scope.id)
    canonical_evidence(evidence)  # what no event can keep is refused before any row is read
    import_id = new_id("im", ctx.clock.now())
    document = dict(evidence or {})
    return Job(principal, scope, document, import_id, FileEvidence.of(document, import_id))


def _batches(rows: Iterable[Line], size: int) -> Iterator[list[Line]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def _one(
    ctx: Context, tx: BulkTx, job: Job, mapping: ColumnMapping, chunk: Sequence[Line]
) -> list[RowOutcome]:
    """Plan and write one batch in ``tx``; the outcomes in file order."""
    group_id = job.principal.group_id
    ready: list[Prepared] = []
    refused: dict[int, RowOutcome] = {}
    for line, cells in chunk:
        try:
            if isinstance(cells, Invalid):
                raise cells
            ready.append(prepare(ctx, read_row(line, cells, mapping), group_id))
        except ConsentryError as exc:
            refused[line] = RowOutcome(line, Outcome.REFUSED, code=exc.code, message=exc.message)
    batch, planned = run_batch(ctx, tx, job, ready)
    tx.write(batch.write)
    by_line = {o.line: o for o in planned} | refused
    return [by_line[line] for line, _ in chunk]


def _report(report: ImportReport, on_batch: OnBatch | None, outcomes: list[RowOutcome]) -> None:
    report.add(outcomes)
    report.batches += 1
    report.events += sum(len(o.changes) for o in outcomes)
    if on_batch is not None:
        on_batch(outcomes)
