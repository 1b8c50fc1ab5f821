"""Field-by-field merge that never blanks a value (COM-05).

The incoming side wins a field only when it has something to say: None, '' and an empty list
never overwrite what the other side holds. Lists of records (variants, stock per branch) are
merged item by item, matched by their identity, so a POS that leaves out one variant's barcode
does not erase it in the App.
"""
from __future__ import annotations

import dataclasses
from typing import Any


def is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, tuple) and not value)


def merge(current: Any, incoming: Any, keep: frozenset[str] = frozenset()) -> Any:
    """`incoming` laid over `current`; `current`'s own key stays, fields in `keep` stay."""
    if current is None:
        return incoming
    changes = {}
    for f in dataclasses.fields(incoming):
        name = f.name
        if name == "key" or name in keep:
            continue
        new, old = getattr(incoming, name), getattr(current, name)
        if is_empty(new):
            continue
        if _is_record_list(new) and _is_record_list(old):
            changes[name] = _merge_items(old, new, keep)
        else:
            changes[name] = new
    return dataclasses.replace(current, **changes)


def _is_record_list(value: Any) -> bool:
    return isinstance(value, tuple) and bool(value) and dataclasses.is_dataclass(value[0])


def _identities(item: Any) -> list[tuple[str, str]]:
    found = []
    for name in ("key", "branch_key", "sku", "barcode"):
        value = getattr(item, name, "")
        if value:
            found.append((name, value))
    return found


def _merge_items(old: tuple, new: tuple, keep: frozenset[str]) -> tuple:
    # Order lines are the order's content as a whole: matching them one by one would keep
    # lines the other side removed.
    if not hasattr(new[0], "key") and not hasattr(new[0], "branch_key"):
        return new
    result = list(old)
    for item in new:
        index = _find(result, item)
        if index is None:
            result.append(item)
        else:
            result[index] = merge(result[index], item, keep)
    return tuple(result)


def _find(items: list, item: Any) -> int | None:
    for name, value in _identities(item):
        for index, candidate in enumerate(items):
            if getattr(candidate, name, None) == value:
                return index
    return None
