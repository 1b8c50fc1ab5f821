"""The data home: one override for everything (tests, support staff, portable build)."""
from __future__ import annotations

from pathlib import Path

import platformdirs

from app.config import PORTABLE_DATA_DIR, PORTABLE_MARKER, get_paths, resolve_home


def test_default_home_is_the_per_user_data_folder(tmp_path):
    expected = Path(platformdirs.user_data_dir("ShopSync", appauthor=False))
    assert resolve_home(environ={}, frozen=False) == expected


def test_env_overrides_default_and_explicit_home_overrides_env(tmp_path):
    env = {"SHOPSYNC_HOME": str(tmp_path / "from-env")}
    assert resolve_home(environ=env, frozen=False) == tmp_path / "from-env"
    assert resolve_home(tmp_path / "explicit", environ=env) == tmp_path / "explicit"


def test_portable_marker_beside_frozen_exe_puts_home_beside_it(tmp_path):
    exe = tmp_path / "ShopSync.exe"
    exe.write_bytes(b"")
    assert resolve_home(environ={}, executable=str(exe), frozen=True) != tmp_path / PORTABLE_DATA_DIR
    (tmp_path / PORTABLE_MARKER).write_text("")
    assert resolve_home(environ={}, executable=str(exe), frozen=True) == tmp_path / PORTABLE_DATA_DIR
    # A source checkout is never portable, marker or not.
    assert resolve_home(environ={}, executable=str(exe), frozen=False) != tmp_path / PORTABLE_DATA_DIR


def test_env_wins_over_portable(tmp_path):
    exe = tmp_path / "ShopSync.exe"
    (tmp_path / PORTABLE_MARKER).write_text("")
    env = {"SHOPSYNC_HOME": str(tmp_path / "env")}
    assert resolve_home(environ=env, executable=str(exe), frozen=True) == tmp_path / "env"


def test_paths_are_inside_home_and_created(tmp_path):
    paths = get_paths(tmp_path / "h", environ={})
    for folder in (paths.logs, paths.backups, paths.exports):
        assert folder.is_dir() and folder.parent == paths.home
    assert paths.database.parent == paths.home
    assert not get_paths(tmp_path / "other", create=False).home.exists()
