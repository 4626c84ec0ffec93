"""Webhook signatures without HTTP: Twilio's published example, our HMAC-SHA256 scheme, and the
secrets they are checked with (read from the environment)."""

from __future__ import annotations

import pytest

from consentry.core.errors import SignatureInvalid
from consentry.inbound.signatures import (
    hmac_signature,
    twilio_signature,
    url_variants,
    verify_hmac,
    verify_twilio,
)

# twilio.com/docs/usage/webhooks/webhooks-security (recomputed in research/perf-reliability.md)
DOCS_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"


DOCS_PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+12349013030"),
    ("Digits", "1234"),
    ("From", "+12349013030"),
    ("To", "+18005551212"),
]


DOCS_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_twilios_published_example_computes_and_verifies():
    assert twilio_signature("12345", DOCS_URL, DOCS_PARAMS) == DOCS_SIGNATURE
    verify_twilio(["12345"], DOCS_URL, DOCS_PARAMS, DOCS_SIGNATURE)


def test_parameter_order_does_not_matter():
    verify_twilio(["12345"], DOCS_URL, list(reversed(DOCS_PARAMS)), DOCS_SIGNATURE)


@pytest.mark.parametrize(
    ("url", "params", "signature", "tokens"),
    [
        pytest.param(DOCS_URL, [*DOCS_PARAMS[:2], ("Digits", "9"), *DOCS_PARAMS[3:]],
                     DOCS_SIGNATURE, ["12345"], id="tampered-param"),
        pytest.param(DOCS_URL, [*DOCS_PARAMS, ("Body", "STOP")], DOCS_SIGNATURE, ["12345"],
                     id="added-param"),
        pytest.param(DOCS_URL, DOCS_PARAMS[1:], DOCS_SIGNATURE, ["12345"], id="removed-param"),
        pytest.param("https://evil.example/myapp.php?foo=1&bar=2", DOCS_PARAMS, DOCS_SIGNATURE,
                     ["12345"], id="other-host"),
        pytest.param("http://mycompany.com/myapp.php?foo=1&bar=2", DOCS_PARAMS, DOCS_SIGNATURE,
                     ["12345"], id="other-scheme"),
        pytest.param("https://mycompany.com/myapp.php?foo=1", DOCS_PARAMS, DOCS_SIGNATURE,
                     ["12345"], id="other-query"),
        pytest.param(DOCS_URL, DOCS_PARAMS, None, ["12345"], id="missing-header"),
        pytest.param(DOCS_URL, DOCS_PARAMS, "", ["12345"], id="empty-header"),
        pytest.param(DOCS_URL, DOCS_PARAMS, DOCS_SIGNATURE, ["54321"], id="other-token"),
        pytest.param(DOCS_URL, DOCS_PARAMS, DOCS_SIGNATURE, [], id="no-token-configured"),
        pytest.param(DOCS_URL, DOCS_PARAMS, DOCS_SIGNATURE.lower(), ["12345"], id="case"),
    ],
)  # fmt: skip
def test_anything_but_the_signed_request_is_refused(url, params, signature, tokens):
    with pytest.raises(SignatureInvalid) as refused:
        verify_twilio(tokens, url, params, signature)
    assert refused.value.code == "signature_invalid"


def test_any_of_several_tokens_verifies_during_a_rotation():
    verify_twilio(["new-token", "12345"], DOCS_URL, DOCS_PARAMS, DOCS_SIGNATURE)


def test_the_default_port_is_optional_either_way():
    assert url_variants("https://a.example/x") == [
        "https://a.example/x",
        "https://a.example:443/x",
    ]
    assert url_variants("https://a.example:443/x")[1] == "https://a.example/x"
    assert url_variants("https://a.example:8443/x") == ["https://a.example:8443/x"]
    with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
    verify_twilio(["12345"], with_port, DOCS_PARAMS, DOCS_SIGNATURE)


def test_url_variants_leave_other_schemes_alone():
    assert url_variants("ftp://files.example/x") == ["ftp://files.example/x"]


NOW = 1_767_603_600.0


def test_a_signed_fresh_generic_request_verifies():
    body = b'{"to": "+447700900900"}'
    stamp = str(int(NOW))
    verify_hmac(["s3cret"], stamp, hmac_signature("s3cret", stamp, body), body, NOW)


@pytest.mark.parametrize(
    ("stamp", "body", "secret"),
    [
        pytest.param(str(int(NOW)), b'{"to": "+447700900901"}', "s3cret", id="tampered-body"),
        pytest.param(str(int(NOW) - 301), b'{"to": "+447700900900"}', "s3cret", id="stale"),
        pytest.param(str(int(NOW) + 301), b'{"to": "+447700900900"}', "s3cret", id="future"),
        pytest.param(str(int(NOW)), b'{"to": "+447700900900"}', "other", id="other-secret"),
    ],
)
def test_a_tampered_stale_or_foreign_generic_request_is_refused(stamp, body, secret):
    signed_body = b'{"to": "+447700900900"}'
    signature = hmac_signature(secret, stamp, signed_body)
    with pytest.raises(SignatureInvalid):
        verify_hmac(["s3cret"], stamp, signature, body, NOW)


@pytest.mark.parametrize(("stamp", "signature"), [(None, "sha256=00"), ("1", None), ("x", "y")])
def test_missing_or_malformed_generic_headers_are_refused(stamp, signature):
    with pytest.raises(SignatureInvalid):
        verify_hmac(["s3cret"], stamp, signature, b"{}", NOW)


def test_no_generic_secret_configured_refuses_everything():
    with pytest.raises(SignatureInvalid):
        verify_hmac([], "1", "sha256=00", b"{}", 1.0)


def test_webhook_secrets_and_the_public_url_come_from_the_environment():
    from consentry.settings import Settings

    env = {
        "CONSENTRY_TWILIO_AUTH_TOKEN": "new-token, old-token",
        "CONSENTRY_INBOUND_SECRET": "whsec",
        "CONSENTRY_INBOUND_URL": "https://hooks.example/",
    }
    settings = Settings.from_env(env)
    assert settings.twilio_auth_tokens == ("new-token", "old-token")
    assert settings.inbound_secrets == ("whsec",)
    assert settings.inbound_url == "https://hooks.example"
    bare = Settings.from_env({})
    assert bare.twilio_auth_tokens == () and bare.inbound_url is None
