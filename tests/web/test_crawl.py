"""A mail scanner's view: GET every link on every page and in every email; nothing changes."""

from __future__ import annotations

import re
from collections import deque

from tests.factories import WRITTEN, admin, make_contact, sender, staff
from tests.web.conftest import event_count, path_of

URL = re.compile(r'(?:href|action|src)="([^"#]+)"')
ADA = "acme/newsletters/ada"


def crawl(client, start):
    seen, queue, statuses = set(), deque(start), {}
    while queue:
        url = queue.popleft()
        if url in seen or not url.startswith("/"):
            continue
        seen.add(url)
        response = client.get(url)
        statuses[url] = response.status_code
        queue.extend(u.replace("&amp;", "&") for u in URL.findall(response.text))
    return statuses


def test_getting_every_link_changes_nothing(ledger, client, inbox):
    ada = make_contact(ledger)
    ledger.opt_in(admin(), ada.id, "email", ADA, evidence=WRITTEN)
    bob = make_contact(ledger, email="bob@example.com", mobile=None)
    ledger.request_double_opt_in(staff(), bob.id, "email", ADA)
    client.post("/preferences", data={"address": "ada@example.com"})
    inbox.wait_for(2)
    unsubscribe = ledger.unsubscribe_headers(sender("acme"), ada.id, ADA)["List-Unsubscribe"]
    start = [path_of(unsubscribe.strip("<>")), "/preferences"]
    start += [path_of(link) for m in inbox.messages for link in _links(m)]
    before = event_count(ledger)

    statuses = crawl(client, start)

    assert event_count(ledger) == before
    assert any(u.startswith("/confirm/") for u in statuses)
    assert sum(u.startswith("/u/") for u in statuses) >= 2
    assert set(statuses.values()) <= {200}
    assert ledger.check(sender("acme"), ada.id, "email", ADA).allowed


def _links(message):
    found = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            found += re.findall(r'https?://[^\s<>"]+', part.get_content())
    return found
