"""When a profile's next automatic run is due (COM-10).

Frequent incremental runs are how "real-time if the customer needs it" is met: each run only
reads what changed since the last watermark, so a short interval costs few requests.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from contract.records import Entity, now_utc
from app.sync.ledger import stored_utc

# A run that stopped on a transient error is retried sooner than the normal interval, but
# not in a tight loop against a POS that is down.
RETRY_AFTER_INTERRUPT = timedelta(minutes=2)
MINIMUM_INTERVAL_MINUTES = 1
# "Gần thời gian thực" (near real time): the wizard's choice and the CLI's `schedule=realtime`.
REALTIME_MINUTES = 1
# On a near-real-time schedule (every minute), the entities a shop rarely changes are read at
# most this often by scheduled runs; orders, products and customers every run. A record that
# names one of them the App does not know yet (a new category) has it read at once, in the
# same run (PullSteps._pull_deferred_references), so nothing waits for the next refresh.
# This is what keeps a 1-minute schedule within 5 % of the POS's rate budget (bench).
SLOW_ENTITIES = frozenset({Entity.BRANCH, Entity.CATEGORY, Entity.NEWS})
SLOW_REFRESH = timedelta(minutes=15)


def next_run_at(profile: Any, last_run: Any | None, now: datetime | None = None) -> datetime | None:
    """Next due time, or None when the profile syncs on demand only (schedule_minutes = 0).

    `last_run` is the profile's last Run row (or anything with started_at/finished_at/status).
    """
    minutes = int(getattr(profile, "schedule_minutes", 0) or 0)
    if minutes <= 0:
        return None
    now = now or now_utc()
    if last_run is None:
        return now
    if getattr(last_run, "status", "") == "running":
        return None   # one run at a time per shop
    ended = stored_utc(getattr(last_run, "finished_at", None) or last_run.started_at)
    interval = timedelta(minutes=max(MINIMUM_INTERVAL_MINUTES, minutes))
    if getattr(last_run, "status", "") == "interrupted":
        interval = min(interval, RETRY_AFTER_INTERRUPT)
    return ended + interval


def is_due(profile: Any, last_run: Any | None, now: datetime | None = None) -> bool:
    now = now or now_utc()
    due = next_run_at(profile, last_run, now)
    return due is not None and due <= now


def slow_entities_not_due(last_pulled: dict[Entity, datetime | None],
                          now: datetime | None = None) -> set[Entity]:
    """The slow entities a scheduled run leaves out: read within SLOW_REFRESH already.
    `last_pulled`: entity → when its last complete pull started (None = never)."""
    now = now or now_utc()
    return {entity for entity, when in last_pulled.items()
            if entity in SLOW_ENTITIES and when is not None
            and now - stored_utc(when) < SLOW_REFRESH}
