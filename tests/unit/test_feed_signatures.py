"""The feeds' signature checks: SNS RSA over its canonical string, SendGrid ECDSA, Postmark Basic.

Signed here with a test RSA key and its self-signed certificate (SNS) and a test P-256 key
(SendGrid); ``sns_message``, ``sendgrid_headers`` and ``basic`` are also what the feed tests sign
with.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from consentry.core.channels import Channel
from consentry.core.errors import Invalid, SignatureInvalid
from consentry.core.feeds import Feed, FeedConfig, FeedKind, FeedReport, parse_feeds
from consentry.inbound.feed_signatures import (
    PemDirectory,
    PemFile,
    certificate_source,
    check_sns_url,
    sendgrid_key,
    sns_string_to_sign,
    verify_basic,
    verify_sendgrid,
    verify_sns,
)
from consentry.settings import Settings

CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000.pem"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:acme-ses"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
SENDGRID_PUBLIC = base64.b64encode(
    EC_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()


def certificate_pem(key: rsa.RSAPrivateKey = RSA_KEY) -> bytes:
    """A self-signed certificate for ``key``, as SNS's signing certificate."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def sns_message(
    message: str,
    *,
    type_: str = "Notification",
    message_id: str = "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
    topic: str = TOPIC,
    version: str = "1",
    key: rsa.RSAPrivateKey = RSA_KEY,
    url: str = CERT_URL,
) -> dict[str, str]:
    """An SNS message as AWS documents it, signed with ``key``."""
    fields: dict[str, str] = {
        "Type": type_,
        "MessageId": message_id,
        "TopicArn": topic,
        "Message": message,
        "Timestamp": "2026-01-05T09:00:00.000Z",
        "SignatureVersion": version,
        "SigningCertURL": url,
    }
    if type_ == "Notification":
        fields["UnsubscribeURL"] = "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe"
    else:
        fields["Token"] = "2336412f37fb687f5d51e6e2425c464de12884"
        fields["SubscribeURL"] = (
            "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn="
            + topic
            + "&Token=2336412f37fb687f5d51e6e2425c464de12884"
        )
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    signature = key.sign(sns_string_to_sign(fields), padding.PKCS1v15(), algorithm)
    fields["Signature"] = base64.b64encode(signature).decode()
    return fields


def sendgrid_headers(body: bytes, stamp: str = "1767603600", key: Any = EC_KEY) -> dict[str, str]:
    """SendGrid's two signature headers for ``body``."""
    signature = key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "Content-Type": "application/json",
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
    }


def basic(user: str, password: str) -> str:
    """An HTTP Basic ``Authorization`` header value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def pem_file(tmp_path: Path) -> PemFile:
    path = tmp_path / "sns.pem"
    path.write_bytes(certificate_pem())
    return PemFile(path)


# ── SNS ──
@pytest.mark.parametrize("version", ["1", "2"])
def test_an_sns_message_signed_with_either_version_verifies(pem_file: PemFile, version: str):
    verify_sns(sns_message('{"notificationType": "Bounce"}', version=version), pem_file)


def test_a_subscription_confirmation_is_signed_over_its_own_fields(pem_file: PemFile):
    verify_sns(
        sns_message("You have chosen to subscribe", type_="SubscriptionConfirmation"), pem_file
    )


def test_the_canonical_string_lists_the_present_fields_in_order():
    fields = {"Type": "Notification", "MessageId": "m", "Message": "x", "Timestamp": "t"}
    fields["TopicArn"] = "arn"
    expected = "Message\nx\nMessageId\nm\nTimestamp\nt\nTopicArn\narn\nType\nNotification\n"
    assert sns_string_to_sign(fields) == expected.encode()


@pytest.mark.parametrize(
    "change",
    [
        {"Message": '{"notificationType": "Complaint"}'},
        {"TopicArn": "arn:aws:sns:eu-west-1:666666666666:other"},
        {"SignatureVersion": "3"},
        {"Signature": "not base64!"},
        {"Type": "Surprise"},
    ],
)
def test_a_changed_sns_message_is_refused(pem_file: PemFile, change: dict[str, str]):
    message = {**sns_message('{"notificationType": "Bounce"}'), **change}
    with pytest.raises(SignatureInvalid):
        verify_sns(message, pem_file)


def test_a_message_signed_by_another_key_is_refused(pem_file: PemFile):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(SignatureInvalid):
        verify_sns(sns_message("{}", key=other), pem_file)


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem",
        "https://evil.example/sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com:8443/cert.pem",
        "https://user@sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com/cert.txt",
        "",
    ],
)
def test_a_certificate_url_outside_sns_is_refused(url: str):
    with pytest.raises(SignatureInvalid):
        check_sns_url(url)


def test_the_china_regions_certificate_host_is_accepted():
    assert check_sns_url("https://sns.cn-north-1.amazonaws.com.cn/c.pem").endswith(".pem")


def test_a_directory_of_certificates_is_keyed_by_the_urls_last_segment(tmp_path: Path):
    (tmp_path / "SimpleNotificationService-0000000000000000.pem").write_bytes(certificate_pem())
    source = certificate_source(str(tmp_path))
    assert isinstance(source, PemDirectory)
    verify_sns(sns_message("{}"), source)
    other = CERT_URL.replace("0000000000000000", "1111111111111111")
    with pytest.raises(SignatureInvalid):
        verify_sns(sns_message("{}", url=other), source)


def test_a_file_that_is_not_a_certificate_is_refused(tmp_path: Path):
    path = tmp_path / "broken.pem"
    path.write_bytes(b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
    with pytest.raises(SignatureInvalid):
        verify_sns(sns_message("{}"), certificate_source(str(path)))


def test_a_certificate_holding_no_rsa_key_is_refused(tmp_path: Path):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(EC_KEY.public_key()).serial_number(1)
        .not_valid_before(now).not_valid_after(now + timedelta(days=1))
        .sign(EC_KEY, hashes.SHA256())
    )  # fmt: skip
    path = tmp_path / "ec.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(SignatureInvalid):
        verify_sns(sns_message("{}"), PemFile(path))


# ── SendGrid ──
def test_a_sendgrid_batch_signed_with_the_key_verifies():
    body = b'[{"email": "ada@example.com", "event": "bounce"}]'
    headers = sendgrid_headers(body)
    verify_sendgrid(
        [SENDGRID_PUBLIC],
        headers["X-Twilio-Email-Event-Webhook-Signature"],
        headers["X-Twilio-Email-Event-Webhook-Timestamp"],
        body,
    )


def test_a_pem_public_key_verifies_too():
    pem = EC_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    headers = sendgrid_headers(b"[]")
    verify_sendgrid(
        ["  " + pem.decode()],
        headers["X-Twilio-Email-Event-Webhook-Signature"],
        "1767603600",
        b"[]",
    )


@pytest.mark.parametrize(
    ("stamp", "body"), [("1767603601", b"[]"), ("1767603600", b"[ ]")], ids=["stamp", "body"]
)
def test_a_changed_timestamp_or_body_is_refused(stamp: str, body: bytes):
    signature = sendgrid_headers(b"[]")["X-Twilio-Email-Event-Webhook-Signature"]
    with pytest.raises(SignatureInvalid):
        verify_sendgrid([SENDGRID_PUBLIC], signature, stamp, body)


def test_missing_sendgrid_headers_are_refused():
    with pytest.raises(SignatureInvalid):
        verify_sendgrid([SENDGRID_PUBLIC], None, "1767603600", b"[]")


def test_a_key_during_a_rotation_verifies_after_an_old_one():
    old = ec.generate_private_key(ec.SECP256R1())
    signature = sendgrid_headers(b"[]", key=old)["X-Twilio-Email-Event-Webhook-Signature"]
    old_public = old.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    verify_sendgrid(
        [SENDGRID_PUBLIC, base64.b64encode(old_public).decode()], signature, "1767603600", b"[]"
    )


@pytest.mark.parametrize("configured", ["not a key", base64.b64encode(b"junk").decode()])
def test_a_configured_key_that_is_not_a_public_key_is_refused(configured: str):
    with pytest.raises(SignatureInvalid):
        sendgrid_key(configured)


def test_a_configured_rsa_key_is_not_a_sendgrid_key():
    der = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(SignatureInvalid):
        sendgrid_key(base64.b64encode(der).decode())


# ── Postmark ──
def test_matching_basic_credentials_pass():
    verify_basic(["old:one", "postmark:s3cret"], basic("postmark", "s3cret"))


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer x", "Basic", "Basic !!!", basic("postmark", "wrong")],
)
def test_wrong_or_missing_basic_credentials_are_refused(header: str | None):
    with pytest.raises(SignatureInvalid):
        verify_basic(["postmark:s3cret"], header)


# ── the feeds file (core/feeds.py) ──
FEEDS_TOML = """
[acme]
ses_topic_arns = ["arn:aws:sns:eu-west-1:123456789012:acme-ses"]
postmark_credentials = ["postmark:s3cret"]
twilio = true

[globex]
sendgrid_public_keys = ["MFkw"]
"""


def test_the_feeds_file_configures_each_groups_feeds():
    acme, globex = parse_feeds(FEEDS_TOML)
    assert acme == FeedConfig(
        "acme", ses_topic_arns=(TOPIC,), postmark_credentials=("postmark:s3cret",), twilio=True
    )
    assert [f for f in Feed if acme.enabled(f)] == [Feed.SES, Feed.POSTMARK, Feed.TWILIO]
    assert [f for f in Feed if globex.enabled(f)] == [Feed.SENDGRID]


def test_the_settings_read_the_feeds_file(tmp_path: Path):
    path = tmp_path / "feeds.toml"
    path.write_text(FEEDS_TOML)
    settings = Settings.from_env({"CONSENTRY_FEEDS_FILE": str(path)})
    assert settings.feed_config("globex") is not None
    assert settings.feed_config("initech") is None
    assert Settings.from_env({}).feeds == ()


@pytest.mark.parametrize(
    "text",
    [
        "[acme",  # not TOML
        "[acme]\nses = ['x']",  # unknown key
        "[acme]\ntwilio = 'yes'",
        "[acme]\npostmark_credentials = 'postmark:s3cret'",  # not a list
        "[acme]\npostmark_credentials = ['']",
        "[acme]\npostmark_credentials = " + str(["k"] * 9),  # too many
        "acme = 1",  # not a table
        "['acme/news']\ntwilio = true",  # not a group
    ],
)
def test_a_wrong_feeds_file_is_refused(text: str):
    with pytest.raises(Invalid):
        parse_feeds(text)


def test_a_report_needs_the_providers_event_id():
    with pytest.raises(Invalid):
        FeedReport(
            feed=Feed.SES, group_id="acme", event_id=" ", kind=FeedKind.BOUNCE,
            channel=Channel.EMAIL, address="ada@example.com",
        )  # fmt: skip
