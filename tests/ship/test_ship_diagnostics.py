"""The diagnostics bundle holds what support needs and no secret (B-03, COM-07)."""
from __future__ import annotations

import json
import logging
import zipfile
from datetime import datetime, timezone

import pytest

from app.diagnostics import export_diagnostics
from app.logs import setup_logging
from app.secrets import MemoryKeyring, SecretStore
from app.store.models import Profile, Run
from connectors.http import Redactor

API_KEY = "sapo-key-7f3a9c1e"
API_SECRET = "sapo-secret-Zq81Lm44"


@pytest.fixture
def shop(home, store):
    """A home with one Sapo profile, its secrets in the keyring, and runs whose error text and
    log lines carry the secret (as a careless connector would have written them)."""
    now = datetime.now(timezone.utc)
    profile = Profile.create(name="Cửa hàng Quận 1", platform="sapo",
                             fields=json.dumps({"shop": "banhangonline"}),
                             options=json.dumps({"push_orders": True}),
                             hosts=json.dumps({}),
                             secret_names=json.dumps(["api_key", "api_secret"]), created_at=now)
    Run.create(profile=profile, kind="sync", status="done", started_at=now, finished_at=now,
               counts=json.dumps({"ok": 12, "failed": 1}), request_count=31,
               entities=json.dumps(["products"]))
    Run.create(profile=profile, kind="sync", status="failed", started_at=now,
               counts=json.dumps({"failed": 3}), request_count=4,
               error=f"401 for https://{API_KEY}:{API_SECRET}@banhangonline.mysapo.net")
    keyring = SecretStore(backend=MemoryKeyring())
    keyring.set("Cửa hàng Quận 1", "api_key", API_KEY)
    keyring.set("Cửa hàng Quận 1", "api_secret", API_SECRET)
    home.logs.mkdir(parents=True, exist_ok=True)
    # A line written before the secret was known to the log filter (or by an old version).
    (home.logs / "shopsync.log.1").write_text(f"auth header Basic {API_KEY}:{API_SECRET}\n",
                                              encoding="utf-8")
    return keyring


def _bundle_bytes(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_b03_com07_bundle_contains_no_known_secret_in_any_file(home, shop, tmp_path):
    handle = setup_logging(home, Redactor(), logging.INFO)   # not told the secret
    try:
        logging.getLogger("shopsync.test").error("tried to log %s", API_SECRET)
        handle.handler.flush()
        out = tmp_path / "out" / "diag.zip"
        bundle = export_diagnostics(home, out, secret_store=shop)
    finally:
        handle.close()
    files = _bundle_bytes(out)
    assert bundle.masked >= 3
    for name, data in files.items():
        assert API_KEY.encode() not in data, name
        assert API_SECRET.encode() not in data, name
    assert b"tried to log ***" in files["logs/shopsync.log"]


def test_b03_com07_secrets_given_by_the_caller_are_masked_without_a_keyring(home, shop, tmp_path):
    out = tmp_path / "diag.zip"
    export_diagnostics(home, out, secrets=[API_KEY, API_SECRET], use_keyring=False)
    for data in _bundle_bytes(out).values():
        assert API_SECRET.encode() not in data and API_KEY.encode() not in data


def test_b03_bundle_has_versions_profiles_keyring_and_last_runs(home, shop, tmp_path):
    out = tmp_path / "diag.zip"
    export_diagnostics(home, out, secret_store=shop)
    files = _bundle_bytes(out)
    versions = json.loads(files["versions.json"])
    assert versions["versions"]["shopsync"]
    for library in ("python", "qt", "httpx", "peewee", "platform"):
        assert versions["versions"][library]
    assert versions["keyring"]["backend"].endswith("MemoryKeyring")
    profiles = json.loads(files["profiles.json"])
    assert profiles[0]["name"] == "Cửa hàng Quận 1"
    assert profiles[0]["fields"] == {"shop": "banhangonline"}
    assert profiles[0]["secret_names"] == ["api_key", "api_secret"]
    runs = json.loads(files["runs.json"])
    assert [run["status"] for run in runs] == ["failed", "done"]
    assert runs[1]["counts"] == {"ok": 12, "failed": 1} and runs[1]["request_count"] == 31
    assert "***" in runs[0]["error"]


def test_b03_bundle_is_written_even_without_a_database(home, tmp_path):
    out = tmp_path / "diag.zip"
    bundle = export_diagnostics(home, out, use_keyring=False)
    files = _bundle_bytes(out)
    assert json.loads(files["profiles.json"]) == []
    assert any("no database" in problem for problem in bundle.problems)


def test_b03_diagnostics_command_writes_the_zip_and_exits_0(home, tmp_path, capsys):
    from types import SimpleNamespace
    from app.diagnostics import diagnostics_command
    out = tmp_path / "cmd.zip"
    assert diagnostics_command(SimpleNamespace(out=str(out), home=str(home.home))) == 0
    assert zipfile.is_zipfile(out)
    assert str(out) in capsys.readouterr().out


def test_com07_secret_field_wrongly_saved_in_a_profile_is_masked_in_the_bundle(home, store,
                                                                              tmp_path):
    Profile.create(name="Nhanh", platform="nhanh-v3", created_at=datetime.now(timezone.utc),
                   fields=json.dumps({"app_id": "74001", "secret_key": "leaked-secret-value"}))
    out = tmp_path / "diag.zip"
    export_diagnostics(home, out, use_keyring=False)
    files = _bundle_bytes(out)
    assert b"leaked-secret-value" not in b"".join(files.values())
    assert json.loads(files["profiles.json"])[0]["fields"] == {"app_id": "74001",
                                                               "secret_key": "***"}


def test_com07_token_known_only_to_the_running_app_is_masked_in_the_bundle(home, tmp_path):
    token = "kiotviet-bearer-eyJhbGciOi-session"
    home.logs.mkdir(parents=True, exist_ok=True)
    (home.logs / "shopsync.log").write_text(f"old line with {token}\n", encoding="utf-8")
    out = tmp_path / "diag.zip"
    export_diagnostics(home, out, use_keyring=False, redactor=Redactor([token]))
    assert token.encode() not in b"".join(_bundle_bytes(out).values())


def test_com07_secret_with_quotes_in_a_run_error_is_masked_despite_json_escaping(home, store,
                                                                                 tmp_path):
    secret = 'pa"ss\\word-9931'
    now = datetime.now(timezone.utc)
    profile = Profile.create(name="Shop", platform="sapo", created_at=now)
    Run.create(profile=profile, status="failed", started_at=now, error=f"rejected {secret}")
    out = tmp_path / "diag.zip"
    export_diagnostics(home, out, secrets=[secret], use_keyring=False)
    runs = json.loads(_bundle_bytes(out)["runs.json"])
    assert runs[0]["error"] == "rejected ***"
