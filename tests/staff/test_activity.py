"""Activity → Opt-outs through the real app (seeds/004, decision 062): the page with its filters,
the CSV (parsed, and safe to open in a spreadsheet), who sees what; and the page in a browser."""

from __future__ import annotations

import csv
import io
import re

import pytest

from consentry.core.events import Source
from consentry.core.permissions import Principal, Role
from consentry.staff import activity
from tests.browser import look
from tests.factories import admin, as_contact, make_contact
from tests.staff.conftest import DESKTOP, PHONE, signed_in

HARD_WORDS = "hard: the contact&#39;s own"


def seed(ledger) -> dict[str, str]:
    """An opt-out at each level of acme, one beside the newsletters client, one in globex."""
    ada = make_contact(ledger, name="Ada Lovelace")
    bob = make_contact(ledger, email="bob@example.com", mobile="+447700900124", name="Bob")
    gx = make_contact(ledger, email="gx@example.com", mobile=None, group="globex", name="Gx")
    made = {
        "group": ledger.opt_out(admin(), ada.id, "email", "acme"),
        "client": ledger.opt_out(
            as_contact(bob), bob.id, "sms", "acme/newsletters", source=Source.UNSUBSCRIBE_LINK
        ),
        "user": ledger.opt_out(admin(), ada.id, "sms", "acme/newsletters/ada"),
        "events": ledger.opt_out(admin(), bob.id, "email", "acme/events"),
        "globex": ledger.opt_out(admin("globex"), gx.id, "email", "globex"),
    }
    return {name: event.id for name, event in made.items()}


def rows(staff, **params) -> list[dict[str, str]]:
    """The CSV, parsed."""
    answer = staff.client.get("/activity/opt-outs.csv", params=params)
    assert answer.status_code == 200, answer.text
    return list(csv.DictReader(io.StringIO(answer.text)))


# ── the page ──
def test_the_page_lists_every_level_with_hard_opt_outs_in_red(staff, ledger):
    made = seed(ledger)
    staff.sign_in("admin")
    answer = staff.client.get("/activity/opt-outs")
    assert answer.status_code == 200
    html = answer.text
    assert "<h1>Opt-outs</h1>" in html and 'href="/activity/opt-outs" aria-current="page"' in html
    for label in ("Group: acme", "Client: acme/newsletters", "User: acme/newsletters/ada"):
        assert f">{label}</option>" in html
    assert "Group: globex" not in html and "Gx" not in html
    assert html.count('<tr>\n    <td data-label="When">') == 4
    assert f'<span class="strength-hard">{HARD_WORDS}</span>' in html
    assert html.count('<span class="strength-soft">soft: by staff</span>') == 3
    assert ">Ada Lovelace</a>" in html and ">Bob</a>" in html
    assert "The contact" in html and "Unsubscribe link" in html and "admin@acme" in html
    assert made["events"] not in html  # event ids are not shown on the page, only in the CSV
    css = staff.client.get("/staff/activity.css")
    assert css.status_code == 200 and ".strength-hard" in css.text
    assert '<link rel="stylesheet" href="/staff/activity.css">' in html


def test_filtering_by_a_client_shows_it_and_its_users_only(staff, ledger):
    seed(ledger)
    staff.sign_in("admin")
    html = staff.client.get("/activity/opt-outs", params={"scope": "acme/newsletters"}).text
    assert '<option value="acme/newsletters" selected>' in html
    levels = re.findall(r'<td data-label="Level">(\w+)</td>', html)
    scopes = re.findall(r'<td data-label="Scope">([^<]+)</td>', html)
    assert sorted(levels) == ["Client", "User"]
    assert sorted(scopes) == ["acme/newsletters", "acme/newsletters/ada"]
    user = staff.client.get("/activity/opt-outs", params={"scope": "acme/newsletters/ada"}).text
    assert re.findall(r'<td data-label="Level">(\w+)</td>', user) == ["User"]


def test_channel_and_day_filters(staff, ledger, clock):
    seed(ledger)
    staff.sign_in("viewer")  # viewers see the activity too (decision 062)
    sms = staff.client.get("/activity/opt-outs", params={"channel": "sms"}).text
    assert re.findall(r'<td data-label="Channel">(\w+)</td>', sms) == ["SMS", "SMS"]
    today = clock.now().date().isoformat()  # every opt-out was recorded on T0's UTC day
    same_day = staff.client.get("/activity/opt-outs", params={"from": today, "to": today}).text
    assert same_day.count('<td data-label="Level">') == 4
    later = staff.client.get("/activity/opt-outs", params={"from": "2026-01-06"}).text
    assert '<td data-label="Level">' not in later
    assert "No opt-outs match these filters." in later and "Clear the filters" in later
    earlier = staff.client.get("/activity/opt-outs", params={"to": "2026-01-04"}).text
    assert "No opt-outs match these filters." in earlier


def test_the_empty_state(staff):
    staff.sign_in("admin")
    html = staff.client.get("/activity/opt-outs").text
    assert "No opt-outs recorded yet" in html and "Next page" not in html


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"from": "yesterday"}, 422, "invalid"),
        ({"to": "2026-02-30"}, 422, "invalid"),
        ({"from": "2026-01-06", "to": "2026-01-05"}, 422, "invalid"),
        ({"from": "0001-01-01"}, 422, "invalid_time"),
        ({"channel": "pigeon"}, 422, "invalid_channel"),
        ({"scope": "Not a scope!"}, 422, "invalid_scope"),
        ({"scope": "acme/nowhere"}, 404, "scope_not_found"),
        ({"scope": "globex"}, 403, "out_of_scope"),
        ({"after": "x" * 65}, 422, "text_too_long"),
        ({"channel": "sms\x01"}, 422, "invalid_text"),
    ],
)
def test_bad_filter_values_get_the_error_page(staff, params, status, code):
    staff.sign_in("admin")
    paths = ["/activity/opt-outs"] + ([] if "after" in params else ["/activity/opt-outs.csv"])
    for path in paths:  # the CSV has no pages: it takes no cursor
        answer = staff.client.get(path, params=params)
        assert answer.status_code == status, (path, answer.text)
        assert f"<code>{code}</code>" in answer.text and "That did not work" in answer.text


def test_pages_of_fifty_with_a_next_page_link(staff, ledger):
    for n in range(51):
        contact = make_contact(ledger, email=f"p{n}@example.com", mobile=None, name=f"P{n}")
        ledger.opt_out(admin(), contact.id, "email", "acme/events")
    staff.sign_in("admin")
    first = staff.client.get("/activity/opt-outs", params={"channel": "email"}).text
    assert first.count('<td data-label="Level">') == 50
    link = re.search(r'href="(/activity/opt-outs\?[^"]+)">Next page</a>', first)
    assert link, "no Next page link"
    url = link.group(1).replace("&amp;", "&")
    assert "channel=email" in url and "after=" in url
    second = staff.client.get(url).text
    assert second.count('<td data-label="Level">') == 1 and "Next page" not in second
    names = re.findall(r'<td data-label="Contact"><a href="[^"]+">(P\d+)</a>', first + second)
    assert sorted(names) == sorted(f"P{n}" for n in range(51))


def test_activity_opens_on_the_opt_outs_and_asks_for_a_sign_in_first(staff):
    answer = staff.client.get("/activity/opt-outs.csv", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=/activity/opt-outs.csv"
    staff.sign_in("staff")
    home = staff.client.get("/activity", follow_redirects=False)
    assert (home.status_code, home.headers["location"]) == (303, "/activity/opt-outs")


# ── who sees what ──
def test_a_client_admin_sees_only_its_client_on_the_page_and_in_the_csv(staff, ledger):
    made = seed(ledger)
    staff.sign_in("client_admin")
    html = staff.client.get("/activity/opt-outs").text
    assert ">Client: acme/newsletters</option>" in html
    assert "Group: acme<" not in html and "acme/events" not in html
    assert sorted(re.findall(r'<td data-label="Scope">([^<]+)</td>', html)) == [
        "acme/newsletters", "acme/newsletters/ada",
    ]  # fmt: skip
    assert {r["event_id"] for r in rows(staff)} == {made["client"], made["user"]}
    for beside in ("acme/events", "acme"):
        for path in ("/activity/opt-outs", "/activity/opt-outs.csv"):
            refused = staff.client.get(path, params={"scope": beside})
            assert refused.status_code == 403 and "<code>out_of_scope</code>" in refused.text


def test_another_groups_admin_sees_none_of_acmes(staff, ledger):
    made = seed(ledger)
    staff.sign_in("globex")
    html = staff.client.get("/activity/opt-outs").text
    assert "Ada Lovelace" not in html and "Bob" not in html and ">Gx</a>" in html
    assert [r["event_id"] for r in rows(staff)] == [made["globex"]]


# ── the CSV ──
def test_the_csv_has_a_header_and_a_row_per_opt_out(staff, ledger):
    made = seed(ledger)
    staff.sign_in("admin")
    answer = staff.client.get("/activity/opt-outs.csv")
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="opt-outs.csv"'
    table = list(csv.reader(io.StringIO(answer.text)))
    assert tuple(table[0]) == activity.CSV_HEADER
    got = {r["event_id"]: r for r in rows(staff)}
    assert set(got) == {made[n] for n in ("group", "client", "user", "events")}
    client = got[made["client"]]
    assert (client["level"], client["scope_id"], client["strength"]) == (
        "client", "acme/newsletters", "hard",
    )  # fmt: skip
    assert (client["channel"], client["source"], client["actor_kind"]) == (
        "sms", "unsubscribe_link", "contact",
    )  # fmt: skip
    assert client["recorded_at"] == "2026-01-05T09:00:00+00:00"
    group = got[made["group"]]
    assert (group["level"], group["strength"]) == ("group", "soft")
    assert group["recorded_by"] == "admin@acme"
    news = rows(staff, scope="acme/newsletters", channel="sms")
    assert {r["event_id"] for r in news} == {made["client"], made["user"]}
    assert rows(staff, scope="acme/newsletters", channel="email") == []


def test_the_csv_is_read_a_page_at_a_time_and_capped(staff, ledger, monkeypatch):
    made = []
    for n in range(7):
        contact = make_contact(ledger, email=f"p{n}@example.com", mobile=None)
        made.append(ledger.opt_out(admin(), contact.id, "email", "acme").id)
    monkeypatch.setattr(activity, "CSV_PAGE", 2)
    staff.sign_in("admin")
    assert sorted(r["event_id"] for r in rows(staff)) == sorted(made)
    monkeypatch.setattr(activity, "CSV_MOST", 5)
    capped = rows(staff)
    assert len(capped) == 5 and len({r["event_id"] for r in capped}) == 5


@pytest.mark.parametrize("by", ["=HYPERLINK(1)", "+1+1", "-1+1", "@SUM(1)"])
def test_a_cell_that_could_be_a_formula_is_neutralised(staff, ledger, by):
    mallory = make_contact(
        ledger, email="m@example.com", mobile=None, name="=cmd|' /C calc'!A0", external_id="=1+2"
    )
    ledger.opt_out(Principal(Role.ADMIN, "acme", by), mallory.id, "email", "acme")
    staff.sign_in("admin")
    text = staff.client.get("/activity/opt-outs.csv").text
    (row,) = rows(staff)
    assert row["recorded_by"] == "'" + by
    assert "calc" not in text and "=1+2" not in text  # no personal data in the file
    for cell in [c for line in csv.reader(io.StringIO(text)) for c in line]:
        assert not cell.startswith(activity.FORMULA_STARTS), cell
    page = staff.client.get("/activity/opt-outs").text
    assert f'<td data-label="By">{by}</td>' in page  # the page escapes; it needs no quote


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1", "'=1"), ("+1", "'+1"), ("-1", "'-1"), ("@a", "'@a"), ("\tx", "'\tx"),
        ("\rx", "'\rx"), ("ct_1", "ct_1"), ("", ""), ("a=b", "a=b"),
    ],
)  # fmt: skip
def test_neutral_quotes_exactly_the_cells_a_spreadsheet_would_evaluate(cell, safe):
    assert activity.neutral(cell) == safe
    assert next(csv.reader(io.StringIO(activity.csv_text([[cell]])))) == [safe]


# ── in a browser ──
@pytest.fixture(scope="module")
def newsletters(site):
    """The site with a hard opt-out at the newsletters client and a soft one at a user."""
    ledger = site.ledger
    ledger.opt_out(
        as_contact(site.cy), site.cy.id, "email", "acme/newsletters",
        source=Source.UNSUBSCRIBE_LINK,
    )  # fmt: skip
    ledger.opt_out(admin(), site.ada.id, "sms", "acme/newsletters/ada")
    return site


@pytest.mark.browser
@pytest.mark.parametrize(("viewport", "size"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_opt_outs_page_in_a_browser(newsletters, browser, viewport, size):
    page = signed_in(browser, newsletters, "admin", viewport)
    page.get_by_role("link", name="Activity").click()
    page.wait_for_url("**/activity/opt-outs")
    assert page.locator("h1").inner_text() == "Opt-outs"
    page.get_by_label("Scope").select_option(label="Client: acme/newsletters")
    page.get_by_label("Channel").select_option("")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**scope=acme%2Fnewsletters*")
    scopes = page.locator('td[data-label="Scope"]').all_inner_texts()
    assert sorted(scopes) == ["acme/newsletters", "acme/newsletters/ada"]
    hard = page.locator(".strength-hard")
    assert hard.all_inner_texts() == ["hard: the contact's own"]
    assert hard.evaluate("e => getComputedStyle(e).color") == "rgb(185, 28, 28)"  # red
    assert page.get_by_role("link", name="Cy", exact=True).count() == 1
    look(page, f"staff-activity-{size}.png")
    page.context.close()
