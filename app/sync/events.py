"""What a sync run tells the world: plain, frozen event objects.

The UI controller turns them into queued Qt signals, the command line prints them as JSON lines
and tests collect them in a list; none of them holds a reference to a widget or a connection.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Callable, Union


class _Word(str, Enum):
    """The vocabulary of a run. str-valued: the store keeps the values, comparisons with plain
    strings still hold, and text output (tables, f-strings) shows the value, not the name."""

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    def __hash__(self) -> int:
        # Enum hashes the member's name; counters and dicts keyed by the stored strings must
        # find the member too ({"failed": 1}.get(Outcome.FAILED)).
        return hash(self.value)


class RunKind(_Word):
    """What a run does (store: Run.kind)."""

    SYNC = "sync"
    PUSH = "push"
    RETRY = "retry"
    RESOLVE = "resolve"
    UNDO = "undo"
    RESTORE = "restore"     # brings back what the last undo removed (B-02)
    DELETE = "delete"


class RunStatus(_Word):
    """How a run ended (store: Run.status; "running" while it runs)."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"                 # stopped on something no retry fixes (auth, setting off)
    INTERRUPTED = "interrupted"       # the POS or the network stopped it; run again to resume
    CANCELLED = "cancelled"           # the owner pressed Stop (or Ctrl-C); resumable


class Direction(_Word):
    PULL = "pos_to_app"
    PUSH = "app_to_pos"


class Action(_Word):
    """What was decided for one item (COM-06)."""

    CREATE = "create"
    UPDATE = "update"
    SKIP = "skip"
    CONFLICT = "conflict"
    BLOCKED = "blocked"
    DELETED_ON_POS = "deleted_on_pos"
    MANUAL = "manual"
    STATUS = "status"
    REMOVED = "removed"              # undo took a record the run created out (restorable, B-02)
    RESTORED = "restored"            # undo put earlier values back, or restore brought it back


class Outcome(_Word):
    """What became of it."""

    PLANNED = "planned"               # a preview (dry run): nothing written
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class RunStarted:
    run_id: int
    profile: str
    entities: tuple[str, ...]
    dry_run: bool
    kind: RunKind | str = RunKind.SYNC


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
    direction: Direction | str
    app_id: str
    pos_id: str
    name: str
    action: Action | str
    outcome: Outcome | str
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
    run_id: int = 0


class WaitReason(_Word):
    """Why a run pauses on purpose (COM-08)."""

    THROTTLED = "throttled"     # the POS asked for a pause (429 Retry-After, Nhanh's lock)
    PACING = "pacing"           # staying under the POS's own request budget
    RETRY = "retry"             # a network or server error, tried again after a back-off


@dataclass(frozen=True)
class Waiting:
    """The run pauses on purpose and says why and until when: the run continues by itself at
    `until` (ISO time with offset; the window counts down to it, the CLI prints a line)."""

    seconds: float
    until: str
    until_clock: str = ""        # "14:05" (with the date when not today), for a status line
    reason: WaitReason | str = WaitReason.THROTTLED
    run_id: int = 0
    attempt: int = 0             # retries: the how-many-th retry this is (0 otherwise)


@dataclass(frozen=True)
class RunFinished:
    run_id: int
    status: RunStatus | str
    counts: dict = field(default_factory=dict)
    request_count: int = 0
    seconds: float = 0.0
    message_vi: str = ""
    message_en: str = ""


Event = Union[RunStarted, Progress, ItemResult, ConflictRaised, Waiting, RunFinished]
Emit = Callable[[Event], None]

# One name per event: the `event` field of each `--json` line (docs/cli.md).
_NAMES = {RunStarted: "run_started", Progress: "progress", ItemResult: "item_result",
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


# Waits of a few seconds are not worth a sentence; longer ones are announced (issue 20 pt 7).
# A retry is always said (the owner otherwise reads "Ready" while nothing moves).
ANNOUNCE_WAIT_SECONDS = 3.0


def waiting_event(wait: Any, run_id: int = 0) -> Waiting:
    """The HTTP layer's `ThrottleWait` as an event."""
    return Waiting(round(wait.seconds, 1), wait.until.isoformat(timespec="seconds"),
                   wait.clock_text(), WaitReason(wait.reason), run_id, wait.attempt)


def report_waits(emit: Emit, run_id: int = 0):
    """Route the HTTP layer's waits of this run (and the tasks it starts: a context variable)
    to `emit` as Waiting events; returns a token for `stop_reporting_waits`."""
    from connectors.http import throttle_listener

    def on_wait(wait: Any) -> None:
        if wait.reason == WaitReason.RETRY or wait.seconds >= ANNOUNCE_WAIT_SECONDS:
            emit(waiting_event(wait, run_id))

    return throttle_listener.set(on_wait)


def stop_reporting_waits(token) -> None:
    from connectors.http import throttle_listener
    throttle_listener.reset(token)
