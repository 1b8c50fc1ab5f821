"""Shop-owner texts for the rules of RULES.md, in Vietnamese and English.

The texts live in `resources/caveats.json` (keyed by rule ID) so support staff can reword them
without touching code. The wizard shows the **caveat** rules inline; a result row shows the
text of the rule that decided it.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class Caveat:
    rule: str
    title: str
    text: str
    is_caveat: bool = False


class UnknownRule(KeyError):
    """A rule ID with no text: a programming error (RULES.md and caveats.json disagree)."""


def resources_dir() -> Path:
    """The resources folder, also inside a PyInstaller bundle (data files land in _MEIPASS)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, dict]:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    return {key: value for key, value in data.items() if not key.startswith("_")}


def _texts(path: Path | None = None) -> dict[str, dict]:
    return _load(str(path or resources_dir() / "caveats.json"))


def caveat(rule_id: str, lang: str = "vi", *, path: Path | None = None) -> Caveat:
    """Title and text of a rule for a shop owner; unknown languages fall back to Vietnamese."""
    entry = _texts(path).get(rule_id)
    if entry is None:
        raise UnknownRule(rule_id)
    lang = lang if lang in LANGUAGES else "vi"
    return Caveat(rule=rule_id, title=entry[f"title_{lang}"], text=entry[lang],
                  is_caveat=bool(entry.get("caveat")))


def has_text(rule_id: str, *, path: Path | None = None) -> bool:
    return rule_id in _texts(path)


def caveat_rules(*, path: Path | None = None) -> tuple[str, ...]:
    """Every rule marked **caveat** in RULES.md (the ones the wizard must show inline)."""
    return tuple(key for key, value in _texts(path).items() if value.get("caveat"))


def all_rules(*, path: Path | None = None) -> tuple[str, ...]:
    return tuple(_texts(path))
