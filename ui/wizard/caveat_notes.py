"""Caveat boxes built from resources/caveats.json in the current language."""
from __future__ import annotations

from app.caveats import UnknownRule, caveat
from ui.i18n import language
from ui.widgets.caveat_note import CaveatNote

WARNING_RULES = frozenset({"NH-12", "SAPO-09", "KVF-03", "COM-01", "SAPO-07", "KVF-12",
                           "NH-13", "KVF-09"})


def caveat_note(rule: str, parent=None) -> CaveatNote:
    try:
        note = caveat(rule, language())
        title, text = note.title, note.text
    except UnknownRule:
        title, text = rule, ""
    return CaveatNote(rule, title, text, warning=rule in WARNING_RULES, parent=parent)


def caveat_title(rule: str) -> str:
    try:
        return caveat(rule, language()).title
    except UnknownRule:
        return rule
