"""Render every wizard page and main-window page into docs/screenshots/<lang>/*.png at
1366×768, the screen of many shop counters.

Runs offscreen against the sample shops (B-01), in a throw-away data home with an in-memory
keyring, so it needs no display, no POS account and touches nothing of the user's:

    QT_QPA_PLATFORM=offscreen python docs/render_screenshots.py --lang vi
    QT_QPA_PLATFORM=offscreen python docs/render_screenshots.py --lang en
    QT_QPA_PLATFORM=offscreen QT_SCALE_FACTOR=1.5 python docs/render_screenshots.py --lang vi \
        --scale 1.5          # 150 % scaling: the window is 911×512 points = 1366×768 pixels

Diacritics need a font with Vietnamese glyphs (DejaVu or Noto; apt-get install fonts-dejavu-core).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("SHOPSYNC_KEYRING", "memory")


def wait_until(app, condition, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("screenshot step did not finish")
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lang", default="vi")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--scale", type=float, default=1.0,
                        help="the QT_SCALE_FACTOR this run was started with (main pages only)")
    args = parser.parse_args()
    if args.scale != 1.0 and os.environ.get("QT_SCALE_FACTOR") != str(args.scale):
        os.environ["QT_SCALE_FACTOR"] = str(args.scale)
    folder = args.lang + ("" if args.scale == 1.0 else f"-{int(args.scale * 100)}")
    width, height = round(1366 / args.scale), round(768 / args.scale)
    home = tempfile.mkdtemp(prefix="shopsync-shots-")
    os.environ["SHOPSYNC_HOME"] = home

    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])

    from app.config import get_paths
    from contract.records import Entity, Product, Variant
    from app.secrets import MemoryKeyring, SecretStore
    from app.store import models as m
    from app.store.connection import open_store
    from ui.app import DesktopApp
    from ui.controllers.shop import ShopServices
    from ui.settings import UiSettings
    from ui.wizard import setup_wizard as W

    root_out = Path(args.out)
    out = root_out / folder
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    paths = get_paths(home)
    UiSettings(paths).language = args.lang
    db = open_store(paths)
    services = ShopServices(paths, db, SecretStore(backend=MemoryKeyring()),
                            sandbox_options={"rate_limits": False})
    desktop = DesktopApp(app, paths, services)
    shots: list[tuple[str, str]] = []

    wizard_pages = args.scale == 1.0

    def save(widget, name: str, what: str) -> None:
        if name.startswith("wizard") and not wizard_pages:
            return
        app.processEvents()
        widget.grab().save(str(out / f"{name}.png"))
        shots.append((name, what))

    # -- the wizard, page by page (KiotViet FnB shows the KVF-03 lock) ------------------------
    window = desktop.show()
    window.resize(width, height)
    wizard = window.wizard
    wizard.resize(width, height)
    wizard.show()
    save(wizard, "wizard-01-welcome", "Chào mừng: kết nối POS hoặc dùng thử cửa hàng mẫu (B-01)")
    wizard.pages[W.WELCOME].sample.setChecked(True)
    wizard.next()
    wizard.pages[W.PLATFORM].select("kiotviet-fnb")
    save(wizard, "wizard-02-platform", "Chọn phần mềm, với dữ liệu đồng bộ được; v2 có cảnh báo NH-12")
    wizard.next()
    save(wizard, "wizard-03-connection", "Thông tin kết nối, các bước lấy mã bên phải, lưu ý KVF-14")
    panel = wizard.pages[W.CONNECTION].test_panel
    panel.button.click()
    wait_until(app, lambda: not panel.running)
    save(wizard, "wizard-04-connection-tested", "Kiểm tra kết nối thành công")
    wizard.next()
    save(wizard, "wizard-05-branch", "Chọn chi nhánh trung tâm từ danh sách POS trả về")
    wizard.next()
    save(wizard, "wizard-06-options", "Loại dữ liệu và tuỳ chọn, lưu ý ngay bên dưới; KVF-03 bị khoá")
    wizard.next()
    save(wizard, "wizard-07-schedule", "Lịch tự động đồng bộ (COM-10)")
    wizard.next()
    preview = wizard.pages[W.PREVIEW]
    preview.button.click()
    wait_until(app, lambda: not preview.running)
    save(wizard, "wizard-08-preview", "Xem trước: số mục theo loại và hành động (COM-03)")
    wizard.next()
    save(wizard, "wizard-09-finish", "Tóm tắt; Hoàn tất lưu kết nối và bắt đầu đồng bộ lần đầu")
    wizard.reject()

    # Nhanh login page and a failed connection test (Sapo, wrong secret).
    nhanh = window.open_wizard()
    nhanh.resize(width, height)
    nhanh.pages[W.WELCOME].sample.setChecked(True)
    nhanh.next()
    nhanh.pages[W.PLATFORM].select("nhanh-v3")
    nhanh.next()
    nhanh.next()
    save(nhanh, "wizard-10-nhanh-login", "Đăng nhập Nhanh.vn: URL có nút sao chép, dán địa chỉ trả về (NH-01, NH-13)")
    nhanh.reject()
    sapo = window.open_wizard()
    sapo.resize(width, height)
    sapo.pages[W.WELCOME].sample.setChecked(True)
    sapo.next()
    sapo.pages[W.PLATFORM].select("sapo")
    sapo.next()
    page = sapo.pages[W.CONNECTION]
    page.editors["api_secret"].input.setText("sai-ma-bi-mat")
    page.test_panel.button.click()
    wait_until(app, lambda: not page.test_panel.running)
    save(sapo, "wizard-11-connection-failed", "Kiểm tra kết nối thất bại: lời nhắn rõ ràng (Sapo)")
    page.editors["api_secret"].input.setText(services.platform("sapo").sandbox_secrets["api_secret"])
    page.test_panel.button.click()
    wait_until(app, lambda: not page.test_panel.running)
    sapo.next()
    sapo.next()
    sapo.next()
    sapo.next()
    sapo.next()
    saved = []
    sapo.profile_saved.connect(lambda p, start: saved.append(p))
    sapo.accept()
    wait_until(app, lambda: saved and not window.controller.is_running())

    # -- main window ----------------------------------------------------------------------------
    catalog = services.catalog()
    categories = [row.app_id for row in catalog.list(Entity.CATEGORY, limit=2)]
    catalog.put(Entity.PRODUCT, Product(key="", name="Bánh mì thịt (tạo trong App)",
                                        category_keys=tuple(categories[:1]),
                                        variants=(Variant(key="", sku="APP-BMT", price=25000),)))
    catalog.put(Entity.PRODUCT, Product(key="", name="Trà đào (chưa có danh mục)",
                                        variants=(Variant(key="", sku="APP-TD", price=30000),)))
    link = m.Link.select().where(m.Link.entity == "product").first()
    record = catalog.get(Entity.PRODUCT, link.app_id)
    catalog.put(Entity.PRODUCT, dataclasses.replace(record, name=record.name + " (sửa trong App)"))
    services.sandbox_for(services.platform("sapo")).edit_product(
        int(link.pos_id), name=record.name + " (sửa trên Sapo)")
    window.select_profile(saved[0].name)
    window.sync_page.all_button.click()
    wait_until(app, lambda: window.controller.is_running())
    wait_until(app, lambda: not window.controller.is_running())
    window.resize(width, height)
    for row, (name, what) in enumerate((
            ("main-00-overview", "Tổng quan của kết nối: trạng thái, việc cần làm, từng loại dữ liệu, lần chạy tới"),
            ("main-01-connections", "Kết nối: trạng thái, hạn token, lịch, lần chạy cuối"),
            ("main-02-sync", "Đồng bộ: nút cho từng loại với mũi tên chiều (NH-11), tiến độ"),
            ("main-03-results", "Kết quả từng mục, lọc, tìm, chạy lại, xuất CSV (COM-06, B-03)"),
            ("main-04-conflicts", "Xung đột: App và POS cạnh nhau, chọn từng trường (COM-04)"),
            ("main-05-appdata", "Dữ liệu App: sản phẩm với giá, tồn kho, phiên bản; đẩy lên POS"),
            ("main-06-settings", "Cài đặt: ngôn ngữ, lịch, kho khoá, thư mục, chẩn đoán"))):
        window.nav.setCurrentRow(row)
        if name == "main-04-conflicts" and window.conflicts_page.model.rowCount():
            window.conflicts_page.table.selectRow(0)
        save(window, name, what)
    # A long wait says what it waits for and until when (issue 20 pt 7).
    from app.sync import events as ev
    window.nav.setCurrentRow(2)
    window.sync_page.set_busy(True)
    window.sync_page.show_progress(ev.Progress("product", "pos_to_app", 1200, 20000))
    from datetime import datetime, timedelta, timezone
    until = datetime.now(timezone.utc) + timedelta(seconds=240)
    window.sync_page.show_progress(ev.Waiting(240, until.isoformat(),
                                              reason=ev.WaitReason.THROTTLED))
    save(window, "main-09-sync-waiting", "Đồng bộ đang chờ giới hạn của POS, nói rõ tiếp tục lúc mấy giờ")
    window.sync_page.show_finished(ev.RunFinished(0, "cancelled"))
    window.sync_page.set_busy(False)
    save(window, "main-10-sync-stopped", "Đã dừng: thanh tiến độ giữ chỗ đã dừng, không báo 100 %")
    app_page = window.app_data_page
    dialog = app_page.open_product(None)
    dialog.resize(min(820, width), min(700, height))
    dialog.name.setText("Cà phê sữa đá")
    dialog.price.setText("29.000")
    dialog.variants_editor.set_cell(0, 4, "12")
    extra = dialog.variants_editor.add_variant()
    dialog.variants_editor.set_cell(extra, "options", "Size L")
    dialog.variants_editor.set_cell(extra, "sku", "CPSD-L")
    dialog.variants_editor.set_cell(extra, "price", "35.000")
    dialog.accept()
    save(dialog, "main-07-product-form", "Sản phẩm mới cho Sapo: đúng một danh mục (SAPO-08), phiên bản và tồn kho theo chi nhánh")
    dialog.reject()
    tab = app_page.entity_tabs["product"]
    tab.reload()
    from PySide6.QtCore import QItemSelectionModel
    selection = tab.table.selectionModel()
    for row in range(tab.model.rowCount()):
        if tab.model.line(row).origin == "app":
            selection.select(tab.model.index(row, 0), QItemSelectionModel.SelectionFlag.Select
                             | QItemSelectionModel.SelectionFlag.Rows)
    push = app_page.prepare_push()
    if push is not None:
        push.resize(640, 420)
        save(push, "main-08-push-preview", "Đẩy sản phẩm lên POS: xem trước, mục bị chặn và lý do (SAPO-08)")
        push.reject()
    window.nav.setCurrentRow(2)
    window.results_page.rule_filter.setCurrentIndex(0)

    import json
    (out / "index.json").write_text(json.dumps(shots, ensure_ascii=False, indent=1),
                                    encoding="utf-8")
    lines = ["# Screenshots", "",
             "Rendered offscreen at 1366×768 against the sample shops (B-01) by "
             "`docs/render_screenshots.py`, one folder per language (`vi`, `en`) and `vi-150` "
             "for 150 % scaling (QT_SCALE_FACTOR=1.5: 911×512 points on a 1366×768 screen). "
             "Regenerate with `QT_QPA_PLATFORM=offscreen python docs/render_screenshots.py "
             "--lang vi` (then `--lang en`, then `QT_SCALE_FACTOR=1.5 … --lang vi --scale 1.5`); "
             "offscreen rendering needs a font with Vietnamese glyphs (DejaVu: `apt-get install "
             "-y fonts-dejavu-core`).", ""]
    for index in sorted(root_out.glob("*/index.json")):
        listed = json.loads(index.read_text(encoding="utf-8"))
        lines += [f"## {index.parent.name}", "", "| File | Shows |", "|---|---|"]
        lines += [f"| [{name}.png]({index.parent.name}/{name}.png) | {what} |"
                  for name, what in listed]
        lines.append("")
    (root_out / "README.md").write_text("\n".join(lines), encoding="utf-8")
    window.autosync.stop()
    print(f"{len(shots)} screenshots in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
