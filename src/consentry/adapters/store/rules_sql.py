"""The statements behind lifecycle rules: their versions and skipped firings (decision 077).

Driver SQL throughout (every statement runs on both databases in ``tests/store/
test_statements.py``). A rule's versions are all kept, because events name them; the one with
``is_current`` true fires. Adding a version first clears the flag on the others, so a rule
has at most one current version; deleting it clears them all. An edit first locks the rule's
first version (``LOCK_RULE``), so two edits of one rule make versions n + 1 and n + 2.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from consentry.adapters.store.driver import Db
from consentry.adapters.store.failures import translated
from consentry.core.channels import Channel
from consentry.core.events import from_micros, to_micros
from consentry.core.rules import Rule, RuleStatus, Skip, SkipReason, Trigger, TriggerKind

RULE_COLUMNS = (
    "id", "version", "group_id", "scope_id", "trigger_kind", "trigger_name", "trigger_value",
    "channel", "status", "permission", "created_by", "created_at",
)  # fmt: skip
_COLS = ", ".join(RULE_COLUMNS)
INSERT_RULE = (
    f"INSERT INTO lifecycle_rules ({_COLS}, is_current) "
    f"VALUES ({', '.join(':' + c for c in RULE_COLUMNS)}, TRUE)"
)
RETIRE_RULE = "UPDATE lifecycle_rules SET is_current = FALSE WHERE id = :id AND is_current = TRUE"
#: a rule's first version, which every rule has and no edit changes: the row that serialises
#: two edits of one rule (``FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE`` already does)
LOCK_RULE = "SELECT version FROM lifecycle_rules WHERE id = :id AND version = 1 FOR UPDATE"
GET_RULE = f"SELECT {_COLS} FROM lifecycle_rules WHERE id = :id AND is_current = TRUE"
LIST_RULES = (
    f"SELECT {_COLS} FROM lifecycle_rules WHERE group_id = :gid AND is_current = TRUE ORDER BY id"
)
INSERT_SKIP = (
    "INSERT INTO lifecycle_rule_skips (contact_id, id, rule_id, rule_version, group_id, "
    "trigger_label, reason, at) VALUES (:contact_id, :id, :rule_id, :rule_version, :group_id, "
    ":trigger_label, :reason, :at)"
)
RECENT_SKIPS = (
    "SELECT id, group_id, rule_id, rule_version, contact_id, trigger_label, reason, at "
    "FROM lifecycle_rule_skips WHERE rule_id = :rule_id ORDER BY at DESC, id DESC LIMIT :batch"
)


def _rule(row: Sequence[Any]) -> Rule:
    m = dict(zip(RULE_COLUMNS, row, strict=True))
    trigger = Trigger(TriggerKind(m["trigger_kind"]), m["trigger_name"], m["trigger_value"])
    return Rule(
        id=m["id"], version=m["version"], group_id=m["group_id"], scope_id=m["scope_id"],
        trigger=trigger, channel=Channel(m["channel"]), status=RuleStatus(m["status"]),
        permission=None if m["permission"] is None else json.loads(m["permission"]),
        created_by=m["created_by"], created_at=_at(m["created_at"]),
    )  # fmt: skip


def _rule_values(rule: Rule) -> dict[str, Any]:
    permission = rule.permission
    return {
        "id": rule.id, "version": rule.version, "group_id": rule.group_id,
        "scope_id": rule.scope_id, "trigger_kind": rule.trigger.kind.value,
        "trigger_name": rule.trigger.name, "trigger_value": rule.trigger.value,
        "channel": rule.channel.value, "status": rule.status.value,
        "permission": None if permission is None else json.dumps(permission, sort_keys=True),
        "created_by": rule.created_by, "created_at": to_micros(rule.created_at),
    }  # fmt: skip


def _at(micros: int) -> datetime:
    moment = from_micros(micros)
    assert moment is not None
    return moment


class SqlRules:
    """The rule statements on one transaction (the adapter behind ``ports.RuleTx``)."""

    def __init__(self, db: Db) -> None:
        self.db = db

    @translated
    def add_rule(self, rule: Rule) -> None:
        self.db.run(RETIRE_RULE, {"id": rule.id}, write=True)
        self.db.run(INSERT_RULE, _rule_values(rule), write=True)

    @translated
    def lock_rule(self, rule_id: str) -> None:
        self.db.one(LOCK_RULE, {"id": rule_id})

    @translated
    def get_rule(self, rule_id: str) -> Rule | None:
        row = self.db.one(GET_RULE, {"id": rule_id})
        return None if row is None else _rule(row)

    @translated
    def list_rules(self, group_id: str) -> list[Rule]:
        return [_rule(r) for r in self.db.all(LIST_RULES, {"gid": group_id})]

    @translated
    def delete_rule(self, rule_id: str) -> None:
        self.db.run(RETIRE_RULE, {"id": rule_id}, write=True)

    @translated
    def add_skip(self, skip: Skip) -> None:
        self.db.run(INSERT_SKIP, {
            "contact_id": skip.contact_id, "id": skip.id, "rule_id": skip.rule_id,
            "rule_version": skip.rule_version, "group_id": skip.group_id,
            "trigger_label": skip.trigger, "reason": skip.reason.value, "at": to_micros(skip.at),
        }, write=True)  # fmt: skip

    @translated
    def recent_skips(self, rule_id: str, limit: int) -> list[Skip]:
        rows = self.db.all(RECENT_SKIPS, {"rule_id": rule_id, "batch": limit})
        return [
            Skip(id=i, group_id=g, rule_id=r, rule_version=v, contact_id=c, trigger=t,
                 reason=SkipReason(why), at=_at(at))
            for i, g, r, v, c, t, why, at in rows
        ]  # fmt: skip
