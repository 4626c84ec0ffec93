"""Addresses: email validation and E.164 mobile numbers with well-kept libraries.

``email-validator`` checks syntax (RFC 5322/6531) without a DNS look-up and we store the
address lower-cased; ``phonenumbers`` (libphonenumber's metadata) turns what people type into
E.164. The keyed hash of a normalised address is the lookup key that survives erasure.
"""

from __future__ import annotations

import hashlib
import hmac

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from consentry.core.channels import AddressKind
from consentry.core.errors import InvalidEmail, InvalidMobile


class Addresses:
    """Normalisation and keyed hashing of contact addresses."""

    def __init__(self, key: bytes, default_region: str | None = None) -> None:
        self._key = key
        self.default_region = default_region

    def email(self, value: str) -> str:
        """A valid email address, lower-cased."""
        try:
            result = validate_email(value.strip(), check_deliverability=False)
        except EmailNotValidError as exc:
            raise InvalidEmail(f"{value!r} is not a valid email address: {exc}") from exc
        return result.normalized.lower()

    def mobile(self, value: str, region: str | None = None) -> str:
        """A possible phone number in E.164 (a leading + needs no region)."""
        try:
            number = phonenumbers.parse(value.strip(), region or self.default_region)
        except phonenumbers.NumberParseException as exc:
            raise InvalidMobile(f"{value!r} is not a phone number: {exc}") from exc
        if not phonenumbers.is_possible_number(number):
            raise InvalidMobile(f"{value!r} is not a possible phone number")
        return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))

    def digest(self, kind: AddressKind, value: str) -> str:
        """HMAC-SHA256 of the kind and the normalised address under the deployment's key."""
        message = f"{kind.value}:{value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
