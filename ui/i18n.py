"""Every user-visible string of the desktop app, in Vietnamese (default) and English (B-04).

A Python dict is the source of truth because the texts are few, reviewed together, and must
exist in both languages (a test checks every `tr("…")` key used in ui/ is here). Qt's own
strings (buttons of QWizard, QMessageBox, QDialogButtonBox) come from the compiled `.qm` files in
resources/i18n/, installed by `install_qt_translator`.

The current language is process-wide like Qt's installed translator: one UI, one language.
"""
from __future__ import annotations

import os
from pathlib import Path

from app.caveats import resources_dir

LANGUAGES = (("vi", "Tiếng Việt"), ("en", "English"))
DEFAULT_LANGUAGE = "vi"

# Layout stress test: SHOPSYNC_TRANS_SCALE=2 doubles every string to find clipped widgets.
_SCALE_ENV = "SHOPSYNC_TRANS_SCALE"

_state = {"lang": DEFAULT_LANGUAGE}


def set_language(lang: str) -> None:
    _state["lang"] = lang if lang in dict(LANGUAGES) else DEFAULT_LANGUAGE


def language() -> str:
    return _state["lang"]


def pick(vi: str, en: str) -> str:
    """Choose between a pair of texts that came from data (PosError, CredentialField …)."""
    return en if _state["lang"] == "en" and en else vi


def tr(key: str, **values: object) -> str:
    pair = TEXTS.get(key)
    if pair is None:
        raise KeyError(f"missing UI text: {key}")
    result = pick(*pair)
    if values:
        result = result.format(**values)
    scale = os.environ.get(_SCALE_ENV)
    if scale and scale.isdigit() and int(scale) > 1:
        result = " ".join([result] * int(scale))
    return result


def qm_path(lang: str) -> Path:
    return resources_dir() / "i18n" / f"shopsync_{lang}.qm"


def install_qt_translator(app, lang: str):
    """Load Qt's own widget texts for `lang`; returns the translator (keep a reference)."""
    from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator

    translators = []
    base = QTranslator(app)
    if base.load(QLocale(lang), "qtbase", "_",
                 QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(base)
        translators.append(base)
    ours = QTranslator(app)
    if ours.load(str(qm_path(lang))):
        app.installTranslator(ours)
        translators.append(ours)
    return translators


ENTITY_NAMES = {
    "branch": ("Chi nhánh", "Branches"),
    "category": ("Danh mục sản phẩm", "Product categories"),
    "product": ("Sản phẩm", "Products"),
    "customer": ("Khách hàng", "Customers"),
    "order": ("Đơn hàng", "Orders"),
    "news": ("Tin tức", "News"),
}

ACTION_NAMES = {
    "create": ("Tạo mới", "Create"),
    "update": ("Cập nhật", "Update"),
    "skip": ("Bỏ qua", "Skip"),
    "conflict": ("Xung đột", "Conflict"),
    "blocked": ("Bị chặn", "Blocked"),
    "deleted_on_pos": ("Đã xoá trên POS", "Deleted on POS"),
    "manual": ("Cần làm tay", "Do by hand"),
    "status": ("Trạng thái", "Status"),
    "link": ("Liên kết", "Link"),
    "removed": ("Đã gỡ (khôi phục được)", "Removed (restorable)"),
    "restored": ("Đã khôi phục", "Restored"),
}

OUTCOME_NAMES = {
    "planned": ("Dự kiến", "Planned"),
    "ok": ("Thành công", "Done"),
    "failed": ("Lỗi", "Failed"),
    "skipped": ("Bỏ qua", "Skipped"),
}

DIRECTION_ARROWS = {
    "pos_to_app": ("POS → App", "POS → App"),
    "app_to_pos": ("App → POS", "App → POS"),
    "both": ("App ⇄ POS", "App ⇄ POS"),
    "none": ("—", "—"),
}

RUN_STATUS_NAMES = {
    "running": ("Đang chạy", "Running"),
    "done": ("Xong", "Done"),
    "failed": ("Lỗi", "Failed"),
    "interrupted": ("Bị ngắt", "Interrupted"),
    "cancelled": ("Đã huỷ", "Cancelled"),
}


def entity_name(entity: str) -> str:
    return pick(*ENTITY_NAMES.get(entity, (entity, entity)))


def action_name(action: str) -> str:
    return pick(*ACTION_NAMES.get(action, (action, action)))


def outcome_name(outcome: str) -> str:
    return pick(*OUTCOME_NAMES.get(outcome, (outcome, outcome)))


def direction_arrow(direction: str) -> str:
    return pick(*DIRECTION_ARROWS.get(direction, (direction, direction)))


def run_status_name(status: str) -> str:
    return pick(*RUN_STATUS_NAMES.get(status, (status, status)))


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return tr("time.unknown")
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return tr("time.seconds", n=seconds)
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return tr("time.minutes", m=minutes, s=rest)
    hours, minutes = divmod(minutes, 60)
    return tr("time.hours", h=hours, m=minutes)


TEXTS: dict[str, tuple[str, str]] = {
    "app.title": ("ShopSync — Trợ lý đồng bộ cửa hàng", "ShopSync — shop sync assistant"),
    "time.unknown": ("đang tính…", "estimating…"),
    "time.seconds": ("{n} giây", "{n} s"),
    "time.minutes": ("{m} phút {s} giây", "{m} min {s} s"),
    "time.hours": ("{h} giờ {m} phút", "{h} h {m} min"),
    "common.yes": ("Có", "Yes"),
    "common.no": ("Không", "No"),
    "common.on": ("Bật", "On"),
    "common.off": ("Tắt", "Off"),
    "common.copy": ("Sao &chép", "&Copy"),
    "common.copied": ("Đã chép vào bộ nhớ tạm.", "Copied to the clipboard."),
    "common.close": ("Đóng", "Close"),
    "common.cancel": ("Huỷ", "Cancel"),
    "common.save": ("&Lưu", "&Save"),
    "common.refresh": ("Làm &mới (F5)", "&Refresh (F5)"),
    "common.never": ("chưa bao giờ", "never"),
    "common.none": ("—", "—"),
    "common.rule": ("Quy tắc {rule}", "Rule {rule}"),
    "common.all": ("Tất cả", "All"),
    "common.error_title": ("Có lỗi", "Something went wrong"),
    "common.locked": ("Đã khoá", "Locked"),

    # -- wizard ------------------------------------------------------------------------------
    "wizard.title": ("Kết nối phần mềm bán hàng", "Connect your POS"),
    "wizard.welcome.title": ("Chào mừng đến với ShopSync", "Welcome to ShopSync"),
    "wizard.welcome.sub": (
        "ShopSync giữ danh mục, sản phẩm, khách hàng, đơn hàng và tin tức của App khớp với "
        "phần mềm bán hàng (POS) của bạn. Chọn cách bắt đầu:",
        "ShopSync keeps the App's categories, products, customers, orders and news in step "
        "with your point-of-sale software (POS). Choose how to start:"),
    "wizard.welcome.real": ("&Kết nối POS của tôi", "&Connect my POS"),
    "wizard.welcome.sample": ("&Dùng thử với cửa hàng mẫu", "&Try with a sample shop"),
    "wizard.welcome.sample_help": (
        "Cửa hàng mẫu chạy ngay trên máy bạn với dữ liệu mẫu, không cần tài khoản POS. "
        "Bạn có thể thử mọi chức năng rồi xoá kết nối mẫu sau.",
        "The sample shop runs on this computer with sample data; no POS account needed. "
        "Try everything, then remove the sample connection."),
    "wizard.platform.title": ("Chọn phần mềm bán hàng", "Pick your POS"),
    "wizard.platform.sub": ("Mỗi phần mềm đồng bộ được những dữ liệu khác nhau.",
                            "Each POS can sync different data."),
    "wizard.platform.supports": ("Đồng bộ được:", "Syncs:"),
    "wizard.platform.deprecated": ("⚠ Sắp ngừng hỗ trợ", "⚠ Being retired"),
    "platform.retiring": ("sắp ngừng: hỗ trợ đến hết {date}", "retiring: supported until {date}"),
    "platform.retired": ("đã ngừng hỗ trợ sau {date}: hãy chuyển sang API v3",
                         "retired after {date}: move to API v3"),
    "wizard.connection.title": ("Thông tin kết nối", "Connection details"),
    "wizard.connection.sub": ("Nhập thông tin lấy từ {platform}. Các bước lấy thông tin ở bên phải.",
                              "Enter the details from {platform}. The steps to get them are on the right."),
    "wizard.connection.steps": ("Cách lấy thông tin", "How to get these details"),
    "wizard.connection.required": ("Hãy nhập {field}.", "Please enter {field}."),
    "wizard.connection.profile_name": ("Tên kết nối trong ShopSync", "Name of this connection"),
    "wizard.connection.profile_taken": ("Đã có kết nối tên này. Hãy đặt tên khác.",
                                        "A connection with this name exists. Pick another name."),
    "wizard.connection.sample_note": (
        "Cửa hàng mẫu: thông tin đã được điền sẵn, mã bí mật hiện rõ. Muốn thấy lỗi kết nối, "
        "hãy sửa một ký tự của mã bí mật rồi bấm Kiểm tra; sửa lại như cũ để kết nối được.",
        "Sample shop: the details are filled in and the secret is shown. To see a failed "
        "connection, change one character of the secret and press Test; change it back to "
        "connect."),
    "wizard.test.button": ("&Kiểm tra kết nối", "&Test connection"),
    "wizard.test.running": ("Đang kiểm tra kết nối…", "Testing the connection…"),
    "wizard.test.ok": ("✔ Kết nối thành công tới cửa hàng \"{shop}\".",
                       "✔ Connected to the shop \"{shop}\"."),
    "wizard.test.failed": ("✖ Chưa kết nối được: {message}", "✖ Could not connect: {message}"),
    "wizard.test.needed": ("Hãy bấm \"Kiểm tra kết nối\" và chờ kết quả thành công trước khi tiếp tục.",
                           "Press \"Test connection\" and wait for a success before going on."),
    "wizard.test.unexpected": (
        "Lỗi không mong đợi khi kiểm tra kết nối. Hãy thử lại; nếu vẫn lỗi, xuất gói chẩn đoán gửi hỗ trợ.",
        "Unexpected error while testing the connection. Try again; if it persists, export diagnostics for support."),
    "wizard.test.permissions": ("Quyền được cấp:", "Permissions granted:"),
    "wizard.test.token_renews": ("Token được ShopSync tự gia hạn: không cần đăng nhập lại.",
                                 "ShopSync renews the token by itself: no need to log in again."),
    "wizard.test.token_expires": ("Token hết hạn ngày {date}.", "The token expires on {date}."),
    "wizard.nhanh.title": ("Đăng nhập Nhanh.vn", "Log in to Nhanh.vn"),
    "wizard.nhanh.sub": (
        "Nhanh.vn cấp quyền qua trình duyệt. Dán Redirect URL dưới đây vào ứng dụng trên "
        "open.nhanh.vn, rồi bấm \"Đăng nhập Nhanh.vn\".",
        "Nhanh.vn grants access through your browser. Paste the Redirect URL below into your "
        "app on open.nhanh.vn, then press \"Log in to Nhanh.vn\"."),
    "wizard.nhanh.redirect": ("Redirect URL", "Redirect URL"),
    "wizard.nhanh.webhook": ("Webhooks callback URL", "Webhooks callback URL"),
    "wizard.nhanh.open": ("Đăng &nhập Nhanh.vn", "&Log in to Nhanh.vn"),
    "wizard.nhanh.paste_label": (
        "Sau khi đăng nhập, trình duyệt chuyển tới một địa chỉ có accessCode. Nếu ShopSync chưa tự nhận mã, dán địa chỉ đó (hoặc chỉ mã) vào đây:",
        "After logging in, the browser goes to an address containing accessCode. If ShopSync has not taken the code itself, paste that address (or just the code) here:"),
    "wizard.nhanh.paste": ("&Dán từ bộ nhớ tạm", "&Paste from clipboard"),
    "wizard.nhanh.no_code": ("Không thấy accessCode trong nội dung đã dán. Hãy dán cả địa chỉ trình duyệt sau khi đăng nhập.",
                             "No accessCode in what you pasted. Paste the whole browser address shown after logging in."),
    "wizard.nhanh.code_ok": ("Đã nhận mã truy cập. Bấm \"Kiểm tra kết nối\" để đổi lấy token (mã chỉ dùng được 10 phút).",
                             "Access code received. Press \"Test connection\" to exchange it for a token (the code lasts 10 minutes)."),
    "wizard.nhanh.waiting": (
        "Đang chờ Nhanh.vn chuyển trình duyệt về máy này: sau khi bạn bấm đồng ý, ShopSync tự nhận mã. Nếu trình duyệt báo không mở được trang 127.0.0.1, hãy dán địa chỉ đó vào ô dưới.",
        "Waiting for Nhanh.vn to send the browser back to this PC: after you approve, ShopSync takes the code itself. If the browser cannot open the 127.0.0.1 page, paste that address below."),
    "wizard.nhanh.caught": ("Đã nhận mã từ Nhanh.vn. Đang kiểm tra kết nối…",
                            "Code received from Nhanh.vn. Testing the connection…"),
    "wizard.nhanh.sample": ("Cửa hàng mẫu: không cần mở trình duyệt, mã truy cập mẫu đã được điền.",
                            "Sample shop: no browser needed, a sample access code is filled in."),
    "wizard.branch.title": ("Chọn chi nhánh", "Pick the branch"),
    "wizard.branch.sub": ("Chi nhánh nhận đơn hàng và tồn kho.",
                          "The branch that receives orders and stock."),
    "wizard.branch.sub_kiotviet": ("Chi nhánh nhận đơn hàng và tồn kho. Với KiotViet hãy chọn chi nhánh trung tâm.",
                                   "The branch that receives orders and stock. For KiotViet pick the central branch."),
    "wizard.branch.label": ("&Chi nhánh", "&Branch"),
    "wizard.branch.none": ("POS không trả về chi nhánh nào; ShopSync sẽ dùng chi nhánh mặc định.",
                           "The POS returned no branch; ShopSync will use the default branch."),
    "wizard.options.title": ("Chọn dữ liệu đồng bộ", "Choose what to sync"),
    "wizard.options.sub": ("Bật loại dữ liệu cần đồng bộ. Các lưu ý nằm ngay bên dưới mỗi mục.",
                           "Switch on what to sync. The notes sit right under each item."),
    "wizard.options.entities": ("Loại dữ liệu", "Kinds of data"),
    "wizard.options.options": ("Tuỳ chọn", "Options"),
    "wizard.options.platform_notes": ("Lưu ý chung", "General notes"),
    "wizard.options.locked_reason": ("Đã khoá vì: {reason}", "Locked because: {reason}"),
    "wizard.options.not_offered": ("Không hỗ trợ", "Not supported"),
    "wizard.options.create_only": ("chỉ tạo mới", "new only"),
    "wizard.options.full": ("tạo mới và cập nhật", "create and update"),
    "wizard.schedule.title": ("Lịch đồng bộ tự động", "Automatic sync schedule"),
    "wizard.schedule.sub": ("ShopSync có thể tự đồng bộ định kỳ khi đang mở. Bạn vẫn có thể bấm đồng bộ bất cứ lúc nào.",
                            "ShopSync can sync on its own while it runs. You can still sync on demand any time."),
    "wizard.schedule.off": ("&Tắt — chỉ đồng bộ khi tôi bấm", "&Off — only when I press sync"),
    "wizard.schedule.realtime": ("&Gần thời gian thực — mỗi phút", "&Near real time — every minute"),
    "wizard.schedule.realtime_tip": ("Mỗi phút ShopSync hỏi POS những gì mới đổi: khi không có gì đổi chỉ tốn vài lượt gọi, dưới 5% giới hạn của POS. Đơn và sản phẩm sửa trên POS về App trong khoảng 1–2 phút.",
                                     "Every minute ShopSync asks the POS what just changed: when nothing did, it costs a few requests, under 5% of the POS's limit. Orders and products edited on the POS reach the App within about 1–2 minutes."),
    "wizard.schedule.every": ("&Mỗi", "&Every"),
    "wizard.schedule.minutes": ("phút", "minutes"),
    "wizard.preview.title": ("Xem trước", "Preview"),
    "wizard.preview.sub": ("ShopSync đọc dữ liệu hai bên và cho biết sẽ làm gì. Chưa có gì được ghi.",
                           "ShopSync reads both sides and tells what it would do. Nothing is written yet."),
    "wizard.preview.button": ("&Xem trước", "&Preview"),
    "wizard.preview.running": ("Đang xem trước…", "Previewing…"),
    "wizard.preview.done": ("Xem trước xong: {n} mục.", "Preview done: {n} items."),
    "wizard.preview.skip_hint": ("Có thể bỏ qua bước này.", "You may skip this step."),
    "wizard.finish.title": ("Lưu và đồng bộ lần đầu", "Save and run the first sync"),
    "wizard.finish.sub": ("Bấm Hoàn tất để lưu kết nối và bắt đầu đồng bộ lần đầu.",
                          "Press Finish to save the connection and start the first sync."),
    "wizard.finish.start_now": ("&Bắt đầu đồng bộ lần đầu ngay", "&Start the first sync now"),
    "wizard.finish.summary": ("Tóm tắt", "Summary"),
    "wizard.save_failed": ("Không lưu được kết nối: {message}", "Could not save the connection: {message}"),

    # -- main window ---------------------------------------------------------------------------
    "nav.connections": ("Kết nối", "Connections"),
    "nav.sync": ("Đồng bộ", "Sync"),
    "nav.results": ("Kết quả", "Results"),
    "nav.conflicts": ("Xung đột", "Conflicts"),
    "nav.appdata": ("Dữ liệu App", "App data"),
    "nav.settings": ("Cài đặt", "Settings"),
    "main.no_profile": ("Chưa có kết nối nào. Bấm \"Thêm kết nối\".", "No connection yet. Press \"Add connection\"."),
    "main.profile": ("Kết nối:", "Connection:"),
    "conn.add": ("&Thêm kết nối…", "&Add connection…"),
    "conn.edit": ("&Sửa…", "&Edit…"),
    "conn.remove": ("&Xoá kết nối", "&Remove connection"),
    "conn.remove_confirm": ("Xoá kết nối \"{name}\"? Dữ liệu App vẫn giữ nguyên; khoá bí mật của kết nối này bị xoá khỏi kho khoá.",
                            "Remove the connection \"{name}\"? App data stays; this connection's secrets are removed from the keyring."),
    "conn.col.name": ("Tên", "Name"),
    "conn.col.platform": ("Phần mềm", "POS"),
    "conn.col.status": ("Trạng thái", "Status"),
    "conn.col.expiry": ("Token hết hạn", "Token expires"),
    "conn.col.schedule": ("Lịch", "Schedule"),
    "conn.col.last": ("Lần chạy cuối", "Last run"),
    "conn.sample": ("cửa hàng mẫu", "sample shop"),
    "conn.status.ok": ("Đang hoạt động", "Active"),
    "conn.status.expiring": ("Token sắp hết hạn", "Token expiring"),
    "conn.status.expired": ("Token đã hết hạn — đăng nhập lại", "Token expired — log in again"),
    "conn.no_expiry": ("không cần đăng nhập lại", "no login needed"),
    "schedule.off": ("Tắt", "Off"),
    "schedule.every": ("Mỗi {n} phút", "Every {n} min"),
    "sync.header": ("Đồng bộ từng loại dữ liệu", "Sync each kind of data"),
    "sync.all": ("Đồng bộ &tất cả (Ctrl+R)", "Sync &all (Ctrl+R)"),
    "sync.preview": ("&Xem trước", "&Preview"),
    "sync.cancel": ("&Dừng", "S&top"),
    "sync.retry_failed": ("Chạy lại các mục &lỗi", "Retry &failed items"),
    "sync.undo": ("&Hoàn tác lần chạy cuối", "&Undo the last run"),
    "sync.undo_confirm": ("Hoàn tác các thay đổi trong App của lần đồng bộ gần nhất? Những "
                          "bản ghi bị gỡ được giữ lại và lấy lại được bằng “Khôi phục”.",
                          "Undo the App-side changes of the last run? Removed records are "
                          "kept and can be brought back with “Restore”."),
    "sync.restore": ("&Khôi phục bản ghi đã gỡ", "&Restore removed records"),
    "sync.undo_done": ("Đã hoàn tác {n} thay đổi.", "Undid {n} changes."),
    "sync.button": ("Đồng bộ {entity}", "Sync {entity}"),
    "sync.not_offered": ("{entity}: không đồng bộ", "{entity}: not synced"),
    "sync.idle": ("Sẵn sàng.", "Ready."),
    "sync.running": ("Đang đồng bộ {entity} ({direction}): {done}/{total}", "Syncing {entity} ({direction}): {done}/{total}"),
    "sync.running_nototal": ("Đang đồng bộ {entity} ({direction}): đã xử lý {done} mục", "Syncing {entity} ({direction}): {done} items so far"),
    "sync.time_left": ("Còn khoảng {time}", "About {time} left"),
    "sync.first_run_note": ("Lần đồng bộ đầu có thể mất 5–10 phút; bạn vẫn dùng cửa sổ bình thường.",
                            "The first sync can take 5–10 minutes; keep using the window meanwhile."),
    "sync.last_run": ("Lần chạy cuối: {when} — {status}", "Last run: {when} — {status}"),
    "sync.next_run": ("Lần chạy tới: {when}", "Next run: {when}"),
    "sync.next_off": ("Tự động đồng bộ: tắt", "Automatic sync: off"),
    "sync.auto": ("Tự động đồng bộ mỗi", "Sync automatically every"),
    "sync.finished": ("Đồng bộ xong: {summary}", "Sync finished: {summary}"),
    "sync.finished_failed": ("{message}", "{message}"),
    "sync.cancelled": ("Đã dừng đồng bộ. Lần sau sẽ tiếp tục từ chỗ đã lưu.",
                       "Sync stopped. Next time it continues from where it saved."),
    "sync.busy": ("Đang có một lần đồng bộ chạy. Hãy chờ hoặc bấm Dừng.",
                  "A sync is already running. Wait or press Stop."),
    "sync.counts": ("{ok} thành công, {failed} lỗi, {conflict} xung đột, {skipped} bỏ qua",
                    "done {ok}, failed {failed}, conflicts {conflict}, skipped {skipped}"),
    "sync.engine_missing": ("Bộ đồng bộ chưa sẵn sàng trong bản này.", "The sync engine is not available in this build."),
    "results.filter.run": ("Lần chạy", "Run"),
    "results.filter.entity": ("Loại", "Kind"),
    "results.filter.action": ("Hành động", "Action"),
    "results.filter.outcome": ("Kết quả", "Outcome"),
    "results.filter.rule": ("Quy tắc", "Rule"),
    "results.dry_run": ("xem trước", "preview"),
    "results.search": ("Tìm tên, mã…", "Search name, id…"),
    "results.export": ("&Xuất Excel/CSV…", "&Export Excel/CSV…"),
    "results.exported": ("Đã xuất {n} dòng vào {path}.", "Exported {n} rows to {path}."),
    "results.exporting": ("Đang xuất kết quả vào {path}… Cửa sổ vẫn dùng được trong lúc chờ.",
                          "Exporting the results to {path}… The window stays usable meanwhile."),
    "results.export_progress": ("Đang xuất: đã ghi {n} dòng vào {path}…",
                                "Exporting: {n} rows written to {path}…"),
    "results.export_failed": ("Không ghi được {path}: {reason}. Đóng tệp nếu nó đang mở trong "
                              "Excel, hoặc chọn thư mục khác, rồi xuất lại.",
                              "Cannot write {path}: {reason}. Close the file if Excel has it "
                              "open, or choose another folder, then export again."),
    "results.retry": ("Chạy lại mục lỗi đã &chọn", "&Retry the selected failed items"),
    "results.delete_in_app": ("Xoá trong &App", "Delete in the &App"),
    "results.count": ("{shown} dòng", "{shown} rows"),
    "results.show_ids": ("Hiện mã App/POS", "Show App/POS ids"),
    "results.col.run": ("Lần", "Run"),
    "results.col.entity": ("Loại", "Kind"),
    "results.col.direction": ("Chiều", "Direction"),
    "results.col.name": ("Tên", "Name"),
    "results.col.app_id": ("Mã App", "App id"),
    "results.col.pos_id": ("Mã POS", "POS id"),
    "results.col.action": ("Hành động", "Action"),
    "results.col.outcome": ("Kết quả", "Outcome"),
    "results.col.rule": ("Quy tắc", "Rule"),
    "results.col.message": ("Thông báo", "Message"),
    "results.col.at": ("Lúc", "At"),
    "conflicts.header": ("Mục đã thay đổi ở cả App và POS. Chọn mục rồi chọn bản giữ lại; với một mục, có thể chọn App hoặc POS cho từng trường ở cột \"Giữ bản\" bên dưới.",
                         "Items changed in both the App and the POS. Select an item and choose which to keep; for one item you can pick App or POS per field in the \"Keep\" column below."),
    "conflicts.keep_app_locked": ("Giữ bản &App (POS giữ nguyên)", "Keep &App (POS stays as it is)"),
    "conflicts.keep_app_locked_tip": ("Đơn đã đồng bộ không được sửa từ App ({rule}): giữ bản App chỉ ghi nhận trong App, POS không đổi. Muốn hai bên giống nhau, hãy sửa đơn trên POS hoặc chọn \"Giữ bản POS\".",
                                      "A synced order cannot be changed from the App ({rule}): keeping the App's version only settles the App; the POS does not change. To make both sides match, change the order on the POS or choose \"Keep POS\"."),
    "conflicts.keep_app": ("Giữ bản &App", "Keep &App"),
    "conflicts.keep_pos": ("Giữ bản &POS", "Keep &POS"),
    "conflicts.skip": ("&Bỏ qua", "&Skip"),
    "conflicts.keep": ("Giữ bản", "Keep"),
    "conflicts.keep_fields": ("Giữ theo &từng trường", "Keep &field by field"),
    "conflicts.keep_fields_tip": ("Chọn App hoặc POS cho từng trường khác nhau ở cột \"Giữ bản\", rồi bấm nút này.",
                                  "Pick App or POS for each differing field in the \"Keep\" column, then press this."),
    "conflicts.one_for_fields": ("Chọn một xung đột để giữ theo từng trường.",
                                 "Select one conflict to keep field by field."),
    "conflicts.export": ("&Xuất Excel/CSV…", "&Export Excel/CSV…"),
    "conflicts.none": ("Không có xung đột nào.", "No conflicts."),
    "conflicts.field": ("Trường", "Field"),
    "conflicts.app": ("App", "App"),
    "conflicts.pos": ("POS", "POS"),
    "conflicts.resolved": ("Đã xử lý {n} xung đột.", "Resolved {n} conflicts."),
    "conflicts.col.entity": ("Loại", "Kind"),
    "conflicts.col.name": ("Tên", "Name"),
    "conflicts.col.rule": ("Quy tắc", "Rule"),
    "conflicts.col.when": ("Phát hiện lúc", "Found at"),
    "appdata.products": ("Sản phẩm", "Products"),
    "appdata.orders": ("Đơn hàng", "Orders"),
    "appdata.customers": ("Khách hàng", "Customers"),
    "appdata.news": ("Tin tức", "News"),
    "appdata.branches": ("Chi nhánh", "Branches"),
    "appdata.categories": ("Danh mục", "Categories"),
    "appdata.new_product": ("&Sản phẩm mới…", "&New product…"),
    "appdata.edit": ("&Sửa…", "&Edit…"),
    "appdata.push": ("Đẩy lên &POS…", "Push to &POS…"),
    "appdata.push_preview": ("Sẽ đẩy {n} sản phẩm lên {platform}:", "{n} products will be pushed to {platform}:"),
    "appdata.push_blocked": ("{n} sản phẩm bị chặn:", "{n} products are blocked:"),
    "appdata.push_go": ("Đẩy {n} sản phẩm", "Push {n} products"),
    "appdata.push_nothing": ("Không có sản phẩm nào đủ điều kiện để đẩy.", "No product can be pushed."),
    "appdata.import": ("&Nhập từ tệp…", "&Import from file…"),
    "appdata.import_filter": ("Excel, CSV, JSON (*.xlsx *.csv *.json)", "Excel, CSV, JSON (*.xlsx *.csv *.json)"),
    "appdata.import_done": ("Đã nhập: {summary}.", "Imported: {summary}."),
    "appdata.import_refused": ("Không nhập gì cả: tệp có lỗi, sửa rồi nhập lại.",
                               "Nothing imported: the file has errors; fix them and import again."),
    "appdata.importing": ("Đang nhập {name}… Bạn vẫn xem được dữ liệu; các nút sửa sẽ bật lại khi nhập xong.",
                          "Importing {name}… You can keep browsing; the editing buttons come back when it is done."),
    "appdata.import_failed": ("Không nhập gì cả: không đọc hoặc ghi được tệp ({detail}). Hãy kiểm tra tệp không bị mở ở chương trình khác rồi nhập lại.",
                              "Nothing was imported: the file could not be read or written ({detail}). Check it is not open in another program, then import again."),
    "appdata.template": ("&Mẫu Excel…", "Excel &template…"),
    "appdata.template_written": ("Đã ghi mẫu nhập: {path}", "Import template written: {path}"),
    "appdata.select_first": ("Hãy chọn ít nhất một sản phẩm.", "Select at least one product."),
    "appdata.col.name": ("Tên", "Name"),
    "appdata.col.code": ("Mã", "Code"),
    "appdata.col.status": ("Trạng thái", "Status"),
    "appdata.col.origin": ("Nguồn", "Origin"),
    "appdata.col.linked": ("Trên POS", "On POS"),
    "appdata.col.updated": ("Cập nhật", "Updated"),
    "appdata.origin.app": ("Tạo trong App", "Created in App"),
    "appdata.order_status": ("Đổi &trạng thái…", "Change &status…"),
    "appdata.order_locked": ("Đơn đã đồng bộ lên POS nên bị khoá: {reason}",
                             "This order is on the POS and locked: {reason}"),
    "appdata.search": ("Tìm…", "Search…"),
    "appdata.delete": ("&Xoá", "&Delete"),
    "product.title_new": ("Sản phẩm mới", "New product"),
    "product.title_edit": ("Sửa sản phẩm", "Edit product"),
    "product.name": ("&Tên sản phẩm", "Product &name"),
    "product.sku": ("&SKU", "&SKU"),
    "product.barcode": ("&Mã vạch", "&Barcode"),
    "product.price": ("&Giá bán (₫)", "&Price (₫)"),
    "product.categories": ("&Danh mục", "&Categories"),
    "product.description": ("&Mô tả", "&Description"),
    "product.visible": ("&Hiện trên App", "&Visible in the App"),
    "product.need_name": ("Hãy nhập tên sản phẩm.", "Please enter the product name."),
    "product.bad_price": ("Giá bán phải là số, ví dụ 150.000.", "The price must be a number, e.g. 150.000."),
    "product.one_category": ("Sapo cần đúng một danh mục cho sản phẩm mới: hãy chọn một.",
                             "Sapo needs exactly one category for a new product: pick one."),
    "settings.language": ("&Ngôn ngữ", "&Language"),
    "settings.language_note": ("Đổi ngôn ngữ sẽ dựng lại cửa sổ.", "Changing the language rebuilds the window."),
    "settings.schedule": ("&Lịch đồng bộ", "Sync &schedule"),
    "settings.keyring": ("Kho khoá bí mật", "Secret keyring"),
    "settings.keyring_unknown": ("không rõ", "unknown"),
    "settings.data_folder": ("Thư mục dữ liệu", "Data folder"),
    "settings.open_folder": ("&Mở thư mục", "&Open folder"),
    "settings.diagnostics": ("&Xuất gói chẩn đoán…", "Export &diagnostics…"),
    "settings.diagnostics_done": ("Đã lưu gói chẩn đoán (không chứa mã bí mật) vào {path}.",
                                  "Saved the diagnostics bundle (no secrets) to {path}."),
    "settings.diagnostics_failed": ("Không lưu được gói chẩn đoán vào {path} ({reason}). Hãy chọn "
                                    "thư mục khác, ví dụ Tài liệu, rồi thử lại.",
                                    "Could not save the diagnostics bundle to {path} ({reason}). "
                                    "Pick another folder, e.g. Documents, and try again."),
    "settings.diagnostics_missing": ("Chức năng gói chẩn đoán chưa có trong bản này.",
                                     "Diagnostics export is not available in this build."),
    "settings.version": ("Phiên bản", "Version"),
    "close.running": ("Đang đồng bộ. Dừng lại và đóng ShopSync? Lần sau sẽ tiếp tục từ chỗ đã lưu.",
                      "A sync is running. Stop it and close ShopSync? Next time it continues from where it saved."),
    "notify.finished": ("Đồng bộ xong", "Sync finished"),
    "notify.failed": ("Đồng bộ có lỗi", "Sync had failures"),
    "notify.conflicts": ("Có {n} xung đột cần xử lý", "{n} conflicts need you"),
    "notify.token_expiring": ("Token của \"{name}\" hết hạn sau {days} ngày. Hãy đăng nhập lại.",
                              "The token of \"{name}\" expires in {days} days. Log in again."),
    "notify.token_expired": ("Token của \"{name}\" đã hết hạn. Hãy đăng nhập lại.",
                             "The token of \"{name}\" has expired. Log in again."),
    "notify.repeated_failures": ("\"{name}\" lỗi {n} lần liên tiếp: {message}",
                                 "\"{name}\" failed {n} times in a row: {message}"),
    "banner.dismiss": ("Ẩn", "Dismiss"),
    "tray.show": ("Mở ShopSync", "Open ShopSync"),
    "tray.quit": ("Thoát", "Quit"),
    "keyring.accept_question": ("Vẫn dùng kho khoá không an toàn này? Chọn Không để thoát và cài kho khoá an toàn.",
                                "Use this insecure keyring anyway? Choose No to quit and install a secure keyring."),

    # -- run states (one sentence each) --------------------------------------------------------
    "run.starting": ("Đang bắt đầu đồng bộ: {entities}.", "Starting the sync: {entities}."),
    "run.starting_plain": ("Đang bắt đầu…", "Starting…"),
    "run.reading": ("Đang đọc {entity} ({direction})…", "Reading {entity} ({direction})…"),
    "run.kind.push": ("Đang đẩy sản phẩm lên POS…", "Pushing products to the POS…"),
    "run.kind.retry": ("Đang chạy lại các mục lỗi…", "Retrying the failed items…"),
    "run.kind.resolve": ("Đang xử lý xung đột…", "Resolving conflicts…"),
    "run.kind.undo": ("Đang hoàn tác lần chạy cuối…", "Undoing the last run…"),
    "run.kind.delete": ("Đang xoá trong App…", "Deleting in the App…"),
    "run.waiting_limit": ("Đang chờ giới hạn của {platform} — tiếp tục lúc {at}.",
                          "Waiting for {platform}'s request limit — continuing at {at}."),
    "run.retrying": ("Không kết nối được tới {platform} — thử lại lần {n} lúc {at}.",
                     "Could not reach {platform} — retry {n} at {at}."),
    "run.stopped": ("Đã dừng. Lần sau sẽ tiếp tục từ chỗ đã lưu.",
                    "Stopped. Next time it continues from where it saved."),
    "run.interrupted": ("Đồng bộ bị gián đoạn. Lần sau sẽ tiếp tục từ chỗ đã lưu.",
                        "The sync was interrupted. Next time it continues from where it saved."),
    "run.failed": ("Đồng bộ không chạy được. Xem bảng Kết quả.", "The sync could not run. See Results."),
    "run.bar.stopped": ("Đã dừng", "Stopped"),
    "run.bar.failed": ("Bị gián đoạn", "Interrupted"),
    "run.bar.waiting": ("Đang chờ", "Waiting"),
    "run.bar.done": ("Xong", "Done"),
    "notify.run_title": ("{name}: {state}", "{name}: {state}"),
    "notify.state.done": ("đồng bộ xong", "sync finished"),
    "notify.state.failed_items": ("có mục lỗi", "some items failed"),
    "notify.state.stopped": ("đồng bộ bị gián đoạn", "sync interrupted"),
    "notify.state.conflicts": ("{n} xung đột cần xử lý", "{n} conflicts need you"),
    "notify.conflicts_text": ("Mở trang Xung đột và chọn bản giữ lại.",
                              "Open Conflicts and choose what to keep."),
    "notify.failed_items_text": ("{n} mục lỗi. Mở Kết quả, có thể chạy lại riêng các mục lỗi.",
                                 "{n} items failed. Open Results; you can retry only those."),

    # -- home page (one per connection) --------------------------------------------------------
    "nav.home": ("Tổng quan", "Overview"),
    "home.state.good": ("{name}: mọi thứ ổn", "{name}: all good"),
    "home.state.attention": ("{name}: cần bạn xem", "{name}: needs your attention"),
    "home.state.broken": ("{name}: đồng bộ đang dừng", "{name}: syncing is stopped"),
    "home.reason.none": ("Dữ liệu đã khớp. Bạn không cần làm gì.", "Everything is in step. Nothing to do."),
    "home.reason.token_expired": ("Token đã hết hạn nên không đồng bộ được. Hãy đăng nhập lại.",
                                  "The token has expired, so nothing can sync. Log in again."),
    "home.reason.token_expiring": ("Token hết hạn sau {days} ngày (ngày {date}). Hãy đăng nhập lại trước ngày đó.",
                                   "The token expires in {days} days ({date}). Log in again before then."),
    "home.reason.run_failed": ("Lần đồng bộ cuối không chạy được: {message}",
                               "The last sync could not run: {message}"),
    "home.reason.repeated": ("Đồng bộ không xong {n} lần liên tiếp: {message}",
                             "The sync did not finish {n} times in a row: {message}"),
    "home.reason.interrupted": ("Lần đồng bộ cuối chưa xong. Bấm Đồng bộ để tiếp tục từ chỗ đã lưu.",
                                "The last sync did not finish. Press Sync to continue from where it saved."),
    "home.reason.conflicts": ("Đã sửa ở cả App và POS: {n} mục. Hãy chọn bản giữ lại.",
                              "Changed in both the App and the POS: {n}. Choose what to keep."),
    "home.reason.failed_items": ("Lỗi ở lần chạy cuối: {n} mục. Có thể chạy lại riêng các mục này.",
                                 "Failed in the last run: {n}. You can retry just those."),
    "home.reason.never_synced": ("Chưa đồng bộ lần nào. Bấm để đồng bộ lần đầu.",
                                 "Not synced yet. Press to run the first sync."),
    "home.reason.app_changes": ("{n} thay đổi trong App chưa lên POS. Bấm Đồng bộ để gửi lên.",
                                "{n} App changes are not on the POS yet. Press Sync to send them."),
    "home.reason.pos_locked": ("App và POS còn khác nhau ở {n} đơn đã giữ bản App nhưng POS không cho sửa từ App: {names}. Hãy sửa các đơn này trực tiếp trên POS cho giống App.",
                               "The App and the POS still differ on {n} orders kept as in the App that the POS does not let the App change: {names}. Change these orders on the POS itself to match the App."),
    "home.do.sync_changes": ("Đồng bộ", "Sync"),
    "common.names_more": ("{names} và {n} bản ghi khác", "{names} and {n} other records"),
    "undo.records": ("Các bản ghi:", "The records:"),
    "undo.more_records": ("và {n} bản ghi khác", "and {n} other records"),
    "home.do.login": ("Đăng nhập lại…", "Log in again…"),
    "home.do.edit": ("Sửa kết nối…", "Fix the connection…"),
    "home.do.sync": ("Đồng bộ tiếp", "Continue syncing"),
    "home.do.conflicts": ("Xem xung đột", "See conflicts"),
    "home.do.retry": ("Chạy lại mục lỗi", "Retry failed items"),
    "home.do.first_sync": ("Đồng bộ lần đầu", "Run the first sync"),
    "home.last_run": ("Lần chạy cuối: {when} · {kind} · {status}", "Last run: {when} · {kind} · {status}"),
    "home.next_run": ("Lần tự động tới: {when}", "Next automatic run: {when}"),
    "home.kind.sync": ("đồng bộ", "sync"),
    "home.kind.push": ("đẩy sản phẩm", "product push"),
    "home.kind.retry": ("chạy lại mục lỗi", "retry"),
    "home.kind.resolve": ("xử lý xung đột", "resolve conflicts"),
    "home.kind.undo": ("hoàn tác", "undo"),
    "home.kind.restore": ("khôi phục", "restore"),
    "home.kind.delete": ("xoá trong App", "delete in App"),
    "home.off": ("tắt", "off"),
    "home.col.entity": ("Loại dữ liệu", "Kind of data"),
    "home.col.direction": ("Chiều", "Direction"),
    "home.col.last": ("Đồng bộ lần cuối", "Last synced"),
    "home.col.records": ("Số bản ghi", "Records"),
    "home.col.failures": ("Lỗi", "Failed"),
    "home.col.conflicts": ("Xung đột", "Conflicts"),

    # -- product variants and stock -----------------------------------------------------------
    "variants.title": ("Phiên bản và tồn kho theo chi nhánh", "Variants and stock per branch"),
    "variants.col.options": ("Thuộc tính", "Options"),
    "variants.col.sku": ("SKU", "SKU"),
    "variants.col.barcode": ("Mã vạch", "Barcode"),
    "variants.col.price": ("Giá bán (₫)", "Price (₫)"),
    "variants.col.stock": ("Tồn: {branch}", "Stock: {branch}"),
    "variants.add": ("Thêm &phiên bản", "Add &variant"),
    "variants.remove": ("Xoá phiên bản đã &chọn", "&Remove the selected variant"),
    "variants.first_hint": ("Phiên bản đầu: SKU, mã vạch và giá sửa ở các ô phía trên.",
                            "The first variant: edit its SKU, barcode and price in the fields above."),
    "variants.bad_number": ("Giá hoặc tồn kho của một phiên bản không phải là số, ví dụ 42.000 hoặc 12.",
                            "A variant's price or stock is not a number, e.g. 42.000 or 12."),
    "appdata.col.price": ("Giá bán", "Price"),
    "appdata.col.stock": ("Tồn kho", "Stock"),
    "appdata.col.variants": ("Phiên bản", "Variants"),
}
