"""The broadcast form (SPEC §6; seeds/001, 004): a channel, a sender scope and an audience, read
from the query string and checked once, here (docs/decisions/063).

The audience is a list, attributes (``key=value``, one a line, at most
``limits.MAX_SEGMENT_ATTRIBUTES``: every one must hold), pasted addresses (email addresses and
mobile numbers, one a line, in any format; a mobile is read in the deployment's default region),
or several of them together, which narrow one another (AND, as in ``Segment``); none means every
contact of the group. A pasted line that is not an address is set aside and shown; it never
widens the audience.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import ImmutableMultiDict

from consentry.core import limits
from consentry.core.audience import Segment
from consentry.core.channels import Channel, parse_channel
from consentry.core.eligibility import Category
from consentry.core.errors import Invalid, InvalidEmail, InvalidMobile
from consentry.core.scopes import Scope
from consentry.core.users import StaffSession
from consentry.ledger import Ledger
from consentry.staff.views import CHANNELS, shown_channels

MAX_PASTED = 10_000  #: pasted lines (the API takes up to ``limits.MAX_UPLOAD``)
MAX_SCOPES = 500  #: sender scopes offered in the select
EXAMPLE_ADDRESSES = 10  #: pasted addresses written into the API example
ATTRIBUTE = limits.NAME + 1 + limits.ATTRIBUTE_VALUE  #: one ``key=value`` line
MULTILINE = frozenset({"attribute", "addresses"})  #: the fields written one item a line

#: The form's fields: the longest each may be (each is given at most once).
FIELDS = {
    "channel": limits.WORD,
    "scope": limits.SCOPE_ID,
    "list": limits.NAME,
    "attribute": limits.MAX_SEGMENT_ATTRIBUTES * (ATTRIBUTE + 2),
    "addresses": MAX_PASTED * (limits.EMAIL + 2),
}


@dataclass(frozen=True, slots=True)
class Pasted:
    """The pasted addresses, normalised, and the lines that are not addresses."""

    emails: tuple[str, ...]
    mobiles: tuple[str, ...]
    unreadable: tuple[tuple[int, str], ...]  # (line number, the line as pasted)

    def __len__(self) -> int:
        return len(self.emails) + len(self.mobiles)

    def matches(self, address: str | None) -> bool:
        """True when ``address`` (normalised, as a contact holds it) was pasted."""
        return address is not None and (address in self.emails or address in self.mobiles)


@dataclass(frozen=True, slots=True)
class BroadcastQuery:
    """A checked broadcast form: what to preview, and the texts as typed (to fill it again)."""

    channel: Channel
    scope_id: str
    list_name: str | None
    attributes: tuple[tuple[str, str], ...]
    pasted: Pasted | None  # None: nothing was pasted
    typed: Mapping[str, str]

    @property
    def category(self) -> Category:
        """A broadcast is marketing: what the preview checks."""
        return Category.MARKETING

    def segment(self) -> Segment:
        """The ledger's segment; pasted lines that were all unreadable name nobody."""
        emails = list(self.pasted.emails) if self.pasted is not None else None
        mobiles = list(self.pasted.mobiles) if self.pasted is not None else None
        return Segment(None, emails, mobiles, self.list_name, attributes=self.attributes)


@dataclass(frozen=True, slots=True)
class FormView:
    """What the form offers and what is chosen in it."""

    channels: list[tuple[str, str]]  # (value, name)
    scopes: list[tuple[str, str]]  # (id, label by level)
    typed: Mapping[str, str]


def read_texts(fields: ImmutableMultiDict[str, Any]) -> dict[str, str]:
    """Every field of the form as typed (the query string or the posted form), each given at
    most once and checked (050)."""
    texts: dict[str, str] = {}
    for name, longest in FIELDS.items():
        values = fields.getlist(name)
        limits.items(values, field=name, max_items=1)
        value = values[0] if values else ""
        multiline = name in MULTILINE
        texts[name] = limits.text(value, field=name, max_length=longest, multiline=multiline)
    return texts


def form_view(ledger: Ledger, session: StaffSession, typed: Mapping[str, str]) -> FormView:
    """The form: the deployment's channels and the sender scopes within the person's reach."""
    principal = session.user.principal()
    shown = shown_channels(ledger.policy.enabled)
    channels = [(c.value, CHANNELS[c][1]) for c in shown]
    scopes = [(s.id, scope_label(s)) for s in ledger.list_scopes(principal)[:MAX_SCOPES]]
    chosen = dict(typed)
    chosen["channel"] = chosen.get("channel") or _default_channel(shown).value
    chosen["scope"] = chosen.get("scope") or principal.scope_id
    return FormView(channels, scopes, chosen)


def scope_label(scope: Scope) -> str:
    """A sender scope as the select shows it: its level and id, and a name of its own."""
    level = scope.kind.value.capitalize()
    if scope.name in (scope.id, scope.id.rsplit("/", 1)[-1]):  # the default name
        return f"{level}: {scope.id}"
    return f"{level}: {scope.name} ({scope.id})"


def broadcast_query(
    ledger: Ledger, session: StaffSession, typed: Mapping[str, str]
) -> BroadcastQuery:
    """The checked form; ``Invalid`` (422) when a field cannot be read."""
    channel = ledger.policy.require_enabled(parse_channel(typed["channel"]))
    scope_id = typed["scope"].strip() or session.user.principal().scope_id
    list_name = typed["list"].strip() or None
    pasted = read_pasted(ledger, typed["addresses"]) if typed["addresses"].strip() else None
    return BroadcastQuery(
        channel, scope_id, list_name, read_attributes(typed["attribute"]), pasted, typed
    )


def read_attributes(value: str) -> tuple[tuple[str, str], ...]:
    """``key=value`` lines → the pairs, each once; blank lines are skipped. At most
    ``limits.MAX_SEGMENT_ATTRIBUTES`` (``too_many_items``)."""
    pairs: dict[tuple[str, str], None] = {}
    for line in value.splitlines():
        if not line.strip():
            continue
        key, sign, wanted = line.partition("=")
        if not sign or not key.strip():
            raise Invalid(
                "write each attribute as key=value on a line of its own, e.g. plan=gold",
                field="attribute",
            )
        pairs[(key.strip(), wanted.strip())] = None
    limits.items(pairs, field="attribute", max_items=limits.MAX_SEGMENT_ATTRIBUTES)
    return tuple(pairs)


def read_pasted(ledger: Ledger, text: str) -> Pasted:
    """Pasted lines → normalised emails (a line with ``@``) and E.164 mobiles (the others)."""
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    limits.items(lines, field="addresses", max_items=MAX_PASTED)
    emails: dict[str, None] = {}
    mobiles: dict[str, None] = {}
    unreadable: list[tuple[int, str]] = []
    addresses = ledger.context.addresses
    for number, line in lines:
        limits.text(line, field="addresses", max_length=limits.EMAIL)
        try:
            if "@" in line:
                emails[addresses.email(line)] = None
            else:
                mobiles[addresses.mobile(line)] = None
        except (InvalidEmail, InvalidMobile):
            unreadable.append((number, line))
    return Pasted(tuple(emails), tuple(mobiles), tuple(unreadable))


def api_body(q: BroadcastQuery) -> tuple[dict[str, Any], int]:
    """The ``POST /v1/audiences/resolve`` body for the same audience, and how many pasted
    addresses it leaves out (it names the first ``EXAMPLE_ADDRESSES``)."""
    segment: dict[str, Any] = {}
    if q.list_name is not None:
        segment["list"] = q.list_name
    if len(q.attributes) == 1:  # one pair: the shape every client knows
        segment["attribute"] = {"name": q.attributes[0][0], "value": q.attributes[0][1]}
    elif q.attributes:
        segment["attributes"] = [{"name": k, "value": v} for k, v in q.attributes]
    left_out = 0
    if q.pasted is not None:
        both = [("emails", a) for a in q.pasted.emails] + [("mobiles", a) for a in q.pasted.mobiles]
        for key, address in both[:EXAMPLE_ADDRESSES]:
            segment.setdefault(key, []).append(address)
        if "emails" not in segment and "mobiles" not in segment:
            segment["emails"] = []  # pasted, none readable: still nobody, never everyone
        left_out = max(0, len(both) - EXAMPLE_ADDRESSES)
    body = {"channel": q.channel.value, "scope": q.scope_id, "category": q.category.value}
    return {**body, "segment": segment}, left_out


def curl_example(q: BroadcastQuery, base_url: str) -> tuple[str, int]:
    """A short ``curl`` for the same audience through the API (no real key), and how many
    pasted addresses it leaves out."""
    body, left_out = api_body(q)
    lines = [
        f"curl -sN -X POST {shlex.quote(base_url.rstrip('/') + '/v1/audiences/resolve')} \\",
        "  -H 'Authorization: Bearer csk_…' \\",
        "  -H 'Content-Type: application/json' \\",
        f"  -d {shlex.quote(json.dumps(body, indent=2, ensure_ascii=False))}",
    ]
    return "\n".join(lines), left_out


def _default_channel(shown: list[Channel]) -> Channel:
    return Channel.SMS if Channel.SMS in shown else shown[0]
