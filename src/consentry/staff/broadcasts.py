"""Placeholder until its routes are written: no routes yet."""

from __future__ import annotations

from fastapi import APIRouter
from jinja2 import Environment

from consentry.ledger import Ledger


def router(ledger: Ledger, env: Environment) -> APIRouter:
    """The routes of this page (none yet)."""
    del ledger, env
    return APIRouter(include_in_schema=False)
