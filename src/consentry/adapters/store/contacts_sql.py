"""The statements behind contacts, their address keys and the lists they joined.

``GET_CONTACT`` and ``FIND_CONTACT_ID`` are driver SQL (every consent write and inbound STOP
loads its contact); adding, editing and listing contacts are Core.

A page filtered by opt-in status (decision 067) is found in two steps, repeated until the page
is full: *candidates* in contact order from an index (the consents rows of that status at each
scope of the path, ``ix_consents_group_channel_status_scope_contact``; the suppressions of that
kind; or, for no consent and no address, which no row records, the group's contacts), then the
*exact* status of those candidates, the audience's own CASE (``audience_sql.audience_select``),
so the filter is the Opt-In Status column's icon and nothing else. A page reads at most
``STATUS_SCAN`` candidates and then says where it stopped (``ContactPage.next_after``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from consentry.adapters.store import schema as t
from consentry.adapters.store.audience_sql import audience_select
from consentry.adapters.store.driver import Db
from consentry.adapters.store.reads import ID_CHUNK
from consentry.adapters.store.rows import contact_from_row, contact_values
from consentry.core.audience import AudienceQuery
from consentry.core.chain import genesis
from consentry.core.channels import AddressKind
from consentry.core.contacts import Contact, ContactFilter, ContactPage, StatusFilter
from consentry.core.eligibility import Reason
from consentry.core.errors import ContactExists, Invalid
from consentry.core.scopes import path_to_root
from consentry.core.status import Status

CONTACT_COLUMNS = (
    "id", "group_id", "email", "mobile", "external_id", "name", "locale", "postal_address",
    "push_token", "attributes", "created_at", "erased_at",
)  # fmt: skip
GET_CONTACT = (  # the contact and the lists it joined, in one statement
    f"SELECT {', '.join('c.' + c for c in CONTACT_COLUMNS)}, l.list_name "
    "FROM contacts c LEFT JOIN contact_lists l ON l.contact_id = c.id "
    "WHERE c.id = :cid AND c.group_id = :gid"
)
FIND_CONTACT_ID = (
    "SELECT contact_id FROM contact_keys WHERE group_id = :gid AND kind = :kind AND digest = :d"
)
_GOT = (*CONTACT_COLUMNS, "list_name")


def get_contact(db: Db, group_id: str, contact_id: str) -> Contact | None:
    """The contact with the lists it joined, or None."""
    rows = [
        dict(zip(_GOT, r, strict=True))
        for r in db.all(GET_CONTACT, {"cid": contact_id, "gid": group_id})
    ]
    if not rows:
        return None
    lists = frozenset(r["list_name"] for r in rows if r["list_name"] is not None)
    return contact_from_row(rows[0], lists)


def find_contact_id(db: Db, group_id: str, kind: AddressKind, digest: str) -> str | None:
    """The id of the group's contact with this address key, or None."""
    found = db.scalar(FIND_CONTACT_ID, {"gid": group_id, "kind": kind.value, "d": digest})
    return None if found is None else str(found)


def find_contact_ids(
    db: Db, group_id: str, kind: AddressKind, digests: Sequence[str]
) -> dict[str, str]:
    """Map address digests to contact ids (unknown digests are absent)."""
    ck = t.contact_keys.c
    found: dict[str, str] = {}
    for start in range(0, len(digests), ID_CHUNK):
        chunk = list(digests[start : start + ID_CHUNK])
        query = select(ck.digest, ck.contact_id).where(
            ck.group_id == group_id, ck.kind == kind.value, ck.digest.in_(chunk)
        )
        found.update((row.digest, row.contact_id) for row in db.conn.execute(query))
    return found


def add_contact(db: Db, contact: Contact, keys: Mapping[AddressKind, str]) -> None:
    """A new contact with its keys, lists and the genesis of its chain."""
    try:
        with db.conn.begin_nested():
            db.conn.execute(insert(t.contacts).values(**contact_values(contact)))
            _insert_keys(db, contact, keys)
    except IntegrityError as exc:
        raise ContactExists("another contact in the group has that address") from exc
    _set_lists(db, contact)
    head = {"contact_id": contact.id, "seq": 0, "hash": genesis(contact.id)}
    db.conn.execute(insert(t.chain_heads).values(**head))


def update_contact(db: Db, contact: Contact, keys: Mapping[AddressKind, str]) -> None:
    """The contact's new details, keys and lists (an erased contact keeps its old keys)."""
    ck = t.contact_keys
    values = contact_values(contact)
    try:
        with db.conn.begin_nested():
            db.conn.execute(
                update(t.contacts).where(t.contacts.c.id == contact.id).values(**values)
            )
            old = ck.c.contact_id == contact.id
            if contact.erased_at is not None:  # erased: its keys keep re-imports suppressed
                old = old & ck.c.kind.in_([k.value for k in keys])
            db.conn.execute(delete(ck).where(old))
            _insert_keys(db, contact, keys)
    except IntegrityError as exc:
        raise ContactExists("another contact in the group has that address") from exc
    _set_lists(db, contact)


def _insert_keys(db: Db, contact: Contact, keys: Mapping[AddressKind, str]) -> None:
    for kind, digest in keys.items():
        row = {"group_id": contact.group_id, "kind": kind.value, "digest": digest}
        db.conn.execute(insert(t.contact_keys).values(contact_id=contact.id, **row))


def _set_lists(db: Db, contact: Contact) -> None:
    cl = t.contact_lists
    db.conn.execute(delete(cl).where(cl.c.contact_id == contact.id))
    for name in sorted(contact.lists):
        row = {"contact_id": contact.id, "list_name": name, "group_id": contact.group_id}
        db.conn.execute(insert(cl).values(**row))


def list_contacts(db: Db, group_id: str, where: ContactFilter) -> list[Contact]:
    """A page of the group's contacts in id order, filtered (by status: read to the end)."""
    if where.status is not None:
        return _status_page(db, group_id, where, where.status, scan=None).contacts
    c = t.contacts.c
    query = select(t.contacts).where(c.group_id == group_id).order_by(c.id).limit(where.limit)
    if where.after:
        query = query.where(c.id > where.after)
    rows = db.conn.execute(_narrowed(query, where)).all()
    return [contact_from_row(r._mapping, frozenset(lists)) for r, lists in _with_lists(db, rows)]


def contact_page(db: Db, group_id: str, where: ContactFilter) -> ContactPage:
    """A page of the group's contacts and the ``after`` of the next one (None: no more)."""
    if where.status is not None:
        return _status_page(db, group_id, where, where.status, scan=STATUS_SCAN)
    found = list_contacts(db, group_id, where)
    return ContactPage(found, found[-1].id if found and len(found) == where.limit else None)


def _addressed(where: ContactFilter) -> bool:
    """True when the filter names contacts by address or external id (a handful at most)."""
    return any(v is not None for v in (where.email, where.mobile, where.external_id))


def _narrowed(query: Select[Any], where: ContactFilter) -> Select[Any]:
    """The query with the filter's conditions on the contact (all but the status)."""
    c = t.contacts.c
    for column, value in (
        (c.id, where.contact_id),
        (c.email, where.email),
        (c.mobile, where.mobile),
        (c.external_id, where.external_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if where.list_name:
        cl = t.contact_lists.c
        query = query.where(exists().where(cl.contact_id == c.id, cl.list_name == where.list_name))
    if where.opted_out_channel:
        cs = t.consents.c
        query = query.where(
            exists().where(
                cs.contact_id == c.id,
                cs.channel == where.opted_out_channel.value,
                cs.status.in_([Status.SOFT_OPT_OUT.value, Status.HARD_OPT_OUT.value]),
            )
        )
    return query


# ── the status filter (decision 067) ──
STATUS_CHUNK = 900  #: candidates read from each index per step, at most
STATUS_SCAN = 10_000  #: contacts or candidates one page reads at most, then it says where it is
#: The statuses a consents row records, and the suppressions, for the reasons they decide.
ROW_STATUS = {
    Reason.OPTED_IN: Status.OPTED_IN,
    Reason.PENDING: Status.PENDING,
    Reason.SOFT_OPT_OUT: Status.SOFT_OPT_OUT,
    Reason.HARD_OPT_OUT: Status.HARD_OPT_OUT,
}
SUPPRESSED = {Reason.BOUNCED: "bounced", Reason.COMPLAINED: "complained"}
#: No row records these: a contact has them by having no row, or no address.
UNRECORDED = frozenset({Reason.NO_CONSENT, Reason.NO_ADDRESS})

#: Candidate ids after a cursor, in id order, at most ``n``.
Candidates = Callable[[str, int], list[str]]


def _status_page(
    db: Db, group_id: str, where: ContactFilter, status: StatusFilter, *, scan: int | None
) -> ContactPage:
    """Contacts of the filter whose status is one of ``status.reasons``, a page of them."""
    decided = _decided(group_id, where, status)
    if _addressed(where) or status.reasons & UNRECORDED:
        return _walk_group(db, where, status, decided, scan=scan)
    return _walk_candidates(db, group_id, where, status, decided, scan=scan)


def _decided(group_id: str, where: ContactFilter, status: StatusFilter) -> Select[Any]:
    """(id, reason, address) of the filter's contacts in id order: the audience's own CASE."""
    if status.scope_id is None or status.now is None:
        raise Invalid("a status filter needs its scope and moment (the use case gives them)")
    query = AudienceQuery(
        group_id, status.channel, path_to_root(status.scope_id), status.now,
        transactional_bypass=False, confirmation_only=False,
    )  # fmt: skip
    return _narrowed(audience_select(query), where)


def _walk_group(
    db: Db, where: ContactFilter, status: StatusFilter, decided: Select[Any], *, scan: int | None
) -> ContactPage:
    """The group's contacts decided in id order, in growing windows, until the page is full,
    the group ends, or (``scan``) that many were read: then the page says where it stopped."""
    c, wanted = t.contacts.c, {r.value for r in status.reasons}
    after, found, read, size = where.after or "", list[str](), 0, _first(where, scan)
    while True:
        rows = db.conn.execute(decided.where(c.id > after).limit(size)).all()
        found += [r.id for r in rows if r.reason in wanted]
        read += len(rows)
        if len(found) > where.limit:
            return _page(db, found[: where.limit], found[where.limit - 1])
        if len(rows) < size:
            return _page(db, found, None)
        after = rows[-1].id
        if scan is not None and read >= scan:
            return _page(db, found, after)
        size = min(2 * size, scan - read) if scan is not None else 2 * size


def _walk_candidates(
    db: Db,
    group_id: str,
    where: ContactFilter,
    status: StatusFilter,
    decided: Select[Any],
    *,
    scan: int | None,
) -> ContactPage:
    """Candidates from the indexes, their exact status decided, until the page is full.

    Each step reads candidates after the cursor from every index (twice a page first, then
    twice as many each step, up to ``STATUS_CHUNK``) and keeps
    those up to the smallest last id of an index that had more (beyond it another index may
    still hold smaller ids); it stops with a full page, at the end of every index, or
    (``scan``) after that many candidates, at the cursor.
    """
    streams = _candidates(db, group_id, status)
    wanted = sorted(r.value for r in status.reasons)
    after, found, read, size = where.after or "", list[str](), 0, _first(where, scan)
    while True:
        batches = [stream(after, size) for stream in streams]
        edges = [batch[-1] for batch in batches if len(batch) == size]
        edge = min(edges) if edges else None
        ids = sorted({i for batch in batches for i in batch if edge is None or i <= edge})
        read += len(ids)
        for start in range(0, len(ids), ID_CHUNK):
            chunk = decided.where(t.contacts.c.id.in_(ids[start : start + ID_CHUNK])).subquery()
            exact = select(chunk.c.id).where(chunk.c.reason.in_(wanted)).order_by(chunk.c.id)
            found += db.conn.execute(exact).scalars()
        if len(found) > where.limit:
            return _page(db, found[: where.limit], found[where.limit - 1])
        if edge is None:
            return _page(db, found, None)
        after = edge
        if scan is not None and read >= scan:
            return _page(db, found, edge)
        size = min(2 * size, STATUS_CHUNK)


def _first(where: ContactFilter, scan: int | None) -> int:
    """How many to read first: twice a page (most pages fill at once), then twice as many."""
    return min(2 * (where.limit + 1), STATUS_CHUNK, scan or STATUS_CHUNK)


def _candidates(db: Db, group_id: str, status: StatusFilter) -> list[Candidates]:
    """Where contacts of the reasons a row records can be, each in id order: the consents rows
    of each status at each scope of the path (one range of the status index each), and the
    suppressions of each kind (every group's: the exact step keeps this group's)."""
    assert status.scope_id is not None  # _decided checked it
    cs, s = t.consents.c, t.suppressions.c
    streams = []
    for reason in sorted(status.reasons & ROW_STATUS.keys()):
        for scope_id in path_to_root(status.scope_id):
            rows = select(cs.contact_id).where(
                cs.group_id == group_id, cs.channel == status.channel.value,
                cs.status == ROW_STATUS[reason].value, cs.scope_id == scope_id,
            )  # fmt: skip
            streams.append(_stream(db, rows, cs.contact_id))
    for reason in sorted(status.reasons & SUPPRESSED.keys()):
        rows = select(s.contact_id).where(
            s.channel == status.channel.value, s.suppression == SUPPRESSED[reason]
        )
        streams.append(_stream(db, rows, s.contact_id))
    return streams


def _stream(db: Db, query: Select[Any], column: Any) -> Candidates:
    def read(after: str, n: int) -> list[str]:
        page = query.where(column > after).order_by(column).limit(n)
        return list(db.conn.execute(page).scalars())

    return read


def _page(db: Db, ids: list[str], next_after: str | None) -> ContactPage:
    """The contacts of these ids, in id order, with their lists."""
    rows: list[Any] = []
    c = t.contacts.c
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        rows += db.conn.execute(select(t.contacts).where(c.id.in_(chunk)).order_by(c.id)).all()
    contacts = [contact_from_row(r._mapping, frozenset(ls)) for r, ls in _with_lists(db, rows)]
    return ContactPage(contacts, next_after)


def _with_lists(db: Db, rows: Sequence[Any]) -> list[tuple[Any, set[str]]]:
    """The rows of a page with the lists of each contact (one query for the whole page)."""
    lists: dict[str, set[str]] = {r.id: set() for r in rows}
    if lists:
        cl = t.contact_lists.c
        names = select(cl.contact_id, cl.list_name).where(cl.contact_id.in_(list(lists)))
        for contact_id, name in db.conn.execute(names):
            lists[contact_id].add(name)
    return [(r, lists[r.id]) for r in rows]
