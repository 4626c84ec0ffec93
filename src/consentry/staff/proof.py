"""The proof of consent in the staff app: ``/contacts/{id}/proof`` and its PDF (decision 069).

The page is the document itself (``adapters.proof_document``), the same one the API and the
CLI give, headed by links back to the contact and to the PDF; anyone signed in who may view
the contact may open it. Refusals are raised and answered by the app's error map.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from jinja2 import Environment

from consentry.adapters import proof_document
from consentry.ledger import Ledger
from consentry.staff.session import signed_in


def router(ledger: Ledger, env: Environment) -> APIRouter:
    """``/contacts/{id}/proof`` (the page) and ``/contacts/{id}/proof.pdf``."""
    del env  # the document has its own template
    r = APIRouter(include_in_schema=False)

    def page(request: Request, contact_id: str) -> Response:
        session = signed_in(ledger, request)
        found = ledger.proof_of_consent(session.user.principal(), contact_id)
        here = f"/contacts/{quote(contact_id, safe='')}"
        links = [("Back to the contact", here), ("Download the PDF", f"{here}/proof.pdf")]
        html = proof_document.to_html(found, links=links)
        headers = {"Content-Security-Policy": proof_document.csp()}
        return Response(html, media_type="text/html", headers=headers)

    def pdf(request: Request, contact_id: str) -> Response:
        session = signed_in(ledger, request)
        found = ledger.proof_of_consent(session.user.principal(), contact_id)
        name = proof_document.file_name(found, "pdf")
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(proof_document.to_pdf(found), media_type="application/pdf",
                        headers=headers)  # fmt: skip

    r.add_api_route("/contacts/{contact_id}/proof", page, methods=["GET"])
    r.add_api_route("/contacts/{contact_id}/proof.pdf", pdf, methods=["GET"])
    return r
