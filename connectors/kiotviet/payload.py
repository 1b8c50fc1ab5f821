"""Reading KiotViet's JSON the way it really comes: mixed case, wrapped or bare, misspelt keys.

KiotViet answers list calls in camelCase, `/settings` and FnB bodies in PascalCase, and webhooks
with a stray lower-case `isActive`; write calls answer `{message, data}` for some entities and
the bare object for others. Every reader goes through these few functions so that no mapping
code has to guess a spelling.
"""
from __future__ import annotations

import collections.abc
from typing import Any, Iterable, Mapping

# Documented spellings of "ids deleted since lastModifiedFrom" (platforms/kiotviet.md §6).
REMOVED_ID_KEYS = ("removedIds", "removeIds", "removeId")


def get(obj: Any, name: str, default: Any = None) -> Any:
    """`obj[name]` ignoring case (exact spelling first, it is the common case)."""
    # Called millions of times on a big pull: a parsed-JSON dict skips the isinstance check
    # against typing.Mapping, which costs more than the look-up itself.
    if type(obj) is dict:
        if name in obj:
            return obj[name]
    elif not isinstance(obj, collections.abc.Mapping):
        return default
    elif name in obj:
        return obj[name]
    lowered = name.lower()
    for key, value in obj.items():
        if isinstance(key, str) and key.lower() == lowered:
            return value
    return default


def items(body: Any) -> list[Mapping[str, Any]]:
    """The `data` list of a list answer (or the body itself when KiotViet sent a bare list)."""
    if isinstance(body, list):
        return [row for row in body if isinstance(row, Mapping)]
    data = get(body, "data")
    if isinstance(data, list):
        return [row for row in data if isinstance(row, Mapping)]
    return []


def unwrap(body: Any) -> Any:
    """The object of a write answer: `{message, data:{…}}` and the bare object both occur."""
    data = get(body, "data")
    if isinstance(data, Mapping):
        return data
    if isinstance(body, Mapping) and get(body, "id") is None and isinstance(get(body, "result"),
                                                                             Mapping):
        return get(body, "result")
    return body


def removed_ids(body: Any) -> tuple[str, ...]:
    """Ids KiotViet reports deleted, under whichever of its three spellings it used."""
    found: list[str] = []
    for key in REMOVED_ID_KEYS:
        value = get(body, key)
        if value is None:
            continue
        values: Iterable[Any] = value if isinstance(value, (list, tuple)) else (value,)
        found.extend(str(v) for v in values if v is not None and str(v) != "")
    return tuple(dict.fromkeys(found))


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
