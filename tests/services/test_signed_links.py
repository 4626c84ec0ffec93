"""Signed links without HTTP: roundtrip, tampering, unknown keys, expiry, rotation."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from consentry.adapters.links import LinkSigner, parse_keys
from consentry.core.channels import Channel
from consentry.core.errors import Invalid, LinkExpired, LinkInvalid
from consentry.core.links import LinkClaims, LinkPurpose
from tests.factories import T0

OLD = ("k1", bytes.fromhex("11" * 32))


NEW = ("k2", bytes.fromhex("22" * 32))


CLAIMS = LinkClaims(
    LinkPurpose.UNSUBSCRIBE,
    "ct_ada",
    "acme/newsletters/ada",
    (Channel.EMAIL, Channel.SMS),
    T0 + timedelta(days=1),
)


def _flip(text: str, at: int) -> str:
    """``text`` with one character changed."""
    swap = "A" if text[at] != "A" else "B"
    return text[:at] + swap + text[at + 1 :]


def test_a_signed_link_verifies_to_its_claims():
    signer = LinkSigner([NEW])
    assert signer.verify(signer.sign(CLAIMS), T0) == CLAIMS


@pytest.mark.parametrize("part", [0, 1, 2])
def test_changing_any_part_of_a_link_makes_it_invalid(part):
    signer = LinkSigner([NEW, ("k3", bytes.fromhex("33" * 32))])
    parts = signer.sign(CLAIMS).split(".")
    parts[part] = "k3" if part == 0 else _flip(parts[part], len(parts[part]) // 2)
    with pytest.raises(LinkInvalid):
        signer.verify(".".join(parts), T0)


def test_a_rewritten_payload_with_the_old_signature_is_invalid():
    signer = LinkSigner([NEW])
    kid, payload, sig = signer.sign(CLAIMS).split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    body["c"] = "ct_mallory"
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    with pytest.raises(LinkInvalid) as caught:
        signer.verify(f"{kid}.{forged}.{sig}", T0)
    assert caught.value.code == "link_invalid"


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c.d", "k2.!!!.???", "k2..", "k2.e30.x"])
def test_malformed_links_are_invalid(token):
    with pytest.raises(LinkInvalid):
        LinkSigner([NEW]).verify(token, T0)


def test_a_link_signed_with_an_unknown_key_is_invalid():
    token = LinkSigner([("other", bytes.fromhex("44" * 32))]).sign(CLAIMS)
    with pytest.raises(LinkInvalid):
        LinkSigner([NEW, OLD]).verify(token, T0)


def test_a_link_past_its_expiry_is_expired_not_invalid():
    signer = LinkSigner([NEW])
    token = signer.sign(CLAIMS)
    assert signer.verify(token, CLAIMS.expires_at - timedelta(seconds=1)) == CLAIMS
    with pytest.raises(LinkExpired) as caught:
        signer.verify(token, CLAIMS.expires_at)
    assert caught.value.code == "link_expired"


def test_after_rotation_the_new_key_signs_and_the_old_still_verifies():
    before = LinkSigner([OLD]).sign(CLAIMS)
    rotated = LinkSigner([NEW, OLD])
    assert rotated.verify(before, T0) == CLAIMS
    after = rotated.sign(CLAIMS)
    assert after.startswith("k2.")
    assert LinkSigner([NEW]).verify(after, T0) == CLAIMS
    with pytest.raises(LinkInvalid):
        LinkSigner([NEW]).verify(before, T0)  # the old key removed: its links stop working


def test_keys_are_read_from_settings_text_newest_first():
    keys = parse_keys(f"k2:{'22' * 32}, k1:{'11' * 32}")
    assert keys == [NEW, OLD]


@pytest.mark.parametrize(
    "text", ["k1", "k1:zz", "k1:abcd", "bad kid:" + "11" * 32, f"k1:{'11' * 32},k1:{'22' * 32}"]
)
def test_malformed_key_settings_are_refused(text):
    with pytest.raises(Invalid):
        parse_keys(text)


def test_urls_point_at_the_hosted_pages():
    signer = LinkSigner([NEW], "https://consent.example.com/")
    assert signer.url(CLAIMS).startswith("https://consent.example.com/u/k2.")
    confirm = LinkClaims(LinkPurpose.CONFIRM, "ct_ada", "acme", (Channel.EMAIL,), CLAIMS.expires_at)
    assert signer.url(confirm).startswith("https://consent.example.com/confirm/k2.")
