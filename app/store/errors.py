"""Errors of the local database a user can meet, each with a title and a message in both
languages that says what to do next (the UI and the CLI show them as they are)."""
from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    title_vi = "Lỗi cơ sở dữ liệu"
    title_en = "Database error"

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en


class DamagedDatabase(StoreError):
    """The database file cannot be read; `backup` is the newest copy to restore, if any."""

    title_vi = "Cơ sở dữ liệu bị hỏng"
    title_en = "Database is damaged"

    def __init__(self, path: Path, backup: Path | None, detail: str = "") -> None:
        self.path = path
        self.backup = backup
        self.detail = detail
        if backup is not None:
            vi = (f"Không đọc được tệp dữ liệu {path}{_why_vi(detail)}. Hãy khôi phục bản sao "
                  f"lưu gần nhất còn tốt ({backup.name}, trong thư mục {backup.parent}): trong "
                  f"cửa sổ ShopSync chọn “Có” khi được hỏi, hoặc chạy lệnh "
                  f"“shopsync backup restore”. Tệp hỏng được giữ lại bên cạnh để bộ phận hỗ "
                  f"trợ kiểm tra.")
            en = (f"The data file {path} cannot be read{_why_en(detail)}. Restore the newest "
                  f"good backup ({backup.name}, in {backup.parent}): answer “Yes” when the "
                  f"ShopSync window asks, or run “shopsync backup restore”. The damaged file "
                  f"is kept beside it for support to inspect.")
        else:
            vi = (f"Không đọc được tệp dữ liệu {path}{_why_vi(detail)} và chưa có bản sao lưu "
                  f"nào còn tốt. Hãy liên hệ "
                  f"bộ phận hỗ trợ, hoặc đổi tên tệp này để bắt đầu lại với dữ liệu trống.")
            en = (f"The data file {path} cannot be read{_why_en(detail)} and there is no good "
                  f"backup yet. Contact "
                  f"support, or rename this file to start again with empty data.")
        super().__init__(vi, en)


def _why_vi(detail: str) -> str:
    return " (tệp trống, 0 byte)" if detail.startswith("empty file") else ""


def _why_en(detail: str) -> str:
    return " (the file is empty, 0 bytes)" if detail.startswith("empty file") else ""


class DatabaseUnavailable(StoreError):
    """The file is fine but cannot be opened now (locked by another program, no permission)."""

    title_vi = "Không mở được dữ liệu"
    title_en = "Cannot open the data"

    def __init__(self, path: Path, detail: str = "") -> None:
        self.path, self.detail = path, detail
        super().__init__(
            f"Không mở được tệp dữ liệu {path} ({detail}). Hãy đóng các cửa sổ ShopSync khác "
            f"hoặc chờ lần đồng bộ đang chạy kết thúc, kiểm tra quyền truy cập thư mục, rồi thử "
            f"lại.",
            f"The data file {path} cannot be opened ({detail}). Close other ShopSync windows or "
            f"wait for the running sync to finish, check access to the folder, then try again.")


class NewerDatabase(StoreError):
    """The file was written by a newer ShopSync: opening it with this one could corrupt it."""

    title_vi = "Dữ liệu của phiên bản mới hơn"
    title_en = "Data from a newer version"

    def __init__(self, path: Path, found: int, known: int) -> None:
        self.found, self.known = found, known
        super().__init__(
            f"Tệp dữ liệu {path} được tạo bởi phiên bản ShopSync mới hơn (lược đồ {found}, "
            f"phiên bản này hiểu tới {known}). Hãy cập nhật ShopSync lên bản mới nhất.",
            f"The data file {path} was written by a newer ShopSync (schema {found}; this "
            f"version knows up to {known}). Update ShopSync to the latest version.")


class MigrationFailed(StoreError):
    title_vi = "Không nâng cấp được dữ liệu"
    title_en = "Data upgrade failed"

    def __init__(self, version: int, backup: Path | None, detail: str = "") -> None:
        self.version, self.backup, self.detail = version, backup, detail
        where_vi = f" Bản sao trước khi nâng cấp: {backup}." if backup else ""
        where_en = f" Copy taken before the upgrade: {backup}." if backup else ""
        super().__init__(
            f"Nâng cấp dữ liệu lên bước {version} thất bại; dữ liệu vẫn ở bước trước và không "
            f"mất gì.{where_vi} Hãy gửi tệp nhật ký cho bộ phận hỗ trợ.",
            f"Upgrading the data to step {version} failed; the data stays at the previous step "
            f"and nothing was lost.{where_en} Send the log file to support.")


class DatabaseBusy(StoreError):
    """Another ShopSync process (an import, a sync of another connection, the window) holds
    the data home's database longer than we wait: exit 4, try again (docs/cli.md)."""

    title_vi = "Dữ liệu đang bận"
    title_en = "The data is busy"

    def __init__(self, path: Path | None = None, waited: float | None = None) -> None:
        self.path = path
        where_vi = f" ({path})" if path else ""
        where_en = f" ({path})" if path else ""
        waited_vi = f" ShopSync đã chờ {waited:.0f} giây." if waited else ""
        waited_en = f" ShopSync waited {waited:.0f} s." if waited else ""
        super().__init__(
            f"Một tiến trình ShopSync khác đang bận với dữ liệu này{where_vi} (nhập tệp, đồng "
            f"bộ hoặc cửa sổ ShopSync).{waited_vi} Hãy thử lại sau khi việc đó xong; những gì "
            f"đã làm được vẫn giữ nguyên, lần chạy sau tiếp tục từ chỗ đã dừng.",
            f"Another ShopSync process is busy with this data{where_en} (an import, a sync or "
            f"the ShopSync window).{waited_en} Try again when it is done; what was done is "
            f"kept and the next run continues where this one stopped.")


_BUSY_CODES = {5, 6, 261, 262, 517}      # SQLITE_BUSY, SQLITE_LOCKED and their extended codes


def is_busy(exc: BaseException | None) -> bool:
    """True when SQLite (through peewee or not) says another connection holds the lock."""
    seen = exc
    while seen is not None:
        if getattr(seen, "sqlite_errorcode", None) in _BUSY_CODES:
            return True
        text = str(seen).lower()
        if "database is locked" in text or "database is busy" in text or "database table is locked" in text:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class DiskFull(StoreError):
    """The disk holding the data home is full: nothing more can be saved until space is freed.
    What was committed stays; the interrupted run resumes from its last page (COM-09)."""

    title_vi = "Ổ đĩa đầy"
    title_en = "The disk is full"

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        where_vi = f" chứa thư mục dữ liệu {folder}" if folder else ""
        where_en = f" holding the data folder {folder}" if folder else ""
        super().__init__(
            f"Ổ đĩa{where_vi} đã đầy nên ShopSync không lưu thêm được. Hãy giải phóng chỗ trống "
            f"(xoá tệp không cần, dọn Thùng rác) rồi chạy lại; những gì đã lưu không mất, lần "
            f"chạy sau tiếp tục từ chỗ đã dừng.",
            f"The disk{where_en} is full, so ShopSync cannot save any more. Free some space "
            f"(delete files you do not need, empty the Recycle Bin), then run again; nothing "
            f"saved is lost and the next run continues where this one stopped.")


class FolderNotWritable(StoreError):
    """The data home (or a file in it) cannot be written: read-only, no permission."""

    title_vi = "Không ghi được thư mục dữ liệu"
    title_en = "The data folder cannot be written"

    def __init__(self, folder: Path | None, read_only_disk: bool = False,
                 data_home: bool = True) -> None:
        self.folder = folder
        if read_only_disk:
            why_vi, why_en = "nằm trên ổ đĩa chỉ đọc", "is on a read-only disk"
        else:
            why_vi, why_en = ("chỉ đọc hoặc tài khoản này không có quyền ghi",
                              "is read-only, or this user account may not write in it")
        if data_home:
            super().__init__(
                f"Thư mục dữ liệu {folder} {why_vi}, nên ShopSync không mở hoặc lưu được dữ "
                f"liệu (và cũng không ghi được nhật ký). Hãy cấp quyền ghi cho thư mục này "
                f"(chuột phải → Properties → Security trên Windows), hoặc chọn thư mục khác bằng "
                f"--home hay biến SHOPSYNC_HOME, rồi thử lại.",
                f"The data folder {folder} {why_en}, so ShopSync cannot open or save its data "
                f"(nor write its log). Give this account write permission on the folder "
                f"(right-click → Properties → Security on Windows), or choose another folder "
                f"with --home or SHOPSYNC_HOME, then try again.")
        else:
            super().__init__(
                f"Không ghi được vào {folder}: thư mục {why_vi}. Hãy chọn thư mục khác có quyền "
                f"ghi, hoặc cấp quyền ghi cho thư mục này, rồi thử lại.",
                f"Cannot write to {folder}: the folder {why_en}. Choose another folder you can "
                f"write to, or give this account write permission on it, then try again.")


_FULL_CODES = {13}                      # SQLITE_FULL
_READONLY_CODES = {8, 14, 264, 520, 776, 1032, 1288}   # SQLITE_READONLY*, SQLITE_CANTOPEN


def storage_problem(exc: BaseException | None, folder: Path | None) -> StoreError | None:
    """What a failed write of the data home means to the user, or None when it is not a
    storage problem: the folder busy (another process), full, or not writable."""
    import errno
    seen = exc
    while seen is not None:
        if isinstance(seen, (DatabaseBusy, DiskFull, FolderNotWritable)):
            return seen
        code = getattr(seen, "sqlite_errorcode", None)
        text = str(seen).lower()
        # An OSError names its own file: a folder the user chose (an export) is named as
        # such, not as the data folder.
        where, home = folder, True
        if isinstance(seen, OSError) and seen.filename:
            target = Path(seen.filename)
            where = target if target.is_dir() or not target.suffix else target.parent
            home = folder is not None and (where == folder or folder in where.parents)
            where = folder if home else where
        if code in _FULL_CODES or "database or disk is full" in text or (
                isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT)):
            return DiskFull(where)
        if isinstance(seen, OSError) and seen.errno == errno.EROFS:
            return FolderNotWritable(where, read_only_disk=True, data_home=home)
        if (code in _READONLY_CODES or "readonly database" in text
                or "unable to open database file" in text
                or (isinstance(seen, OSError) and seen.errno in (errno.EACCES, errno.EPERM))):
            return FolderNotWritable(where, data_home=home)
        seen = seen.__cause__ or seen.__context__
    if is_busy(exc):
        return DatabaseBusy(folder)
    return None
