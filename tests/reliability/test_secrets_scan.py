"""COM-07 / B-03: after full runs of every platform (with faults, so error paths run too), no
secret value appears in the database file, the logs, the exports, the results CSV/JSON, the
diagnostics bundle, or anything the command line printed."""
from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest

from app.cli import main
from app.diagnostics import export_diagnostics
from app.secrets import MemoryKeyring, SecretStore
from app.store.connection import open_store
from app.store.profiles import create_profile
from connectors.registry import get_platform
from connectors.sandbox_base import Fault, serve
from tests.reliability.harness import PLATFORM_KEYS

NAME = "Cửa hàng bí mật"
# No TIMEOUT or THROTTLE here: served over HTTP they cost real seconds (a Nhanh lock is 10+ s);
# test_faults covers them in-process. These four exercise the error and retry log paths.
FAULTS = (Fault.SERVER_ERROR, Fault.RESET, Fault.MALFORMED, Fault.HTML)


def encodings(secret: str) -> set[bytes]:
    forms = {secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode()}
    return {f.encode("utf-8") for f in forms if len(f) >= 6}


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def leaks(blobs: dict[str, bytes], secrets: list[str]) -> list[str]:
    found = []
    for where, blob in blobs.items():
        for secret in secrets:
            for form in encodings(secret):
                if form in blob:
                    found.append(f"{where}: {form[:6]!r}…")
    return found


@pytest.mark.parametrize("platform_key", PLATFORM_KEYS)
def test_com07_b03_no_secret_in_db_logs_exports_results_diagnostics_or_output(
        home, tmp_path, platform_key):
    platform = get_platform(platform_key)
    sandbox = platform.sandbox(seed=4, products=20, rate_limits=False)
    sandbox.chaos(0.1, FAULTS, seed=4)
    server = serve(sandbox)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        hosts = {"api_base": url}
        if "token_url" in platform.hosts:
            hosts["token_url"] = f"{url}/identity/connect/token"
        store = SecretStore(backend=MemoryKeyring())
        db = open_store(home)
        create_profile(NAME, platform.key, fields=dict(platform.sandbox_settings), hosts=hosts,
                       secret_names=tuple(platform.sandbox_secrets))
        db.close()
        for field, value in platform.sandbox_secrets.items():
            store.set(NAME, field, value)
        printed = io.StringIO()

        def shopsync(*argv: str) -> int:
            return main(["--home", str(home.home), *argv], secrets=store, out=printed,
                        err=printed, environ={}, stdin_is_tty=False)

        codes = [shopsync("sync", NAME, "--json") for _ in range(2)]
        codes.append(shopsync("--lang", "en", "sync", NAME))
        assert 0 in codes, printed.getvalue()[-2000:]
        for fmt in ("csv", "json", "table"):
            shopsync("results", "--format", fmt)
        shopsync("profile", "show", NAME)
        shopsync("conflicts", NAME)
        shopsync("catalog", "export", str(tmp_path / "export"))
        bundle = tmp_path / "support.zip"
        export_diagnostics(home, bundle, secret_store=store)
    finally:
        server.shutdown()
        server.server_close()

    secret_fields = {f.name for f in platform.credential_fields if f.secret}
    secrets = [value for field, value in platform.sandbox_secrets.items()
               if field in secret_fields]
    secrets += list(getattr(sandbox, "tokens", {}))          # access tokens the POS issued
    if platform_key == "sapo":
        secrets.append(f"{platform.sandbox_settings['api_key']}:"
                       f"{platform.sandbox_secrets['api_secret']}")
    secrets = [s for s in secrets if isinstance(s, str)]
    assert secrets
    blobs: dict[str, bytes] = {"cli output": printed.getvalue().encode("utf-8")}
    for path in files_under(home.home) + files_under(tmp_path / "export"):
        blobs[str(path)] = path.read_bytes()
    blobs[str(bundle)] = bundle.read_bytes()
    with zipfile.ZipFile(bundle) as archive:
        for member in archive.namelist():
            blobs[f"{bundle}!{member}"] = archive.read(member)
    assert any(p.suffix == ".db" for p in files_under(home.home))
    assert any("log" in p.name for p in files_under(home.home)), files_under(home.home)
    assert leaks(blobs, secrets) == []
