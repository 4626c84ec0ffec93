"""Where an import job's file and work live: a nameless spool file and a background thread (071).

``Upload.read`` streams a ``multipart/form-data`` request into a spool file in the settings'
import directory (``CONSENTRY_IMPORT_DIR``, default the system's temp dir), never into memory or
the database: the file part is written as it arrives, its size bounded
(``CONSENTRY_IMPORT_MAX_BYTES``: 413 ``payload_too_large``), the few small fields kept. The spool
file is made with ``tempfile.TemporaryFile``: mode 0600 and without a name from the start, so it
is gone when closed, and also when the process dies, with nothing left to sweep.

``ImportRunner.start`` runs a recorded job in a daemon thread of the server process: it reads
the spool file with the CLI's readers (``adapters/import_files.py``) and hands the rows to
``Ledger.run_import``, which records the job's progress and end; the thread closes the file when
it ends. A dry run's row outcomes wait in another nameless file (``FileSpool``) until its one
transaction has ended. A job whose server stops mid-run stays ``running`` in the database until
a read finds it stale and records it interrupted (``core/import_jobs.py``).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import anyio
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from consentry.adapters.import_files import FileFormat, Line, read_rows
from consentry.core.errors import Invalid, PayloadTooLarge
from consentry.core.import_jobs import ImportJob
from consentry.core.imports import Outcome, RowOutcome, parse_mapping
from consentry.core.permissions import Principal
from consentry.ledger import Ledger
from consentry.settings import Settings

log = logging.getLogger("consentry.imports")

FIELDS = ("scope", "format", "mapping", "mapping_name", "evidence", "dry_run")
MAX_FIELD = 256 * 1024  #: bytes of one form field (a mapping, the evidence)
WRITE_AT = 1024 * 1024  #: bytes of file data gathered before a write to the spool file


class Upload:
    """One request's form: the file (spooled), its name, size and digest, and the fields."""

    def __init__(self, spool: IO[bytes], max_bytes: int) -> None:
        self.spool = spool
        self.max_bytes = max_bytes
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.size = 0
        self.file_digest = hashlib.sha256()
        self._part: str | None = None
        self._data = bytearray()
        self._pending: list[bytes] = []
        self._header = b""
        self._value = b""
        self._disposition = b""

    async def read(self, content_type: str, stream: AsyncIterator[bytes]) -> None:
        """Read the whole body from ``stream``; ``invalid`` for a body that is not a form."""
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise Invalid("send the import as multipart/form-data", field="body")
        callbacks: Any = {
            "on_part_begin": self._begin, "on_part_data": self._part_data,
            "on_part_end": self._end, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
        }  # fmt: skip
        parser = MultipartParser(boundary, callbacks)
        seen = 0
        try:
            async for chunk in stream:
                seen += len(chunk)
                if seen > self.max_bytes:
                    message = f"an import is at most {self.max_bytes:,} bytes"
                    raise PayloadTooLarge(message, limit=self.max_bytes)
                parser.write(chunk)
                await self._flush(WRITE_AT)
            parser.finalize()
        except FormParserError as exc:
            raise Invalid(f"the form cannot be read: {exc}", field="body") from exc
        await self._flush(0)
        if self.filename is None:
            raise Invalid("the form has no file part", field="file")
        self.spool.seek(0)

    def fingerprint(self) -> bytes:
        """What the form says, whatever its boundary: the fields, the file's name and digest."""
        parts = {
            "fields": self.fields,
            "filename": self.filename,
            "file": self.file_digest.hexdigest(),
        }
        return json.dumps(parts, sort_keys=True).encode()

    async def _flush(self, at_least: int) -> None:
        if self._pending and sum(map(len, self._pending)) >= at_least:
            data, self._pending = b"".join(self._pending), []
            await anyio.to_thread.run_sync(self.spool.write, data)

    def _begin(self) -> None:
        self._part, self._data, self._disposition = None, bytearray(), b""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        if self._header.lower() == b"content-disposition":
            self._disposition = self._value
        self._header, self._value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = _text(options.get(b"name", b""), "a part's name")
        if name == "file" and b"filename" in options and self.filename is None:
            self.filename = _text(options[b"filename"], "the file's name")
        elif name not in FIELDS or name in self.fields:
            raise Invalid(f"the form has an unknown or repeated part {name!r}", field=name)
        self._part = name

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._part == "file":
            self.file_digest.update(data[start:end])
            self._pending.append(data[start:end])
            self.size += end - start
            return
        self._data += data[start:end]
        if len(self._data) > MAX_FIELD:
            raise Invalid(f"the form field {self._part!r} is over {MAX_FIELD:,} bytes")

    def _end(self) -> None:
        if self._part is not None and self._part != "file":
            self.fields[self._part] = _text(bytes(self._data), f"the field {self._part!r}")


def _text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid(f"{what} is not UTF-8 text", field="body") from None


def text_of(spool: IO[bytes]) -> io.TextIOWrapper:
    """The spool file as text, as the CLI reads a file (a spreadsheet's BOM dropped)."""
    return io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")


def check_header(spool: IO[bytes], file_format: FileFormat, spec: Mapping[str, str]) -> None:
    """Refuse a CSV file whose header lacks a mapped column (``invalid_mapping``) now."""
    if file_format is FileFormat.CSV:
        stream = text_of(spool)
        try:
            read_rows(stream, file_format, parse_mapping(spec))
        except UnicodeDecodeError:
            raise Invalid("the file is not UTF-8 text", field="file") from None
        finally:
            stream.detach()
    spool.seek(0)


class FileSpool:
    """A dry run's row outcomes in a nameless file, one JSON line per batch."""

    def __init__(self, directory: Path) -> None:
        self.file = tempfile.TemporaryFile("w+", encoding="utf-8", dir=directory)

    def keep(self, outcomes: Sequence[RowOutcome]) -> None:
        """Keep one batch."""
        rows = [[o.line, o.outcome.value, o.contact_id, list(o.changes), o.code, o.message]
                for o in outcomes]  # fmt: skip
        self.file.write(json.dumps(rows, separators=(",", ":")) + "\n")

    def batches(self) -> Iterator[Sequence[RowOutcome]]:
        """The batches kept, in order."""
        self.file.seek(0)
        for text in self.file:
            yield [
                RowOutcome(line, Outcome(outcome), contact, tuple(changes), code, message)
                for line, outcome, contact, changes, code, message in json.loads(text)
            ]

    def close(self) -> None:
        """Let the file go."""
        self.file.close()


class ImportRunner:
    """Runs import jobs in background threads of this process, on the app's ledger."""

    def __init__(self, ledger: Ledger, settings: Settings) -> None:
        self.ledger = ledger
        self.directory = Path(settings.import_dir or tempfile.gettempdir())
        self.max_bytes = settings.import_max_bytes
        self.threads: dict[str, threading.Thread] = {}

    def spool(self) -> IO[bytes]:
        """A new nameless spool file (mode 0600) in the import directory."""
        self.directory.mkdir(parents=True, exist_ok=True)
        return tempfile.TemporaryFile("w+b", dir=self.directory)

    def start(
        self,
        principal: Principal,
        job: ImportJob,
        spool: IO[bytes],
        evidence: Mapping[str, Any] | None,
    ) -> None:
        """Run the job in a thread of its own; the thread closes the spool file."""
        work = threading.Thread(
            target=self._run, args=(principal, job, spool, evidence),
            name=f"import {job.id}", daemon=True,
        )  # fmt: skip
        self.threads = {k: t for k, t in self.threads.items() if t.is_alive()}
        self.threads[job.id] = work
        work.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait for every job this runner started (tests, a graceful stop)."""
        for work in list(self.threads.values()):
            work.join(timeout)

    def _run(
        self,
        principal: Principal,
        job: ImportJob,
        spool: IO[bytes],
        evidence: Mapping[str, Any] | None,
    ) -> None:
        stream = text_of(spool)
        held = FileSpool(self.directory) if job.dry_run else None
        try:
            self.ledger.run_import(
                principal, job, _rows(stream, job), evidence=evidence, spool=held
            )
        except Exception:  # recorded on the job where it could be; never lost silently
            log.exception("import job %s stopped", job.id)
        finally:
            stream.close()  # and the spool file under it: gone
            if held is not None:
                held.close()


def _rows(stream: io.TextIOWrapper, job: ImportJob) -> Iterator[Line]:
    """The file's rows, read only once the job runs, so whatever is wrong with the file ends
    the job with its code; a byte that is not UTF-8 ends it ``invalid``."""
    mapping = parse_mapping(job.mapping)
    try:
        yield from read_rows(stream, FileFormat(job.file_format), mapping)
    except UnicodeDecodeError:
        raise Invalid("the file is not UTF-8 text", field="file") from None
