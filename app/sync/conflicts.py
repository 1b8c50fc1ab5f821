"""Conflicts as the conflicts table and the command line show them (COM-04).

Resolution itself is `SyncEngine.resolve_conflict` (it may have to write to the POS); this
module only reads, so the UI's table model can use it on the main thread.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from contract.records import UNSYNCED_FIELDS
from app.store import models as m


@dataclass(frozen=True)
class ConflictView:
    id: int
    entity: str
    app_id: str
    pos_id: str
    rule: str
    status: str
    resolution: str
    app_data: dict | None
    pos_data: dict | None
    differing: tuple[str, ...]       # top-level fields whose values differ
    created_at: Any


def _content(value: Any) -> Any:
    """A side's data without ids and timestamps, which always differ between the sides."""
    if isinstance(value, dict):
        return {k: _content(v) for k, v in value.items() if k not in UNSYNCED_FIELDS}
    if isinstance(value, list):
        return [_content(item) for item in value]
    return value


def _differing(app: dict | None, pos: dict | None) -> tuple[str, ...]:
    if not app or not pos:
        return ()
    app, pos = _content(app), _content(pos)
    return tuple(sorted(name for name in set(app) | set(pos) if app.get(name) != pos.get(name)))


def view(row: m.Conflict) -> ConflictView:
    app = json.loads(row.app_data or "null")
    pos = json.loads(row.pos_data or "null")
    return ConflictView(row.id, row.entity, row.app_id, row.pos_id, row.rule, row.status,
                        row.resolution, app, pos, _differing(app, pos), row.created_at)


def open_conflicts(profile_id: int) -> list[ConflictView]:
    query = (m.Conflict.select().where((m.Conflict.profile == profile_id)
                                       & (m.Conflict.status == "open"))
             .order_by(m.Conflict.id))
    return [view(row) for row in query]


def count_open(profile_id: int) -> int:
    return m.Conflict.select().where((m.Conflict.profile == profile_id)
                                     & (m.Conflict.status == "open")).count()


def get_conflict(conflict_id: int) -> ConflictView | None:
    row = m.Conflict.get_or_none(m.Conflict.id == conflict_id)
    return None if row is None else view(row)


# -- per-field choice (issue 20 pt 10) ----------------------------------------------------------

def _steps(path: str) -> list[str | int]:
    """'variants[0].price' → ['variants', 0, 'price'] (the paths of the conflicts table)."""
    steps: list[str | int] = []
    for part in path.split("."):
        name, *indexes = part.replace("]", "").split("[")
        if name:
            steps.append(name)
        steps.extend(int(index) for index in indexes)
    return steps


def _get(data: Any, steps: list[str | int]) -> tuple[bool, Any]:
    for step in steps:
        if isinstance(step, int):
            if not isinstance(data, list) or step >= len(data):
                return False, None
        elif not isinstance(data, dict) or step not in data:
            return False, None
        data = data[step]
    return True, data


def blend(app_plain: dict, pos_plain: dict, pos_paths: list[str]) -> dict:
    """The App's record with the POS's value at each of `pos_paths` ("name",
    "variants[0].price"): the owner kept the POS's price and the App's name. A path the App
    record cannot hold (a variant it does not have) is left as the App has it."""
    result = json.loads(json.dumps(app_plain))
    for path in pos_paths:
        steps = _steps(path)
        found, value = _get(pos_plain, steps)
        if not found or not steps:
            continue
        holder_found, holder = _get(result, steps[:-1])
        last = steps[-1]
        if not holder_found:
            continue
        if isinstance(last, int):
            if isinstance(holder, list) and last < len(holder):
                holder[last] = value
        elif isinstance(holder, dict):
            holder[last] = value
    return result
