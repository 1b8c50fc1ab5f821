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
