"""The deliverability feeds' signatures: SNS (RSA over X.509), SendGrid (ECDSA), Postmark (Basic).

Amazon SNS (docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html): the
message's fields, in this order and only those present, each as ``name\\nvalue\\n``
(Notification: Message, MessageId, Subject, Timestamp, TopicArn, Type; SubscriptionConfirmation
and UnsubscribeConfirmation: Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type)
are signed with the key of the certificate at ``SigningCertURL``: ``SignatureVersion`` 1 is
SHA1withRSA, 2 is SHA256withRSA (PKCS #1 v1.5), the signature Base64. The URL must be HTTPS on
an ``sns.<region>.amazonaws.com`` host, else it is not fetched at all. The certificate comes
from a ``CertificateSource``: a configured PEM file or directory (``CONSENTRY_SNS_CERTIFICATES``;
the tests sign with their own), or an HTTPS fetch of the verified URL, cached.

SendGrid (twilio.com/docs/sendgrid/for-developers/tracking-events/, "Getting started with the
Event Webhook security features"): ``X-Twilio-Email-Event-Webhook-Signature`` is Base64 of
the DER ECDSA signature, P-256 with SHA-256, over ``X-Twilio-Email-Event-Webhook-Timestamp``
followed by the raw body; the public key is the Base64 DER key SendGrid shows (or a PEM).

Postmark (postmarkapp.com/developer/webhooks/webhooks-overview): HTTP Basic credentials put in
the webhook's URL; compared in constant time with every configured pair.

Every refusal is ``signature_invalid`` (403).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Protocol
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from consentry.core.errors import SignatureInvalid

SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
SNS_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
    "UnsubscribeConfirmation": (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
}  # fmt: skip
SNS_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
MAX_CERTIFICATE = 16 * 1024
FETCH_TIMEOUT = 5.0


class CertificateSource(Protocol):
    """Where an SNS signing certificate (PEM) comes from, by its verified URL."""

    def pem(self, url: str) -> bytes:
        """The PEM certificate at ``url``; ``SignatureInvalid`` when there is none."""
        ...


class PemFile:
    """One configured certificate, used for every verified URL (tests, a pinned deployment)."""

    def __init__(self, path: Path) -> None:
        self.data = path.read_bytes()

    def pem(self, url: str) -> bytes:
        """The configured certificate, whatever the URL."""
        del url
        return self.data


class PemDirectory:
    """Configured certificates, each named as its URL's last path segment."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def pem(self, url: str) -> bytes:
        """The certificate named as ``url``'s last segment, or ``SignatureInvalid``."""
        name = PurePosixPath(urlsplit(url).path).name
        found = self.path / name
        if not name or not found.is_file():
            raise SignatureInvalid(f"no SNS certificate {name!r} is configured", certificate=name)
        return found.read_bytes()


class HttpsFetch:
    """The certificate fetched from its verified ``sns.*`` URL, kept in memory afterwards."""

    def __init__(self) -> None:
        self.cache: dict[str, bytes] = {}

    def pem(self, url: str) -> bytes:  # pragma: no cover - the tests never use the network
        """The PEM at ``url`` (fetched once; at most 16 KiB, 5 s)."""
        if url not in self.cache:
            try:
                with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as answer:
                    self.cache[url] = answer.read(MAX_CERTIFICATE + 1)[:MAX_CERTIFICATE]
            except OSError as exc:
                raise SignatureInvalid("the SNS signing certificate could not be fetched") from exc
        return self.cache[url]


def certificate_source(configured: str | None) -> CertificateSource:
    """The source ``CONSENTRY_SNS_CERTIFICATES`` names: a PEM file, a directory, or HTTPS."""
    if configured is None:
        return HttpsFetch()
    path = Path(configured)
    return PemDirectory(path) if path.is_dir() else PemFile(path)


def check_sns_url(url: str) -> str:
    """``url`` when it is an HTTPS URL of an ``sns.<region>.amazonaws.com`` host (a .pem)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "https" or not SNS_HOST.match(host) or parts.port not in (None, 443):
        raise SignatureInvalid("SigningCertURL is not an HTTPS URL of an sns.*.amazonaws.com host")
    if not parts.path.endswith(".pem") or parts.username or parts.password:
        raise SignatureInvalid("SigningCertURL does not name a .pem certificate")
    return url


def sns_string_to_sign(message: Mapping[str, str]) -> bytes:
    """The canonical text SNS signs: each present field of the type as ``name\\nvalue\\n``."""
    fields = SNS_FIELDS.get(message.get("Type", ""))
    if fields is None:
        raise SignatureInvalid("the SNS message's Type is not one SNS signs")
    return "".join(f"{n}\n{message[n]}\n" for n in fields if n in message).encode()


def verify_sns(message: Mapping[str, str], source: CertificateSource) -> None:
    """Refuse an SNS message whose signature does not verify with its certificate."""
    algorithm = SNS_HASHES.get(message.get("SignatureVersion", ""))
    if algorithm is None:
        raise SignatureInvalid("the SNS SignatureVersion must be 1 or 2")
    url = check_sns_url(message.get("SigningCertURL", ""))
    signature = _b64(message.get("Signature", ""), "Signature")
    try:
        key = x509.load_pem_x509_certificate(source.pem(url)).public_key()
    except ValueError:
        raise SignatureInvalid("the SNS signing certificate is not a PEM certificate") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureInvalid("the SNS signing certificate does not hold an RSA key")
    try:
        key.verify(signature, sns_string_to_sign(message), padding.PKCS1v15(), algorithm())
    except InvalidSignature:
        raise SignatureInvalid("the SNS message's signature does not match") from None


def sendgrid_key(configured: str) -> ec.EllipticCurvePublicKey:
    """A SendGrid verification key: Base64 DER as SendGrid shows it, or a PEM."""
    text = configured.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = serialization.load_der_public_key(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error):
        raise SignatureInvalid("the configured SendGrid key is not a public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise SignatureInvalid("the configured SendGrid key is not an ECDSA key")
    return key


def verify_sendgrid(
    keys: Sequence[str], signature: str | None, timestamp: str | None, body: bytes
) -> None:
    """Refuse a SendGrid event webhook whose ECDSA signature no configured key verifies."""
    if not signature or not timestamp:
        raise SignatureInvalid("X-Twilio-Email-Event-Webhook-Signature and -Timestamp are required")
    der = _b64(signature, "X-Twilio-Email-Event-Webhook-Signature")
    signed = timestamp.encode() + body
    for configured in keys:
        try:
            sendgrid_key(configured).verify(der, signed, ec.ECDSA(hashes.SHA256()))
            return
        except InvalidSignature:
            continue
    raise SignatureInvalid("the SendGrid event webhook's signature does not match")


def verify_basic(credentials: Sequence[str], authorization: str | None) -> None:
    """Refuse a request whose HTTP Basic credentials match no configured ``user:password``."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic" or not value:
        raise SignatureInvalid("HTTP Basic credentials are required")
    given = _b64(value.strip(), "Authorization")
    matched = False
    for pair in credentials:  # every pair compared, in constant time
        matched |= hmac.compare_digest(pair.encode(), given)
    if not matched:
        raise SignatureInvalid("the HTTP Basic credentials do not match")


def _b64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureInvalid(f"{field} is not Base64") from None
