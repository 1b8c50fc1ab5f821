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
class RunFinished:
    run_id: int
    status: str               # done | failed | interrupted | cancelled
    counts: dict = field(default_factory=dict)
    request_count: int = 0
    seconds: float = 0.0
    message_vi: str = ""
    message_en: str = ""


@dataclass(frozen=True)
class Waiting:
    """The run is paused on purpose and says why and until when (COM-08): the POS asked for a
    pause (429 Retry-After), the platform's own request limit is reached, or a network error is
    retried after a back-off. `until` is an aware ISO timestamp so a window can say "tiếp tục
    lúc 14:05"; `seconds` is the wait as decided."""

    reason: str               # WaitReason value
    seconds: float
    until: str
    attempt: int = 0          # retries: the how-many-th retry this is (0 for rate limits)


class WaitReason:
    RATE_LIMIT = "rate_limit"     # the POS's request limit (its own or the pause it asked for)
    RETRY = "retry"               # a network/server error, retried after a back-off


Event = Union[RunStarted, Progress, ItemResult, ConflictRaised, RunFinished, Waiting]
Emit = Callable[[Event], None]

_NAMES = {RunStarted: "run_started", Progress: "progress", ItemResult: "item",
          ConflictRaised: "conflict", RunFinished: "run_finished", Waiting: "waiting"}


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
ANNOUNCE_WAIT_SECONDS = 3.0


def waiting(reason: str, seconds: float, attempt: int = 0, now=None) -> Waiting:
    from datetime import datetime, timedelta, timezone
    now = now or datetime.now(timezone.utc)
    return Waiting(reason, round(seconds, 1), (now + timedelta(seconds=seconds)).isoformat(),
                   attempt)


def report_waits(emit: Emit):
    """Route the HTTP layer's waits of this run (and tasks it starts) to `emit` as Waiting
    events; returns a token for `stop_reporting_waits`."""
    from connectors import http

    def on_wait(reason: str, seconds: float, attempt: int = 0) -> None:
        # A retry is always said (the owner otherwise reads "Ready" while nothing moves).
        if reason == WaitReason.RETRY or seconds >= ANNOUNCE_WAIT_SECONDS:
            emit(waiting(reason, seconds, attempt))

    return http.WAIT_LISTENER.set(on_wait)


def stop_reporting_waits(token) -> None:
    from connectors import http
    http.WAIT_LISTENER.reset(token)
