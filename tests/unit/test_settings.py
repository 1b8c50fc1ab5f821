"""settings.json in the data home: readable defaults, atomic writes."""
from __future__ import annotations

from app.config import get_paths
from app.settings import load_settings, save_setting


def test_missing_or_unreadable_settings_mean_defaults(tmp_path):
    paths = get_paths(tmp_path / "home")
    assert load_settings(paths) == {}
    paths.settings_file.write_text("{not json", encoding="utf-8")
    assert load_settings(paths) == {}
    paths.settings_file.write_text("[1, 2]", encoding="utf-8")
    assert load_settings(paths) == {}


def test_save_setting_keeps_other_values_and_leaves_no_temp_file(tmp_path):
    paths = get_paths(tmp_path / "home")
    save_setting(paths, "language", "vi")
    save_setting(paths, "accept_insecure_keyring", True)
    assert load_settings(paths) == {"language": "vi", "accept_insecure_keyring": True}
    assert [p.name for p in paths.home.glob(".settings-*")] == []
    assert "Tiếng Việt" in save_setting(paths, "label", "Tiếng Việt")["label"]
    assert "Tiếng Việt" in paths.settings_file.read_text(encoding="utf-8")
