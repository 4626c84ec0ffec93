"""A signed link whose contact and scope are in different groups is a broken link: 400 on every
page (issue 8, item 6): the GET page and the one-click POST answer alike, and nothing is written."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consentry.core.channels import Channel
from consentry.core.links import LinkClaims, LinkPurpose
from tests.factories import admin, make_contact
from tests.web.conftest import event_count, path_of

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def link(ledger, contact_id: str, scope_id: str, purpose=LinkPurpose.UNSUBSCRIBE) -> str:
    """The path of a genuinely signed link for ``contact_id`` at ``scope_id``."""
    assert ledger.signer is not None
    expires = ledger.clock.now() + timedelta(days=1)
    claims = LinkClaims(purpose, contact_id, scope_id, (Channel.EMAIL,), expires)
    return path_of(ledger.signer.url(claims))


def assert_link_invalid(response) -> None:
    assert response.status_code == 400, response.text
    assert "link_invalid" in response.text
    assert response.text.startswith("<!doctype html>")


@pytest.mark.parametrize("scope", ["globex", "globex/sales"])
def test_a_link_to_another_groups_scope_is_link_invalid_on_get_and_on_every_post(
    ledger, client, scope
):
    ada = make_contact(ledger)  # acme's contact
    path = link(ledger, ada.id, scope)
    before = event_count(ledger)
    assert_link_invalid(client.get(path))
    assert_link_invalid(client.post(path, data=ONE_CLICK))
    assert_link_invalid(client.post(path, data={"level": scope, "channels": "email"}))
    form = {"action": "opt_in", "level": scope, "channels": "email"}
    assert_link_invalid(client.post(path, data=form))
    assert event_count(ledger) == before


def test_a_confirmation_link_to_another_groups_scope_is_link_invalid(ledger, client):
    ada = make_contact(ledger)
    path = link(ledger, ada.id, "globex", LinkPurpose.CONFIRM).replace("/u/", "/confirm/", 1)
    before = event_count(ledger)
    assert_link_invalid(client.get(path))
    assert_link_invalid(client.post(path))
    assert event_count(ledger) == before


def test_another_groups_contact_of_the_same_id_is_not_reached(ledger, client):
    globex = make_contact(ledger, "gina@example.com", "+447700900777", group="globex")
    path = link(ledger, globex.id, "acme")
    assert_link_invalid(client.get(path))
    assert_link_invalid(client.post(path, data=ONE_CLICK))
    assert ledger.history(admin("globex"), globex.id) == []
