"""`shopsync selfcheck` passes on a healthy install and names what is broken."""
from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest

from app.selfcheck import (check_database, check_platforms, check_resources,
                           default_resources_dir, run_selfcheck, selfcheck_command)
from app.store.models import database_proxy


@pytest.fixture
def resources_copy(tmp_path):
    target = tmp_path / "resources"
    shutil.copytree(default_resources_dir(), target)
    return target


def test_selfcheck_checks_qt_database_keyring_resources_in_a_fresh_home(qapp, home,
                                                                       resources_copy):
    checks = {c.name: c for c in run_selfcheck(home, resources=resources_copy, platforms=[])}
    for name in ("qt", "data_folder", "database", "keyring", "resources"):
        assert checks[name].ok, (name, checks[name].detail_en)
        assert checks[name].detail_vi and checks[name].detail_en


def test_selfcheck_reports_a_missing_resource_as_a_failure(qapp, resources_copy):
    (resources_copy / "icons" / "shopsync.ico").unlink()
    check = check_resources(resources_copy)
    assert not check.ok
    assert "icons/shopsync.ico" in check.detail_en and "icons/shopsync.ico" in check.detail_vi


def test_selfcheck_reports_a_damaged_resource_as_a_failure(qapp, resources_copy):
    (resources_copy / "broken.json").write_text("{not json", encoding="utf-8")
    check = check_resources(resources_copy)
    assert not check.ok and "broken.json" in check.detail_en


def test_selfcheck_reports_a_damaged_database_and_leaves_it_untouched(home):
    home.database.write_bytes(b"this is not a database" * 100)
    before = home.database.read_bytes()
    check = check_database(home)
    assert not check.ok
    assert home.database.read_bytes() == before


def test_selfcheck_database_check_keeps_the_app_bound_to_its_own_database(store, home):
    check_database(home)
    assert database_proxy.obj is store


def test_selfcheck_reports_a_platform_that_does_not_import():
    (check,) = check_platforms(["no-such-platform"])
    assert not check.ok and "no-such-platform" in check.detail_en


def test_selfcheck_command_exits_1_when_a_check_fails(qapp, home, monkeypatch, capsys):
    monkeypatch.setattr("app.selfcheck.default_resources_dir", lambda: home.home / "nowhere")
    assert selfcheck_command(SimpleNamespace(home=str(home.home), json=False)) == 1
    assert "[FAIL] resources" in capsys.readouterr().out


def test_selfcheck_fails_a_keyring_that_cannot_keep_a_secret(home, monkeypatch):
    from app.secrets import MemoryKeyring, SecretStore
    from app.selfcheck import check_keyring

    class Forgetful(MemoryKeyring):
        def get_password(self, service, username):
            return None

    monkeypatch.setattr(SecretStore, "for_home",
                        classmethod(lambda cls, paths: cls(backend=Forgetful())))
    check = check_keyring(home)
    assert not check.ok and "test secret" in check.detail_en


def test_selfcheck_looks_for_resources_inside_the_frozen_bundle(qapp, tmp_path, monkeypatch):
    bundle = tmp_path / "_internal"
    shutil.copytree(default_resources_dir(), bundle / "resources")
    (bundle / "resources" / "caveats.json").unlink()
    monkeypatch.setattr("sys._MEIPASS", str(bundle), raising=False)
    assert default_resources_dir() == bundle / "resources"
    check = check_resources(default_resources_dir())
    assert not check.ok and "missing caveats.json" in check.detail_en
