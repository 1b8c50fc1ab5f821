"""The window's small line icons (resources/icons/ui/*.svg): one per entity, per state and per
page, drawn for this app. Colour carries meaning only in the state icons (green all good, amber
needs attention, red broken, blue working); the rest are one calm grey."""
from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon, QPixmap

from app.caveats import resources_dir

ENTITY_ICONS = ("branch", "category", "product", "customer", "order", "news")
STATE_ICONS = ("good", "attention", "broken", "running", "waiting", "stopped", "info")


def icon_path(name: str) -> str:
    return str(resources_dir() / "icons" / "ui" / f"{name}.svg")


@lru_cache(maxsize=64)
def icon(name: str) -> QIcon:
    return QIcon(icon_path(name))


def pixmap(name: str, size: int = 20) -> QPixmap:
    return icon(name).pixmap(QSize(size, size))
