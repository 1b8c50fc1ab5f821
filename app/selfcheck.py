"""`shopsync selfcheck`: is this installation able to run? Checked before a support call.

Each check answers one question a broken build or PC gets wrong (Qt plugins not bundled, a
resource left out of the package, a platform module the analysis missed, a keyring that
cannot keep secrets, a database that will not open). It runs the same inside the built exe
as from source, which is why the build check in CI runs it from the frozen app.
"""
from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

from app.config import Paths

REQUIRED_RESOURCES = ("caveats.json", "icons/shopsync.ico", "icons/shopsync.png")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail_vi: str
    detail_en: str
    # A problem that leaves the sample shop (and files, results, undo) working: reported as
    # [WARN], never the exit code (finding 11: no keyring = no real shop yet, not a broken
    # install). docs/cli.md states the rule.
    warning: bool = False


def _passed(name: str, vi: str, en: str) -> Check:
    return Check(name, True, vi, en)


def _failed(name: str, vi: str, en: str) -> Check:
    return Check(name, False, vi, en)


def _warned(name: str, vi: str, en: str) -> Check:
    return Check(name, False, vi, en, warning=True)


_KEYRING_STILL_WORKS = (
    " Vẫn dùng được: cửa hàng mẫu, nhập/xuất tệp, kết quả, hoàn tác. Cần kho khoá để nối "
    "cửa hàng thật.",
    " Still works: the sample shop, file import/export, results, undo. A real shop needs the "
    "keyring.")


# --------------------------------------------------------------------------------------------
# Qt
# --------------------------------------------------------------------------------------------

def _native_platform_plugin() -> str | None:
    """The platform plugin the real window needs on this OS (None: no fixed one, e.g. Linux)."""
    if sys.platform == "win32":
        return "qwindows"
    if sys.platform == "darwin":
        return "qcocoa"
    return None


def check_qt() -> Check:
    """Qt loads with the offscreen platform and can paint Vietnamese text; the native window
    plugin is present in the bundle."""
    try:
        from PySide6.QtCore import QCoreApplication, QLibraryInfo, qVersion
        from PySide6.QtGui import QGuiApplication, QImage, QPainter
    except Exception as exc:
        return _failed("qt", f"Không nạp được thư viện Qt ({type(exc).__name__}: {exc}). Hãy "
                             "cài lại ShopSync.",
                       f"The Qt libraries do not load ({type(exc).__name__}: {exc}). Reinstall "
                       "ShopSync.")
    app = QGuiApplication.instance()
    if app is None:
        return _failed("qt", "Chưa khởi động được Qt.", "Qt was not started.")
    image = QImage(120, 24, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    painter.drawText(2, 18, "Đồng bộ cửa hàng")
    painter.end()
    # Every folder Qt searches for plugins (a frozen build points Qt at its own copy).
    search = {Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)),
              *(Path(p) for p in QCoreApplication.libraryPaths())}
    found = sorted({plugin.name.split(".")[0].removeprefix("lib")
                    for folder in search if (folder / "platforms").is_dir()
                    for plugin in (folder / "platforms").iterdir() if plugin.is_file()})
    native = _native_platform_plugin()
    detail = f"Qt {qVersion()}, platform '{app.platformName()}', plugins: {', '.join(found)}"
    if native and native not in found:
        return _failed("qt", f"Thiếu plugin cửa sổ {native} của Qt ({detail}). Hãy cài lại "
                             "ShopSync.",
                       f"Qt's window plugin {native} is missing ({detail}). Reinstall ShopSync.")
    return _passed("qt", f"Qt hoạt động. {detail}", f"Qt works. {detail}")


def _offscreen_application():
    """A Qt application for the checks when none runs yet (the command line), offscreen so
    it works on a server or CI with no display. The caller keeps it alive until the end.
    A widgets QApplication, not a QGuiApplication: the desktop app (or a test) that runs in the
    same process later needs widgets, and Qt allows one application object per process."""
    try:
        from PySide6.QtGui import QGuiApplication
        from PySide6.QtWidgets import QApplication
        if QGuiApplication.instance() is not None:
            return None
        return QApplication([sys.argv[0] or "shopsync", "-platform", "offscreen"])
    except Exception:  # Qt itself does not load: check_qt reports it
        return None


# --------------------------------------------------------------------------------------------
# Database
# --------------------------------------------------------------------------------------------

def check_data_folder(paths: Paths) -> Check:
    probe = paths.home / ".selfcheck-write-probe"
    try:
        paths.home.mkdir(parents=True, exist_ok=True)
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        return _failed("data_folder",
                       f"Không ghi được vào thư mục dữ liệu {paths.home} ({exc.strerror or exc}). "
                       "Hãy kiểm tra quyền thư mục hoặc dung lượng ổ đĩa.",
                       f"Cannot write to the data folder {paths.home} ({exc.strerror or exc}). "
                       "Check the folder's permissions or free disk space.")
    return _passed("data_folder", f"Thư mục dữ liệu ghi được: {paths.home}",
                   f"Data folder is writable: {paths.home}")


def check_database(paths: Paths) -> Check:
    """Opens and migrates a snapshot of the shop's database in a temporary folder, so the
    check proves the real file would open without touching it."""
    from app.store.connection import open_store
    from app.store.errors import StoreError
    from app.store.migrations import copy_database, current_version
    from app.store.models import database_proxy

    previous = database_proxy.obj
    with tempfile.TemporaryDirectory(prefix="shopsync-selfcheck-",
                                     ignore_cleanup_errors=True) as tmp:  # Windows file locks
        copy = Path(tmp) / "shopsync.db"
        existed = paths.database.is_file()
        try:
            if existed and paths.database.stat().st_size == 0:
                # An empty file copies to no file at all: check the real one as open_store would.
                open_store(paths.database, paths.backups, daily_copy=False)
            if existed:
                copy_database(paths.database, copy)
            db = open_store(copy, Path(tmp) / "backups", daily_copy=False)
            try:
                version = current_version(db)
            finally:
                db.close()
        except StoreError as exc:
            real = _about_the_real_file(exc, copy, paths)
            return _failed("database", real.message_vi, real.message_en)
        except (sqlite3.Error, OSError) as exc:
            return _failed("database",
                           f"Không mở được cơ sở dữ liệu {paths.database} ({exc}). Hãy khôi phục "
                           f"bản sao lưu trong {paths.backups} (xem Hướng dẫn, mục Xử lý sự cố).",
                           f"The database {paths.database} does not open ({exc}). Restore a "
                           f"backup from {paths.backups} (see the guide, Troubleshooting).")
        finally:
            if previous is not None:
                database_proxy.initialize(previous)
    what_vi = "mở và nâng cấp được" if existed else "tạo mới được (chưa có dữ liệu)"
    what_en = "opens and migrates" if existed else "can be created (no data yet)"
    return _passed("database", f"Cơ sở dữ liệu {paths.database} {what_vi}, lược đồ {version}.",
                   f"Database {paths.database} {what_en}, schema {version}.")


def _about_the_real_file(error, copy: Path, paths: Paths):
    """The check opened a temporary copy; what the user must hear about is their own file
    (and, when it is damaged, the newest good copy of it in their backups folder)."""
    from app.store.backups import newest_good_backup
    from app.store.errors import DamagedDatabase, StoreError
    if isinstance(error, DamagedDatabase):
        return DamagedDatabase(paths.database,
                               newest_good_backup(paths.backups, paths.database.stem),
                               error.detail)
    return StoreError(error.message_vi.replace(str(copy), str(paths.database)),
                      error.message_en.replace(str(copy), str(paths.database)))


# --------------------------------------------------------------------------------------------
# Keyring
# --------------------------------------------------------------------------------------------

def check_keyring(paths: Paths) -> Check:
    """The keyring the app would use on this PC, and whether it is one known to encrypt."""
    from app.secrets import SAFE_BACKENDS, MemoryKeyring, SecretStore, SecretsUnavailable
    try:
        store = SecretStore.for_home(paths)
    except SecretsUnavailable as exc:
        from app.secrets import InsecureKeyring, KeyringMissing
        if isinstance(exc, InsecureKeyring) and not exc.can_accept:
            exc = KeyringMissing(exc.backend_name)     # the words that say what still works
            return _warned("keyring", exc.message_vi, exc.message_en)
        return _warned("keyring", exc.message_vi + _KEYRING_STILL_WORKS[0],
                       exc.message_en + _KEYRING_STILL_WORKS[1])
    backend = store.backend_name()
    problem = _round_trip_problem(store)
    if problem:
        return _warned("keyring", f"Kho khoá {backend} không lưu/đọc được khoá thử ({problem}). "
                                  "Hãy mở khoá kho khoá (đăng nhập lại Windows) rồi thử lại."
                                  + _KEYRING_STILL_WORKS[0],
                       f"The keyring {backend} cannot save and read back a test secret "
                       f"({problem}). Unlock the keyring (sign in to Windows again) and retry."
                       + _KEYRING_STILL_WORKS[1])
    if backend in SAFE_BACKENDS:
        return _passed("keyring", f"Kho khoá an toàn: {backend}", f"Safe keyring: {backend}")
    if backend.endswith(MemoryKeyring.__qualname__):
        return _passed("keyring", f"Kho khoá trong bộ nhớ ({backend}): chỉ dùng khi kiểm thử, "
                                  "tắt máy là mất.",
                       f"In-memory keyring ({backend}): for tests only, nothing is kept.")
    return _warned("keyring",
                   f"Đang dùng kho khoá không an toàn '{backend}' (người dùng đã chấp nhận). "
                   "Khoá API có thể bị đọc được; nên cài kho khoá an toàn của hệ điều hành.",
                   f"Using the insecure keyring '{backend}' (accepted by the user). API keys "
                   "may be readable; install the system's secure keyring.")


# '~' cannot appear in a profile name, so the probe never touches a real connection's secret.
PROBE_PROFILE = "~selfcheck"


def _round_trip_problem(store) -> str | None:
    """Write, read back and delete a random value: a frozen app on the 'fail' backend, or a
    locked keyring, passes every import and only fails here."""
    value = uuid.uuid4().hex
    try:
        store.set(PROBE_PROFILE, "probe", value)
        read = store.get(PROBE_PROFILE, "probe")
        store.delete(PROBE_PROFILE, "probe")
    except Exception as exc:
        return getattr(exc, "detail", "") or type(exc).__name__
    return None if read == value else "read back a different value"


# --------------------------------------------------------------------------------------------
# Resources
# --------------------------------------------------------------------------------------------

def default_resources_dir() -> Path:
    from app.caveats import resources_dir
    return resources_dir()


def check_resources(root: Path) -> Check:
    """Every required file is there and every file present can be read as what it claims to
    be (JSON parses, images load, each .ts translation has its compiled .qm)."""
    if not root.is_dir():
        return _failed("resources", f"Thiếu thư mục tài nguyên {root}. Hãy cài lại ShopSync.",
                       f"The resources folder {root} is missing. Reinstall ShopSync.")
    problems: list[str] = [f"missing {name}" for name in REQUIRED_RESOURCES
                           if not (root / name).is_file()]
    files = sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        problem = _resource_problem(path)
        if problem:
            problems.append(f"{path.relative_to(root).as_posix()}: {problem}")
    if problems:
        listed = "; ".join(problems)
        return _failed("resources", f"Tài nguyên thiếu hoặc hỏng: {listed}. Hãy cài lại ShopSync.",
                       f"Resources missing or damaged: {listed}. Reinstall ShopSync.")
    return _passed("resources", f"Đủ {len(files)} tệp tài nguyên trong {root}.",
                   f"All {len(files)} resource files present in {root}.")


def _resource_problem(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        return "empty"
    if suffix == ".json":
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            return f"not valid JSON ({exc})"
    elif suffix in (".png", ".ico", ".svg", ".jpg", ".jpeg"):
        from PySide6.QtGui import QImage
        if QImage(str(path)).isNull():
            return "image does not load"
    elif suffix == ".ts" and not path.with_suffix(".qm").is_file():
        return "translation not compiled (.qm missing)"
    elif suffix == ".qm":
        from PySide6.QtCore import QTranslator
        if not QTranslator().load(str(path)):
            return "translation does not load"
    return None


# --------------------------------------------------------------------------------------------
# Platforms
# --------------------------------------------------------------------------------------------

def check_platforms(keys: Iterable[str] | None = None) -> list[Check]:
    """Each platform module imports: in a frozen build a module the analysis missed would
    only fail when the shop first picks that platform."""
    from contract.connector import Platform
    from connectors.registry import get_platform, platform_keys
    checks = []
    for key in (keys if keys is not None else platform_keys()):
        name = f"platform:{key}"
        try:
            platform = get_platform(key)
        except Exception as exc:
            checks.append(_failed(name, f"Không nạp được nền tảng {key}: {type(exc).__name__}: "
                                        f"{exc}. Hãy cài lại ShopSync.",
                                  f"Platform {key} does not load: {type(exc).__name__}: {exc}. "
                                  "Reinstall ShopSync."))
            continue
        if not isinstance(platform, Platform):
            checks.append(_failed(name, f"Nền tảng {key} không hợp lệ.", f"Platform {key} is "
                                  "not a Platform description."))
            continue
        checks.append(_passed(name, f"Nạp được {platform.name_vi}.", f"{platform.name_en} loads."))
    return checks


# --------------------------------------------------------------------------------------------
# All together
# --------------------------------------------------------------------------------------------

def run_selfcheck(paths: Paths, *, resources: Path | None = None,
                  platforms: Iterable[str] | None = None) -> list[Check]:
    """Every check, in the order a support person reads them; none stops the others."""
    qt_app = _offscreen_application()  # noqa: F841 - must outlive the image checks
    checks = [_guarded("qt", check_qt),
              _guarded("data_folder", lambda: check_data_folder(paths)),
              _guarded("database", lambda: check_database(paths)),
              _guarded("keyring", lambda: check_keyring(paths)),
              _guarded("resources", lambda: check_resources(resources or default_resources_dir()))]
    try:
        checks += check_platforms(platforms)
    except Exception as exc:
        checks.append(_crashed("platforms", exc))
    return checks


def _guarded(name: str, check) -> Check:
    try:
        return check()
    except Exception as exc:  # a check that crashes is a failed check, never a crashed command
        return _crashed(name, exc)


def _crashed(name: str, exc: Exception) -> Check:
    return _failed(name, f"Kiểm tra '{name}' bị lỗi: {type(exc).__name__}: {exc}",
                   f"Check '{name}' crashed: {type(exc).__name__}: {exc}")


def all_passed(checks: Iterable[Check]) -> bool:
    """Nothing the sample shop needs is broken (warnings do not count)."""
    return all(check.ok or check.warning for check in checks)


def selfcheck_command(args, out=None) -> int:
    """`shopsync selfcheck [--json]`: 0 when nothing the sample shop needs is broken (a
    [WARN] line, such as a missing keyring, does not count), 1 otherwise.

    Reads `args.home`, `args.json` and `args.lang`; `out` defaults to standard output."""
    from app.config import get_paths
    out = out or sys.stdout
    checks = run_selfcheck(get_paths(getattr(args, "home", None)))
    english = getattr(args, "lang", "vi") == "en"
    for check in checks:
        if getattr(args, "json", False):
            out.write(json.dumps(asdict(check), ensure_ascii=False) + "\n")
        else:
            mark = "OK  " if check.ok else "WARN" if check.warning else "FAIL"
            out.write(f"[{mark}] {check.name}: {check.detail_en if english else check.detail_vi}\n")
    out.flush()
    return 0 if all_passed(checks) else 1
