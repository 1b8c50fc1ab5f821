"""A POS as the owner names it: its name, and for an API being retired whether it is retiring
or retired on the day the window is open (NH-12: Nhanh API v2 ends after 30/11/2026)."""
from __future__ import annotations

from datetime import date

from ui.i18n import pick, tr


def retired(platform, today: date | None = None) -> bool:
    last_day = getattr(platform, "retired_after", None)
    return last_day is not None and (today or date.today()) > last_day


def platform_status(platform, today: date | None = None) -> str:
    """'' for a supported platform, else "⚠ Sắp ngừng sau 30/11/2026" / "⛔ Đã ngừng …"."""
    if not platform.deprecated:
        return ""
    last_day = getattr(platform, "retired_after", None)
    when = last_day.strftime("%d/%m/%Y") if last_day else ""
    if retired(platform, today):
        return tr("platform.retired", date=when)
    return tr("platform.retiring", date=when) if when else tr("wizard.platform.deprecated")


def platform_label(platform, today: date | None = None) -> str:
    name = pick(platform.name_vi, platform.name_en)
    status = platform_status(platform, today)
    return f"{name} — {status}" if status else name
