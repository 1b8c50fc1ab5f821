"""How far the push step has looked: a run with few or no App changes reads only those.

Every catalog write stamps its rows with a catalog-wide revision (Catalog._write_chunk). After a
complete push scan of one entity, the connection keeps a mark: the revision the scan started
from, and the App ids it left unsettled (failed, blocked, in conflict). The next scan reads the
rows written after the mark plus those ids, instead of parsing and fingerprinting the whole
catalog (10.9 of 11.0 s of a 30k no-change run before). A scan that did not finish (stopped,
failed, dry run) leaves the old mark, so nothing is skipped that was not looked at.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Iterable

from app.store import models as m
from app.sync.policy import EntityPolicy
from contract.records import Entity, now_utc

# Part of every mark's basis: raise it when the push step starts to act on records it used
# to leave alone, so marks made by the older code are not trusted.
PUSH_LOGIC_VERSION = 1


@dataclass(frozen=True)
class PushMark:
    revision: int
    pending: tuple[str, ...]


def push_basis(policy: EntityPolicy) -> str:
    """A stable name for the rules a push scan applied (the same in every process: sets are
    sorted, so string hashing does not change it)."""
    plain = {
        "v": PUSH_LOGIC_VERSION, "entity": policy.entity.value, "push": policy.push.value,
        "off": policy.off_reason,
        "statuses": sorted(s.value for s in policy.push_statuses),
        "changes": sorted((s.value, c.value) for s, c in policy.status_changes.items()),
        "edit": policy.app_edit_after_push.value,
        "untouched": sorted(policy.untouched_fields),
    }
    return hashlib.sha1(json.dumps(plain, sort_keys=True).encode()).hexdigest()


class PushMarks:
    """The marks of one connection."""

    def __init__(self, profile_id: int) -> None:
        self.profile = profile_id

    def load(self, entity: Entity, basis: str) -> PushMark | None:
        """The mark to scan from, or None for a whole scan (none yet, or made under other
        rules)."""
        row = m.PushMark.get_or_none((m.PushMark.profile == self.profile)
                                     & (m.PushMark.entity == entity.value))
        if row is None or row.basis != basis:
            return None
        return PushMark(row.revision, tuple(json.loads(row.pending or "[]")))

    def save(self, entity: Entity, revision: int, basis: str, pending: Iterable[str]) -> None:
        values = dict(revision=revision, basis=basis, pending=json.dumps(sorted(set(pending))),
                      updated_at=now_utc())
        (m.PushMark.insert(profile=self.profile, entity=entity.value, **values)
         .on_conflict(conflict_target=[m.PushMark.profile, m.PushMark.entity],
                      update=values).execute())

    @staticmethod
    def reported(run_id: int, entity: Entity, direction: str) -> set[str]:
        """App ids this run wrote a result row for, in one direction: the only records a
        scan can have left unsettled (every path that leaves work undone reports it)."""
        rows = (m.ItemResult.select(m.ItemResult.app_id).distinct()
                .where((m.ItemResult.run == run_id) & (m.ItemResult.entity == entity.value)
                       & (m.ItemResult.direction == direction) & (m.ItemResult.app_id != ""))
                .tuples())
        return {app_id for (app_id,) in rows}

    def forget(self) -> None:
        """The next scan of every entity reads everything (e.g. after links were rebuilt)."""
        m.PushMark.delete().where(m.PushMark.profile == self.profile).execute()
