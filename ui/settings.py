"""The desktop app's preferences (language) kept in the data home's settings.json through
app.settings, so the file has one writer implementation."""
from __future__ import annotations

from typing import Any

from app.config import Paths
from app.settings import load_settings, save_setting
from ui.i18n import DEFAULT_LANGUAGE, LANGUAGES

LANGUAGE_KEY = "language"


class UiSettings:
    def __init__(self, paths: Paths) -> None:
        self.paths = paths

    def get(self, key: str, default: Any = None) -> Any:
        return load_settings(self.paths).get(key, default)

    def set(self, key: str, value: Any) -> None:
        save_setting(self.paths, key, value)

    @property
    def language(self) -> str:
        lang = self.get(LANGUAGE_KEY, DEFAULT_LANGUAGE)
        return lang if lang in dict(LANGUAGES) else DEFAULT_LANGUAGE

    @language.setter
    def language(self, lang: str) -> None:
        self.set(LANGUAGE_KEY, lang)
