"""The diagnostics bundle a shop sends to support: logs, versions, profiles, last runs (B-03).

Nothing secret may leave the machine (COM-07). Profiles are written without secret values by
construction (the database never holds them), and then every file of the bundle is scanned
once more and any known secret that still slipped in (a log line, an error text) becomes ***.
The database is read through a read-only SQLite connection, so exporting works on a damaged
or half-migrated file and never changes it; the shop's catalog (customers!) is not included.
"""
from __future__ import annotations

import json
import logging
import platform
import sqlite3
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import app
from app.config import Paths
from app.store.models import Profile, Run
from app.redaction import redact
from connectors.http import Redactor

log = logging.getLogger("shopsync.diagnostics")

RUNS_INCLUDED = 20
LOG_BYTES_PER_FILE = 5 * 1024 * 1024   # a runaway log is cut from the front, newest kept


@dataclass
class Bundle:
    """What went into the zip, for the caller's message ("sent 7 files, 3 secrets masked")."""

    path: Path
    files: list[str] = field(default_factory=list)
    masked: int = 0
    problems: list[str] = field(default_factory=list)        # English, for support's file
    problems_vi: list[str] = field(default_factory=list)     # the same, for a Vietnamese reader

    def problem(self, vi: str, en: str) -> None:
        self.problems.append(en)
        self.problems_vi.append(vi)


# --------------------------------------------------------------------------------------------
# Pieces of the bundle
# --------------------------------------------------------------------------------------------

def versions() -> dict:
    """Versions of everything a support person asks about first."""
    info: dict = {
        "shopsync": app.__version__,
        "python": sys.version,
        "frozen": bool(getattr(sys, "frozen", False)),
        "platform": platform.platform(),
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "sqlite": sqlite3.sqlite_version,
    }
    for name, module in (("httpx", "httpx"), ("peewee", "peewee"), ("qasync", "qasync"),
                         ("platformdirs", "platformdirs"), ("PySide6", "PySide6")):
        try:
            info[name] = getattr(__import__(module), "__version__", "?")
        except Exception as exc:  # a missing library is itself worth reporting
            info[name] = f"not available: {type(exc).__name__}"
    try:
        from importlib.metadata import version as dist_version
        info["keyring"] = dist_version("keyring")
    except Exception as exc:
        info["keyring"] = f"not available: {type(exc).__name__}"
    try:
        from PySide6.QtCore import qVersion
        info["qt"] = qVersion()
    except Exception as exc:
        info["qt"] = f"not available: {type(exc).__name__}"
    return info


def keyring_report(paths: Paths) -> dict:
    """Which keyring backend this machine uses, and whether ShopSync accepts it as safe."""
    from app.secrets import SAFE_BACKENDS, SecretStore, SecretsUnavailable
    try:
        store = SecretStore.for_home(paths)
    except SecretsUnavailable as exc:
        return {"backend": getattr(exc, "backend_name", "") or exc.detail, "usable": False,
                "message_en": exc.message_en}
    return {"backend": store.backend_name(), "usable": True,
            "safe": store.backend_name() in SAFE_BACKENDS}


def _read_only(database: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=5)


def _rows(database: Path, sql: str, params: tuple = ()) -> list[dict]:
    with _read_only(database) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(sql, params).fetchall()]


def _fields_of(model, row: dict) -> dict:
    """Row keyed by model field name (columns may be named differently, e.g. profile_id)."""
    return {name: row.get(f.column_name) for name, f in model._meta.fields.items()}


def _secret_field_names(platform_key: str) -> set[str]:
    try:
        from connectors.registry import get_platform
        return {f.name for f in get_platform(platform_key).credential_fields if f.secret}
    except Exception:  # an unknown or broken platform: the name heuristic still applies
        return set()


def read_profiles(database: Path) -> list[dict]:
    """Saved connections without secrets: a secret field is masked even if a buggy writer put
    one into `fields` (the names of keyring entries are kept: they help support)."""
    profiles = []
    for row in _rows(database, f'SELECT * FROM "{Profile._meta.table_name}" ORDER BY "id"'):
        profile = _fields_of(Profile, row)
        secret_names = set(_json(profile["secret_names"], []))
        hidden = secret_names | _secret_field_names(profile["platform"])
        fields = _json(profile["fields"], {})
        profile.update(
            fields={key: "***" if key in hidden or _looks_secret(key) else item
                    for key, item in fields.items()},
            options=_json(profile["options"], {}),
            hosts=_json(profile["hosts"], {}),
            secret_names=sorted(secret_names))
        profiles.append(profile)
    return profiles


def read_runs(database: Path, limit: int = RUNS_INCLUDED) -> list[dict]:
    """The last runs' summaries: what ran, how it ended, how many requests, the error."""
    profile_id = Run.profile.column_name
    rows = _rows(database,
                 f'SELECT r.*, p."name" AS profile_name, p."platform" AS profile_platform '
                 f'FROM "{Run._meta.table_name}" r LEFT JOIN "{Profile._meta.table_name}" p '
                 f'ON p."id" = r."{profile_id}" ORDER BY r."id" DESC LIMIT ?', (limit,))
    runs = []
    for row in rows:
        run = _fields_of(Run, row)
        run.update(profile=row["profile_name"], platform=row["profile_platform"],
                   dry_run=bool(run["dry_run"]), entities=_json(run["entities"], []),
                   counts=_json(run["counts"], {}))
        runs.append(run)
    return runs


def _json(text, default):
    if not text:
        return default
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default


_SECRET_WORDS = ("secret", "token", "password", "mat_khau", "api_key", "apikey", "mã bảo mật")


def _looks_secret(field_name: str) -> bool:
    lowered = field_name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def collect_known_secrets(store, profiles: list[dict]) -> list[str]:
    """Secret values of every profile, read from the keyring only to mask them in the bundle."""
    found: list[str] = []
    for profile in profiles:
        for name in profile["secret_names"]:
            value = store.get(profile["name"], name)
            if value:
                found.append(value)
    return found


# --------------------------------------------------------------------------------------------
# The bundle
# --------------------------------------------------------------------------------------------

def _log_files(paths: Paths) -> list[Path]:
    if not paths.logs.is_dir():
        return []
    return sorted(p for p in paths.logs.iterdir() if p.is_file() and ".log" in p.name)


def _tail(path: Path, limit: int = LOG_BYTES_PER_FILE) -> bytes:
    size = path.stat().st_size
    with path.open("rb") as handle:
        if size > limit:
            handle.seek(size - limit)
        return handle.read()


def mask_bytes(data: bytes, mask: Callable[[str], str]) -> bytes:
    """Mask known secrets in a file's bytes. Decoding with surrogateescape keeps any non-UTF-8
    byte as it was, so masking never damages a file it cannot fully read."""
    text = data.decode("utf-8", errors="surrogateescape")
    masked = mask(text)
    return data if masked == text else masked.encode("utf-8", errors="surrogateescape")


def export_diagnostics(paths: Paths, out_zip: Path | str, secrets: Iterable[str] | None = None,
                       *, secret_store=None, use_keyring: bool = True,
                       redactor: Redactor | None = None) -> Bundle:
    """Write the support bundle to `out_zip` and return what it holds.

    `secrets`: secret values known to the caller. With `use_keyring`,
    the profiles' secrets are also read from the keyring (`secret_store`, by default the
    home's SecretStore) so they are masked too. `redactor`: the running app's log redactor
    (`LogHandle.redactor`), which also knows tokens learnt during this session."""
    out_zip = Path(out_zip)
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    bundle = Bundle(out_zip)
    known = [s for s in (secrets or ()) if s]
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    parts: dict[str, bytes] = {}

    profiles: list[dict] = []
    runs: list[dict] = []
    if paths.database.is_file():
        try:
            profiles = read_profiles(paths.database)
        except sqlite3.Error as exc:
            bundle.problem(f"không đọc được các kết nối: {exc}", f"profiles unreadable: {exc}")
        try:
            runs = read_runs(paths.database)
        except sqlite3.Error as exc:
            bundle.problem(f"không đọc được các lần chạy: {exc}", f"runs unreadable: {exc}")
    else:
        bundle.problem(f"không có cơ sở dữ liệu tại {paths.database}",
                       f"no database at {paths.database}")

    if use_keyring and profiles:
        try:
            if secret_store is None:
                from app.secrets import SecretStore
                secret_store = SecretStore.for_home(paths)
            known += collect_known_secrets(secret_store, profiles)
        except Exception as exc:
            bundle.problem(f"không đọc được kho khoá, chỉ che được các khoá đã biết: "
                           f"{type(exc).__name__}",
                           f"keyring not readable, only given secrets masked: "
                           f"{type(exc).__name__}")
    known_redactor = Redactor(known)

    def mask(text: str) -> str:
        masked = known_redactor(redactor(text) if redactor is not None else text)
        masked = redact(masked)          # every secret this process has met (app.redaction)
        bundle.masked += masked.count("***") - text.count("***")
        return masked

    summary = {
        "created_at": now,
        "home": str(paths.home),
        "database_exists": paths.database.is_file(),
        "database_bytes": paths.database.stat().st_size if paths.database.is_file() else 0,
        "versions": versions(),
        "keyring": keyring_report(paths),
    }
    # Masked before serialising too: JSON escapes a secret holding `"` or `\`, and the
    # byte scan below would no longer recognise it.
    parts["versions.json"] = _dump(_mask_tree(summary, mask))
    parts["profiles.json"] = _dump(_mask_tree(profiles, mask))
    parts["runs.json"] = _dump(_mask_tree(runs, mask))
    if paths.settings_file.is_file():
        parts["settings.json"] = paths.settings_file.read_bytes()
    for log_file in _log_files(paths):
        parts[f"logs/{log_file.name}"] = _tail(log_file)
    parts["problems.json"] = _dump(bundle.problems)
    parts["README.txt"] = README.encode("utf-8")

    with zipfile.ZipFile(out_zip, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, mask_bytes(data, mask))
            bundle.files.append(name)
    log.info("diagnostics written to %s (%d files, %d secrets masked)", out_zip,
             len(bundle.files), bundle.masked)
    return bundle


def _mask_tree(value, mask: Callable[[str], str]):
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {key: _mask_tree(item, mask) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_tree(item, mask) for item in value]
    return value


def _dump(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str).encode("utf-8")


README = """ShopSync — gói chẩn đoán / diagnostics bundle

VI: Gói này gồm nhật ký, phiên bản phần mềm, cấu hình kết nối (KHÔNG có khoá bí mật), cài đặt
người dùng và tóm tắt các lần đồng bộ gần nhất. Mọi khoá bí mật đã biết đều được thay bằng ***.
Dữ liệu khách hàng, sản phẩm, đơn hàng không nằm trong gói.
EN: This bundle holds logs, software versions, connection settings (WITHOUT secrets), user
settings and the last sync runs' summaries. Every known secret is replaced by ***. Customer,
product and order data are not included.
"""


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------

def diagnostics_command(args, out=None, err=None, redactor: Redactor | None = None) -> int:
    """`shopsync diagnostics [OUT.zip]`: 0 when written, 2 when it could not be written.

    Reads `args.out` (default: a dated zip in the home's exports folder), `args.home` and
    `args.lang`; `out`/`err` default to the process's streams."""
    from app.config import get_paths
    out, err = out or sys.stdout, err or sys.stderr
    english = getattr(args, "lang", "vi") == "en"
    paths = get_paths(getattr(args, "home", None))
    target = getattr(args, "out", None)
    if not target:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        target = paths.exports / f"shopsync-diagnostics-{stamp}.zip"
    try:
        bundle = export_diagnostics(paths, target, redactor=redactor)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        err.write((f"Could not write the diagnostics bundle to {target}: {reason}. Choose "
                   f"another folder you can write to." if english else
                   f"Không ghi được gói chẩn đoán vào {target}: {reason}. Hãy chọn thư mục "
                   f"khác có quyền ghi.") + "\n")
        return 2
    out.write((f"Diagnostics bundle written (no secrets inside): {bundle.path}" if english else
               f"Đã ghi gói chẩn đoán (không chứa khoá bí mật): {bundle.path}") + "\n")
    for problem in (bundle.problems if english else bundle.problems_vi):
        out.write(f"  ! {problem}\n")
    out.flush()
    return 0
