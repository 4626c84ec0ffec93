"""Reading an import's file: CSV (with a header row) or NDJSON (one JSON object a line).

Each reader yields ``(line, cells)`` pairs in file order, streamed (memory flat in file size):
``line`` is the line number a person finds the row at, ``cells`` the row by column name — or
the ``Invalid`` that says why that line could not be read (a bad JSON line, a row with more
cells than the header has columns), so the import reports it and goes on. A CSV file whose
header lacks a mapped column is refused before any row is read (``invalid_mapping``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from enum import StrEnum
from typing import Any, TextIO

from consentry.core import limits
from consentry.core.errors import Invalid, InvalidMapping
from consentry.core.imports import ColumnMapping

Line = tuple[int, dict[str, Any] | Invalid]
MAX_LINE = 1024 * 1024  #: the longest NDJSON line, in characters (one row never needs more)
csv.field_size_limit(MAX_LINE)


class FileFormat(StrEnum):
    """The formats an import reads. Add, never rename or remove."""

    CSV = "csv"
    NDJSON = "ndjson"


def read_rows(stream: TextIO, file_format: FileFormat, mapping: ColumnMapping) -> Iterator[Line]:
    """The rows of a file in either format."""
    if file_format is FileFormat.CSV:
        return read_csv(stream, mapping)
    return read_ndjson(stream)


def read_csv(stream: TextIO, mapping: ColumnMapping) -> Iterator[Line]:
    """The rows of a CSV file with a header row, by header name."""
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        raise Invalid("the file is empty: a CSV import starts with a header row", field="file")
    names = [h.strip().lstrip("\ufeff") for h in header]  # a spreadsheet's byte-order mark
    missing = [c for c in mapping.columns if c not in names]
    if missing:
        raise InvalidMapping(
            f"the file has no column {', '.join(map(repr, missing))}", field="mapping"
        )
    return _csv_rows(reader, names)


def _csv_rows(reader: Any, names: list[str]) -> Iterator[Line]:
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) > len(names):
            yield line, Invalid(f"line {line} has more cells than the header", field="file")
            continue
        yield line, dict(zip(names, cells, strict=False))


def read_ndjson(stream: TextIO) -> Iterator[Line]:
    """The rows of an NDJSON file: each non-blank line one JSON object."""
    for line, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        yield line, _object(line, text)


def _object(line: int, text: str) -> dict[str, Any] | Invalid:
    if len(text) > MAX_LINE:
        return Invalid(f"line {line} is longer than {MAX_LINE} characters", field="file")
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except ValueError as exc:
        return Invalid(f"line {line} is not JSON: {exc}", field="file")
    if not isinstance(value, dict):
        return Invalid(f"line {line} is not a JSON object", field="file")
    try:
        limits.bounded_json(value, field=f"line {line}", error=Invalid, max_bytes=MAX_LINE)
    except Invalid as exc:
        return exc
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")
