"""CSV a spreadsheet opens as text: the one rule against formula injection (OWASP: CSV injection).

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and some begin one
after a tab or a carriage return) as a formula, and some values in Consentry's files are typed
by people (a name, who recorded an event). Every CSV file Consentry writes puts each cell
through ``neutral``: such a cell gets a leading ``'``, which a spreadsheet takes as "text" and
does not show. A cell that already begins with ``'`` gets one too, so the quote is always the
marker and nothing is lost: ``original`` takes exactly one leading ``'`` off and gives back the
value (decisions 062, 068).

=============  =============  ====================================
value          cell           a spreadsheet shows
=============  =============  ====================================
``=1+2``       ``'=1+2``      ``=1+2``, as text
``'quoted``    ``''quoted``   ``'quoted``
``Ada``        ``Ada``        ``Ada``
=============  =============  ====================================
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

#: What a spreadsheet may take for the start of a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_QUOTED = (*FORMULA_STARTS, QUOTE)


def neutral(cell: str) -> str:
    """A cell a spreadsheet will show as text: a leading ``'`` before ``= + - @``, tab, CR or
    a ``'`` of its own."""
    return QUOTE + cell if cell.startswith(_QUOTED) else cell


def original(cell: str) -> str:
    """The value a ``neutral`` cell was made from (for programs reading the file back)."""
    return cell[1:] if cell.startswith(QUOTE) else cell


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    """Rows as CSV text: every cell quoted and neutralised, lines ended with CR LF (RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerows([neutral(cell) for cell in row] for row in rows)
    return out.getvalue()
