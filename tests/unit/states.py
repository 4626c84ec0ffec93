"""The actors and consent states the core's rule tests are written against."""

from __future__ import annotations

from datetime import timedelta

from consentry.core.events import Actor, ActorKind
from consentry.core.status import Consent, Status
from tests.factories import T0

LATER = T0 + timedelta(days=7)
CONTACT = Actor(ActorKind.CONTACT, "ct_ada")
ADMIN = Actor(ActorKind.ADMIN, "admin@acme")
STAFF = Actor(ActorKind.STAFF, "staff@acme")
KEY = Actor(ActorKind.API_KEY, "key")

NONE = Consent()
PENDING = Consent(Status.PENDING, "e", LATER)
IN = Consent(Status.OPTED_IN, "e")
SOFT = Consent(Status.SOFT_OPT_OUT, "e")
HARD = Consent(Status.HARD_OPT_OUT, "e")
HARD_ASKING = Consent(Status.HARD_OPT_OUT, "e", LATER)
