"""The staff web app (entrypoint, thin): ``mount(app, ledger, settings)`` adds it to an app.

Sign-in for people, the contacts table with the Opt-In Status column, the contact profile with
its global opt-in preferences, bulk changes (``pages.py``), broadcasts (``broadcasts.py``), the
opt-out activity (``activity.py``), the subscriber trends (``trends.py``), the proof of consent
(``proof.py``) and erasing a contact (``erasure.py``) (SPEC §6; seeds 000, 001, 002, 004);
outbound webhooks (``webhooks_pages.py``) and lifecycle rules (``rules_pages.py``) (081). The
pages raise their refusals; the app's one error map (``consentry.api.errors``, decision 043)
answers them through ``StaffPages.error_page``, so ``app`` must have that map installed.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI

from consentry.core.errors import ConsentryError
from consentry.ledger import Ledger
from consentry.settings import Settings
from consentry.staff import (
    activity,
    broadcasts,
    compliance,
    erasure,
    people,
    proof,
    rules_pages,
    settings_pages,
    trends,
    webhooks_pages,
)
from consentry.staff.pages import StaffPages
from consentry.staff.render import environment

__all__ = ["mount"]


def mount(app: FastAPI, ledger: Ledger, settings: Settings) -> None:
    """Add the staff pages (``/``, ``/sign-in``, ``/contacts``…) to ``app``."""
    if ConsentryError not in app.exception_handlers:
        raise RuntimeError(
            "the staff pages raise their refusals: install the error map on the app first "
            "(consentry.api.create_app, or consentry.api.errors.install)"
        )
    del settings
    env = environment()
    pages = StaffPages(ledger, env)
    app.include_router(pages.router())
    answered = [Depends(pages.answer_errors)]  # their refusals get the staff error page too
    app.include_router(activity.router(ledger, env), dependencies=answered)
    app.include_router(trends.router(ledger, env), dependencies=answered)
    app.include_router(broadcasts.router(ledger, env), dependencies=answered)
    app.include_router(people.router(ledger, env), dependencies=answered)
    app.include_router(settings_pages.router(ledger, env), dependencies=answered)
    app.include_router(proof.router(ledger, env), dependencies=answered)
    app.include_router(erasure.router(ledger, env), dependencies=answered)
    app.include_router(webhooks_pages.router(ledger, env), dependencies=answered)
    app.include_router(rules_pages.router(ledger, env), dependencies=answered)
    app.include_router(compliance.router(ledger, env), dependencies=answered)
