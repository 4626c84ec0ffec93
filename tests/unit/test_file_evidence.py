"""The import's file evidence, made canonical once (``import_batch.FileEvidence``): each row's
text is exactly what ``canonical_evidence`` makes of the row's own evidence dictionary."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from consentry.core.events import canonical_evidence
from consentry.ledger.import_batch import FileEvidence

TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


@given(st.dictionaries(TEXT, VALUES, max_size=6), st.integers(1, 10**9))
def test_each_rows_text_is_the_canonical_evidence_of_its_dictionary(evidence, line) -> None:
    file = FileEvidence.of(evidence, "im_0001")
    marks = {"import_id": "im_0001", "import_row": str(line)}
    assert file.text(file.opt_in, line) == canonical_evidence({**evidence, **marks})
    assert file.text(file.opt_out, line) == canonical_evidence(marks)


def test_the_stand_in_is_unique_to_each_import_and_replaced_once() -> None:
    first, second = FileEvidence.of({}, "im_1"), FileEvidence.of({}, "im_1")
    assert first.stand_in != second.stand_in
    sneaky = {"note": json.loads(first.stand_in)}  # the evidence holds the other's stand-in
    file = FileEvidence.of(sneaky, "im_1")
    assert json.loads(file.text(file.opt_in, 7))["note"] == json.loads(first.stand_in)
