"""Small user choices kept beside the database in `settings.json` (language, accepted
insecure keyring): things needed before the database is open, or that must survive a
restored backup."""
from __future__ import annotations

import json
import logging
import os
import tempfile
from typing import Any

from app.config import Paths

log = logging.getLogger("shopsync.settings")


def load_settings(paths: Paths) -> dict[str, Any]:
    """The saved settings; a missing or unreadable file means defaults (never a crash)."""
    try:
        data = json.loads(paths.settings_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        log.warning("settings.json unreadable; using defaults")
        return {}
    return data if isinstance(data, dict) else {}


def save_setting(paths: Paths, key: str, value: Any) -> dict[str, Any]:
    """Set one value and write the file atomically (a crash leaves the old file whole)."""
    data = load_settings(paths)
    data[key] = value
    paths.home.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=paths.home, prefix=".settings-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=2, sort_keys=True)
        os.replace(tmp, paths.settings_file)
    except BaseException:
        os.unlink(tmp)
        raise
    return data
