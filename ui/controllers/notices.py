"""What deserves the user's attention (B-05): expiring tokens, repeated failures, finished
runs with failures or conflicts. Pure functions over plain data, so they are tested without
a tray; the window shows the notices in its banner and through the tray icon."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from ui.i18n import pick, tr
from ui.run_words import counts_text

EXPIRY_WARN_DAYS = 30
REPEATED_FAILURES = 3


@dataclass(frozen=True)
class Notice:
    key: str            # one notice per key: a newer one replaces it
    level: str          # info | warning | error
    title: str
    text: str


def token_notice(profile, now: datetime | None = None) -> Notice | None:
    expires = profile.token_expires_at
    if expires is None:
        return None
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    days = (expires - now).total_seconds() / 86400
    if days <= 0:
        return Notice(f"token:{profile.name}", "error", tr("conn.status.expired"),
                      tr("notify.token_expired", name=profile.name))
    if days <= EXPIRY_WARN_DAYS:
        return Notice(f"token:{profile.name}", "warning" if days > 7 else "error",
                      tr("conn.status.expiring"),
                      tr("notify.token_expiring", name=profile.name, days=int(days) or 1))
    return None


def repeated_failure_notice(profile_name: str, statuses: list[tuple[str, str, str]]
                            ) -> Notice | None:
    """`statuses`: the newest runs first as (status, error_vi, error_en)."""
    streak = 0
    for status, _vi, _en in statuses:
        if status in ("failed", "interrupted"):
            streak += 1
        else:
            break
    if streak < REPEATED_FAILURES:
        return None
    _status, vi, en = statuses[0]
    return Notice(f"failures:{profile_name}", "error", tr("notify.failed"),
                  tr("notify.repeated_failures", name=profile_name, n=streak,
                     message=pick(vi, en).strip()))


def run_notice(profile_name: str, finished) -> Notice | None:
    counts = finished.counts or {}
    failed = int(counts.get("failed", 0) or 0)
    conflicts = int((counts.get("by_action") or {}).get("conflict", 0) or 0)
    if finished.status not in ("done",):
        return Notice(f"run:{profile_name}", "error", tr("notify.failed"),
                      tr("sync.finished_failed",
                         message=pick(finished.message_vi, finished.message_en)))
    if conflicts:
        return Notice(f"conflicts:{profile_name}", "warning",
                      tr("notify.conflicts", n=conflicts), tr("conflicts.header"))
    if failed:
        return Notice(f"run:{profile_name}", "warning", tr("notify.failed"),
                      pick(finished.message_vi, finished.message_en))
    summary = counts_text(counts)
    return Notice(f"run:{profile_name}", "info", tr("notify.finished"), summary)
