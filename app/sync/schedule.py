"""When a profile's next automatic run is due (COM-10).

Frequent incremental runs are how "real-time if the customer needs it" is met: each run only
reads what changed since the last watermark, so a short interval costs few requests.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from contract.records import now_utc
from app.sync.ledger import stored_utc

# A run that stopped on a transient error is retried sooner than the normal interval, but
# not in a tight loop against a POS that is down.
RETRY_AFTER_INTERRUPT = timedelta(minutes=2)
MINIMUM_INTERVAL_MINUTES = 1


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
