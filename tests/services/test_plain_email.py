"""The fast path for plain email addresses gives exactly email-validator's answer (decision 070).

An import normalises every address of a file, and email-validator costs ~30 µs an address; a
plain ASCII address is normalised without it. Property: whenever the fast path answers, the
address is valid and the answer is email-validator's, lower-cased.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from consentry.adapters.addresses import plain_email

LABEL = st.text(alphabet="abcXYZ019-", min_size=1, max_size=70)
LOCAL = st.text(alphabet="abcQ09._+-", min_size=1, max_size=70)
TLD = st.sampled_from(["com", "uk", "Test", "local", "x", "c0m", "onion", "xn--p1ai", "arpa"])


def slow(value: str) -> str | None:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


@settings(max_examples=3000, deadline=None)
@given(local=LOCAL, labels=st.lists(LABEL, min_size=0, max_size=4), tld=TLD)
def test_the_fast_path_agrees_with_email_validator(local: str, labels: list[str], tld: str) -> None:
    address = f"{local}@{'.'.join([*labels, tld])}"
    fast = plain_email(address)
    if fast is not None:
        assert fast == slow(address)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="aB0.@-+_ \u00e9", max_size=40))
def test_anything_the_fast_path_accepts_is_valid(value: str) -> None:
    fast = plain_email(value)
    if fast is not None:
        assert fast == slow(value)


def test_the_fast_path_answers_the_plain_addresses_and_leaves_the_rest() -> None:
    assert plain_email(" Ada.Lovelace+news@Example.CO.UK ") == "ada.lovelace+news@example.co.uk"
    for other in ("a..b@x.com", "a@localhost", "a@x.test", "a@xn--bcher-kva.ch", "-a@x.com",
                  "ada@bücher.ch", "a@1.2", "a" * 65 + "@x.com"):  # fmt: skip
        assert plain_email(other) is None
