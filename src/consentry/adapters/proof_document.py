"""The proof document (decision 069): a ``core.proof`` value as JSON, HTML and PDF.

One shape: ``data`` turns a ``Proof`` or an ``EligibilityProof`` into the JSON document
(``consentry-proof/v1``, docs/proof.md); the HTML page is rendered from that same data
(``templates/proof.html``, autoescaped Jinja2) and the PDF is WeasyPrint's print of that page,
so the three never say different things. Nothing is fetched: the stylesheet is inlined and
allowed by its hash (``CSP``), the fonts are the system's (DejaVu, Debian's
``fonts-dejavu-core``), and WeasyPrint may read ``data:`` URLs only. The API, the CLI and the
staff app import this module; none of them imports another.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from consentry.core.chain import Problem, genesis
from consentry.core.contacts import Contact
from consentry.core.events import ConsentEvent
from consentry.core.proof import (
    CATEGORY_WORDS,
    FORMAT,
    RECIPE,
    STATUS_WORDS,
    STRENGTH_WORDS,
    SUPPRESSION_WORDS,
    ChainProof,
    EligibilityProof,
    Proof,
    StatusRow,
    channel_name,
    describe,
    evidence_state,
    hashed_text,
    how,
    moment,
    who,
)

TEMPLATES = Path(__file__).parent / "templates"
JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
PDF_TYPE = "application/pdf"

Document = Proof | EligibilityProof


# ── the JSON document ──
def data(document: Document) -> dict[str, Any]:
    """The document as JSON data: one stable shape for both kinds (docs/proof.md)."""
    proof = document.proof if isinstance(document, EligibilityProof) else document
    by = proof.generated_by
    found: dict[str, Any] = {
        "format": FORMAT,
        "kind": "eligibility" if isinstance(document, EligibilityProof) else "consent",
        "generated_at": _iso(proof.generated_at),
        "generated_by": {"role": by.role.value, "id": by.id, "scope": by.scope_id},
        "contact": _contact(proof.contact),
        "verdict": proof.sentence(),
        "chain": _chain(proof.chain),
        "status": [_status(s) for s in proof.statuses],
        "suppressions": [
            {"channel": c.value, "suppression": s.value} for c, s in proof.suppressions
        ],
        "events": [_event(e) for e in proof.events],
        "withheld_events": proof.withheld,
        "how_to_check": RECIPE,
    }
    if isinstance(document, EligibilityProof):
        found["question"] = {
            "channel": document.channel.value,
            "scope": document.scope_id,
            "category": document.category.value,
            "at": _iso(document.at),
        }
        found["answer"] = _answer(document)
    return found


def to_json(document: Document) -> str:
    """The JSON document as text."""
    return json.dumps(data(document), indent=2, ensure_ascii=False) + "\n"


def _contact(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "group": contact.group_id,
        "email": contact.email,
        "mobile": contact.mobile,
        "external_id": contact.external_id,
        "name": contact.name,
        "locale": contact.locale,
        "postal_address": contact.postal_address,
        "attributes": dict(contact.attributes),
        "lists": sorted(contact.lists),
        "created_at": _iso(contact.created_at),
        "erased_at": _iso(contact.erased_at),
    }


def _chain(chain: ChainProof) -> dict[str, Any]:
    return {
        "intact": chain.intact,
        "checked": chain.checked,
        "problems": [_problem(p) for p in chain.problems],
        "head": {"seq": chain.head.seq, "hash": chain.head.hash},
        "genesis": genesis(chain.contact_id),
        "digest_line": chain.line,
        "digest": {
            "group": chain.group_id,
            "root": chain.root,
            "contacts": chain.contacts,
            "events": chain.events,
        },
    }


def _status(s: StatusRow) -> dict[str, Any]:
    return {
        "channel": s.channel.value,
        "scope": s.scope_id,
        "status": s.status.value,
        "event_id": s.event_id,
    }


def _problem(p: Problem) -> dict[str, Any]:
    return {
        "kind": p.kind,
        "seq": p.seq,
        "event_id": p.event_id,
        "detail": p.detail,
        "channel": p.channel,
        "scope": p.scope_id,
    }


def _event(e: ConsentEvent) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "id": e.id,
        "channel": e.channel.value,
        "scope": e.scope_id,
        "action": e.action.value,
        "strength": e.strength.value,
        "actor": {"kind": e.actor.kind.value, "id": e.actor.id},
        "recorded_by": e.recorded_by,
        "source": e.source.value,
        "reason": e.reason,
        "evidence": e.evidence_data,
        "evidence_state": evidence_state(e).value,
        "evidence_text": e.evidence,
        "evidence_salt": e.evidence_salt,
        "evidence_commitment": e.evidence_commitment,
        "occurred_at": _iso(e.occurred_at),
        "recorded_at": _iso(e.recorded_at),
        "expires_at": _iso(e.expires_at),
        "prev_hash": e.prev_hash,
        "hash": e.hash,
        "hashed_text": hashed_text(e),
        "summary": describe(e),
        "who": who(e),
        "how": how(e),
    }


def _answer(document: EligibilityProof) -> dict[str, Any]:
    decision = document.decision
    return {
        "allowed": decision.allowed,
        "reason": decision.reason.value,
        "scope": decision.scope_id,
        "event_id": decision.event_id,
        "sentence": document.sentence(),
        "status": document.status.value,
        "effective": document.effective.value,
        "effective_scope": document.effective_scope_id,
        "considered": [e.seq for e in document.events],
    }


def _iso(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat() if at else None


# ── the HTML page ──
@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
    )


@cache
def stylesheet() -> str:
    """The document's stylesheet, inlined in every page."""
    return (TEMPLATES / "proof.css").read_text(encoding="utf-8")


def csp() -> str:
    """The page's Content-Security-Policy: its own inline stylesheet (by hash), nothing else."""
    digest = base64.b64encode(hashlib.sha256(stylesheet().encode()).digest()).decode()
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def to_html(document: Document, *, links: Sequence[tuple[str, str]] = ()) -> str:
    """The document as one self-contained HTML page; ``links`` (label, href) head the page."""
    d = data(document)
    view = _view(d, document)
    return _environment().get_template("proof.html").render(
        d=view, css=Markup(stylesheet()), links=list(links), title=title(document),
        kind_title=_kind_title(document), contact_items=_contact_items(d["contact"]),
    )  # fmt: skip


def title(document: Document) -> str:
    """The document's title: ``Proof of consent: Ada Lovelace``."""
    proof = document.proof if isinstance(document, EligibilityProof) else document
    name = proof.contact.name or proof.contact.id
    if isinstance(document, EligibilityProof):
        return f"Was {name} allowed to receive this message?"
    return f"Proof of consent: {name}"


def _kind_title(document: Document) -> str:
    if isinstance(document, EligibilityProof):
        return "eligibility at a moment"
    return "proof of consent (GDPR Art. 7(1) and 15)"


def _view(d: dict[str, Any], document: Document) -> dict[str, Any]:
    """The JSON data with the words and times the page shows beside it."""
    proof = document.proof if isinstance(document, EligibilityProof) else document
    events = [_event_view(e, view) for e, view in zip(proof.events, d["events"], strict=True)]
    seq_of = {e["id"]: e["seq"] for e in events}
    view = {**d, "events": events, "generated_at_text": moment(proof.generated_at)}
    view["status"] = [
        {**s, "channel_text": channel_name(r.channel), "status_text": STATUS_WORDS[r.status],
         "event_seq": seq_of.get(s["event_id"] or "")}
        for s, r in zip(d["status"], proof.statuses, strict=True)
    ]  # fmt: skip
    view["suppressions"] = [
        {**s, "channel_text": channel_name(c), "suppression_text": SUPPRESSION_WORDS[k]}
        for s, (c, k) in zip(d["suppressions"], proof.suppressions, strict=True)
    ]
    if isinstance(document, EligibilityProof):
        deciding = document.deciding
        view["question"] = {
            **d["question"],
            "at_text": moment(document.at),
            "channel_text": channel_name(document.channel),
            "category_text": CATEGORY_WORDS[document.category],
        }
        considered = {e.id for e in document.events}
        view["answer"] = {
            **d["answer"],
            "status_text": STATUS_WORDS[document.status],
            "effective_text": STATUS_WORDS[document.effective],
            "deciding_event": {"seq": deciding.seq, "id": deciding.id} if deciding else None,
            "considered_events": [e for e in events if e["id"] in considered],
        }
    return view


def _event_view(event: ConsentEvent, d: dict[str, Any]) -> dict[str, Any]:
    evidence = d["evidence"] or {}
    items = [
        (str(k), v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
        for k, v in evidence.items()
    ]
    return {
        **d,
        "recorded_at_text": _seconds(event.recorded_at),
        "occurred_at_text": _seconds(event.occurred_at),
        "expires_at_text": _seconds(event.expires_at) if event.expires_at else None,
        "strength_text": STRENGTH_WORDS[event.strength],
        "evidence_items": items,
    }


def _seconds(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S}"


CONTACT_LABELS = (
    ("id", "Contact id"), ("group", "Group"), ("name", "Name"), ("email", "Email address"),
    ("mobile", "Mobile number"), ("external_id", "External id"), ("locale", "Locale"),
    ("postal_address", "Postal address"), ("lists", "Lists"), ("attributes", "Attributes"),
    ("created_at", "Added"), ("erased_at", "Personal data erased"),
)  # fmt: skip


def _contact_items(contact: dict[str, Any]) -> list[tuple[str, str]]:
    """The contact's details that are set, as (label, text)."""
    items = []
    for key, label in CONTACT_LABELS:
        value = contact[key]
        if value in (None, "", [], {}):
            continue
        if key in ("created_at", "erased_at"):
            value = moment(datetime.fromisoformat(value))
        elif not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False)
        items.append((label, value))
    return items


# ── the PDF ──
def to_pdf(document: Document) -> bytes:
    """The HTML page printed to PDF by WeasyPrint (A4), fetching nothing."""
    import weasyprint  # its Pango set-up is loaded only for a PDF

    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    pdf: bytes = weasyprint.HTML(string=to_html(document), url_fetcher=fetcher).write_pdf()
    return pdf


def file_name(document: Document, extension: str) -> str:
    """A download's file name: ``proof-ct_…-20260105T0900Z.pdf``."""
    proof = document.proof if isinstance(document, EligibilityProof) else document
    kind = "eligibility" if isinstance(document, EligibilityProof) else "proof"
    stamp = f"{proof.generated_at.astimezone(UTC):%Y%m%dT%H%MZ}"
    return f"{kind}-{proof.contact.id}-{stamp}.{extension}"
