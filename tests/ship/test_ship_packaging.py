"""The build files stay valid: spec and hooks compile, the version resource follows the app."""
from __future__ import annotations

import ast
import importlib.util
import os
import sys
from pathlib import Path

import app

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def test_spec_and_hooks_compile():
    for path in [PACKAGING / "shopsync.spec", *sorted((PACKAGING / "hooks").glob("*.py")),
                 PACKAGING / "entry_gui.py", PACKAGING / "entry_cli.py"]:
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_spec_builds_a_windowed_and_a_console_exe_with_resources_and_platform_modules():
    tree = ast.parse((PACKAGING / "shopsync.spec").read_text(encoding="utf-8"))
    exes = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "EXE":
            keywords = {k.arg: k.value for k in node.keywords}
            exes[ast.literal_eval(keywords["name"])] = ast.literal_eval(keywords["console"])
    assert exes == {"ShopSync": False, "shopsync-cli": True}
    text = (PACKAGING / "shopsync.spec").read_text(encoding="utf-8")
    assert '"connectors"' in text and '"resources"' in text
    assert "rthook_keyring.py" in text and "rthook_portable.py" in text


def test_version_resource_follows_app_version(tmp_path):
    spec = importlib.util.spec_from_file_location("make_version_info",
                                                  PACKAGING / "make_version_info.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    target = module.write_version_info(tmp_path / "version_info.txt")
    written = target.read_text(encoding="utf-8")
    assert f"'{app.__version__}'" in written
    assert str(module.version_numbers(app.__version__)) in written
    assert module.version_numbers("1.2.3rc1") == (1, 2, 3, 0)


def test_portable_hook_points_the_home_beside_the_exe(tmp_path, monkeypatch):
    from app.config import HOME_ENV, PORTABLE_DATA_DIR, PORTABLE_MARKER
    (tmp_path / PORTABLE_MARKER).write_text("", encoding="utf-8")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "ShopSync.exe"))
    monkeypatch.setenv(HOME_ENV, "/somewhere/else")
    code = (PACKAGING / "hooks" / "rthook_portable.py").read_text(encoding="utf-8")
    exec(compile(code, "rthook_portable.py", "exec"), {"__name__": "rthook"})
    assert os.environ[HOME_ENV] == str(tmp_path / PORTABLE_DATA_DIR)


def test_portable_hook_leaves_an_installed_copy_alone(tmp_path, monkeypatch):
    from app.config import HOME_ENV
    monkeypatch.setattr(sys, "executable", str(tmp_path / "ShopSync.exe"))
    monkeypatch.delenv(HOME_ENV, raising=False)
    code = (PACKAGING / "hooks" / "rthook_portable.py").read_text(encoding="utf-8")
    exec(compile(code, "rthook_portable.py", "exec"), {"__name__": "rthook"})
    assert HOME_ENV not in os.environ


def _run_keyring_hook():
    code = (PACKAGING / "hooks" / "rthook_keyring.py").read_text(encoding="utf-8")
    exec(compile(code, "rthook_keyring.py", "exec"), {"__name__": "rthook"})


def test_com07_frozen_windows_app_pins_the_credential_manager_keyring(monkeypatch):
    import keyring
    chosen = []
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.delenv("SHOPSYNC_KEYRING", raising=False)
    monkeypatch.setattr(keyring, "set_keyring", chosen.append)
    _run_keyring_hook()
    assert [type(backend).__name__ for backend in chosen] == ["WinVaultKeyring"]


def test_keyring_hook_leaves_a_test_keyring_choice_alone(monkeypatch):
    import keyring
    chosen = []
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("SHOPSYNC_KEYRING", "memory")
    monkeypatch.setattr(keyring, "set_keyring", chosen.append)
    _run_keyring_hook()
    assert chosen == []
