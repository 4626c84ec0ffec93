"""The statements behind a group's transactional policies (decision 075).

Driver SQL: ``GET_SETTINGS`` is read on the eligibility path (``reader.py``) when a batch asks
about a transactional message; ``PUT_SETTING`` upserts (``ON CONFLICT … DO UPDATE`` reads the
same on SQLite and PostgreSQL); ``DELETE_SETTING`` returns a channel to the deployment default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from consentry.adapters.store.driver import Db
from consentry.core.channels import Channel
from consentry.core.events import EPOCH, from_micros, to_micros
from consentry.core.policies import GroupSetting

GET_SETTINGS = (
    "SELECT channel, bypass, updated_by, updated_at FROM transactional_policies "
    "WHERE group_id = :gid ORDER BY channel"
)
PUT_SETTING = (
    "INSERT INTO transactional_policies (group_id, channel, bypass, updated_by, updated_at) "
    "VALUES (:gid, :ch, :bypass, :by, :at) ON CONFLICT (group_id, channel) DO UPDATE SET "
    "bypass = excluded.bypass, updated_by = excluded.updated_by, updated_at = excluded.updated_at"
)
DELETE_SETTING = "DELETE FROM transactional_policies WHERE group_id = :gid AND channel = :ch"


def settings_from_rows(rows: Sequence[Any]) -> list[GroupSetting]:
    """The group's settings from the rows of ``GET_SETTINGS`` (unknown channels skipped)."""
    known = {c.value for c in Channel}
    return [
        GroupSetting(Channel(ch), bool(bypass), by, from_micros(at) or EPOCH)
        for ch, bypass, by, at in rows
        if ch in known
    ]


def group_settings(db: Db, group_id: str) -> list[GroupSetting]:
    """The channels the group set its own transactional policy on."""
    return settings_from_rows(db.all(GET_SETTINGS, {"gid": group_id}))


def put_setting(db: Db, group_id: str, setting: GroupSetting) -> None:
    """Set the group's own policy on a channel."""
    params = {
        "gid": group_id, "ch": setting.channel.value, "bypass": setting.bypass,
        "by": setting.updated_by, "at": to_micros(setting.updated_at),
    }  # fmt: skip
    db.run(PUT_SETTING, params, write=True)


def delete_setting(db: Db, group_id: str, channel: Channel) -> None:
    """Return a channel to the deployment's default."""
    db.run(DELETE_SETTING, {"gid": group_id, "ch": channel.value}, write=True)
