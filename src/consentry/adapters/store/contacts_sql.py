"""The statements behind contacts, their address keys and the lists they joined.

``GET_CONTACT`` and ``FIND_CONTACT_ID`` are driver SQL (every consent write and inbound STOP
loads its contact); adding, editing and listing contacts are Core.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from consentry.adapters.store import schema as t
from consentry.adapters.store.driver import Db
from consentry.adapters.store.reads import ID_CHUNK
from consentry.adapters.store.rows import contact_from_row, contact_values
from consentry.core.chain import genesis
from consentry.core.channels import AddressKind
from consentry.core.contacts import Contact, ContactFilter
from consentry.core.errors import ContactExists
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
    """A page of the group's contacts in id order, filtered."""
    c = t.contacts.c
    query = select(t.contacts).where(c.group_id == group_id).order_by(c.id).limit(where.limit)
    if where.after:
        query = query.where(c.id > where.after)
    for column, value in (
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
    rows = db.conn.execute(query).all()
    return [contact_from_row(r._mapping, frozenset(lists)) for r, lists in _with_lists(db, rows)]


def _with_lists(db: Db, rows: Sequence[Any]) -> list[tuple[Any, set[str]]]:
    """The rows of a page with the lists of each contact (one query for the whole page)."""
    lists: dict[str, set[str]] = {r.id: set() for r in rows}
    if lists:
        cl = t.contact_lists.c
        names = select(cl.contact_id, cl.list_name).where(cl.contact_id.in_(list(lists)))
        for contact_id, name in db.conn.execute(names):
            lists[contact_id].add(name)
    return [(r, lists[r.id]) for r in rows]
