"""What a sync run tells the world: plain, frozen event objects.

The UI controller turns them into queued Qt signals, the command line prints them as JSON lines
and tests collect them in a list; none of them holds a reference to a widget or a connection.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Callable, Union


@dataclass(frozen=True)
class RunStarted:
    run_id: int
    profile: str
    entities: tuple[str, ...]
    dry_run: bool
    kind: str = "sync"


@dataclass(frozen=True)
class Progress:
    entity: str
    direction: str
    done: int
    total: int | None = None
    eta_seconds: float | None = None


@dataclass(frozen=True)
class ItemResult:
    """One row of the results table (COM-06); same fields as store.models.ItemResult."""

    run_id: int
    entity: str
    direction: str            # pos_to_app | app_to_pos
    app_id: str
    pos_id: str
    name: str
    action: str               # create | update | skip | conflict | blocked | deleted_on_pos | manual | status
    outcome: str              # planned | ok | failed | skipped
    rule: str = ""
    message_vi: str = ""
    message_en: str = ""


@dataclass(frozen=True)
class ConflictRaised:
    conflict_id: int
    entity: str
    app_id: str
    pos_id: str
    rule: str = "COM-04"


@dataclass(frozen=True)
class Waiting:
    """The POS asked for a pause long enough to tell the user: the run continues by itself
    at `until` (ISO time with offset; the window can count down to it, COM-08)."""

    seconds: float
    until: str
    until_clock: str = ""        # "14:05" (with the date when not today), for a status line
    reason: str = "throttled"    # throttled: the POS asked; pacing: staying under its budget


@dataclass(frozen=True)
class RunFinished:
    run_id: int
    status: str               # done | failed | interrupted | cancelled
    counts: dict = field(default_factory=dict)
    request_count: int = 0
    seconds: float = 0.0
    message_vi: str = ""
    message_en: str = ""


Event = Union[RunStarted, Progress, ItemResult, ConflictRaised, Waiting, RunFinished]
Emit = Callable[[Event], None]

_NAMES = {RunStarted: "run_started", Progress: "progress", ItemResult: "item",
          ConflictRaised: "conflict", Waiting: "waiting", RunFinished: "run_finished"}


def event_name(event: Event) -> str:
    return _NAMES[type(event)]


def to_json(event: Event) -> str:
    """One JSON object (one line) with an `event` field naming the kind."""
    payload = {"event": event_name(event), **asdict(event)}
    return json.dumps(payload, ensure_ascii=False, sort_keys=False, default=str)


def ignore(event: Event) -> None:
    """An emit that drops everything (for callers that only want the stored results)."""
    return None
