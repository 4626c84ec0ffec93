"""Addresses: email validation and E.164 mobile numbers with well-kept libraries.

``email-validator`` checks syntax (RFC 5322/6531) without a DNS look-up and we store the
address lower-cased; ``phonenumbers`` (libphonenumber's metadata) turns what people type into
E.164. The keyed hash of a normalised address is the lookup key that survives erasure.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from consentry.core.channels import AddressKind
from consentry.core.errors import InvalidEmail, InvalidMobile

#: The plain addresses most files hold: an ASCII dot-atom local part that starts and ends with a
#: letter or digit, and a domain of letter-digit-hyphen labels under a TLD of letters. For these
#: email-validator's answer is the address lower-cased, so it is computed without it (an import
#: normalises a million of them); anything else goes through email-validator.
_PLAIN = re.compile(
    r"(?P<local>[a-z0-9](?:[a-z0-9._+-]{0,62}[a-z0-9])?)"
    r"@(?P<domain>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?P<tld>[a-z]{2,63}))"
)
_SPECIAL = frozenset(SPECIAL_USE_DOMAIN_NAMES)
assert all("." not in d for d in _SPECIAL), "the special-use check compares one label"


def plain_email(value: str) -> str | None:
    """The normalised form of a plain ASCII address, or None when it needs email-validator."""
    text = value.strip().lower()
    match = _PLAIN.fullmatch(text)
    if match is None or len(text) > 254 or len(match["domain"]) > 253:
        return None
    domain = match["domain"]
    if ".." in match["local"] or "--" in domain:  # dot rules; IDNA (xn--) labels
        return None
    if domain.rpartition(".")[2] in _SPECIAL:  # each special-use name is one label
        return None
    return text


class Addresses:
    """Normalisation and keyed hashing of contact addresses."""

    def __init__(self, key: bytes, default_region: str | None = None) -> None:
        self._key = key
        self.default_region = default_region

    def email(self, value: str) -> str:
        """A valid email address, lower-cased."""
        plain = plain_email(value)
        if plain is not None:
            return plain
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
