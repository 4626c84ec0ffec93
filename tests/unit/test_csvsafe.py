"""The one rule against formulas in CSV (``core/csvsafe.py``) and the export's cells (068)."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consentry.core.csvsafe import FORMULA_STARTS, csv_text, neutral, original
from consentry.core.errors import Invalid
from consentry.core.exports import ExportFormat, cell, encode, header, parse_format


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+2", "'=1+2"), ("+44", "'+44"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"), ("\rx", "'\rx"), ("'quoted", "''quoted"), ("Ada", "Ada"), ("", ""),
        ("a=b", "a=b"),
    ],
)  # fmt: skip
def test_a_cell_a_spreadsheet_would_run_or_unquote_gets_one_quote(value, safe):
    assert neutral(value) == safe
    assert original(safe) == value


@given(st.text())
def test_every_value_comes_back_from_its_neutral_csv_cell(value):
    (row,) = csv.reader(io.StringIO(csv_text([[value]]), newline=""))
    assert not row[0].startswith(FORMULA_STARTS)
    assert original(row[0]) == value


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), ("x", "x"), (3, "3"), (["a", "b"], '["a","b"]'), ({"é": 1}, '{"é":1}')],
)
def test_a_field_is_written_as_csv_text(value, text):
    assert cell(value) == text


def test_both_formats_write_the_same_fields_in_column_order():
    records = [{"b": None, "a": "=x"}]
    assert header(ExportFormat.CSV, ("a", "b")) == '"a","b"\r\n'
    assert header(ExportFormat.NDJSON, ("a", "b")) == ""
    assert encode(ExportFormat.CSV, ("a", "b"), records) == '"\'=x",""\r\n'
    assert encode(ExportFormat.NDJSON, ("a", "b"), records) == '{"a":"=x","b":null}\n'
    assert encode(ExportFormat.NDJSON, ("a",), [{"a": "\u2028"}]) == '{"a":"\\u2028"}\n'


def test_a_format_is_read_leniently_and_an_unknown_one_refused():
    assert parse_format(" NDJSON ") is ExportFormat.NDJSON
    assert parse_format(ExportFormat.CSV) is ExportFormat.CSV
    with pytest.raises(Invalid) as refused:
        parse_format("xlsx")
    assert refused.value.code == "invalid" and refused.value.details["field"] == "format"
