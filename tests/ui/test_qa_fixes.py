"""Fixes found by walking through the app as a shop owner (QA pass): what the owner reads."""
from __future__ import annotations

import pytest

from app.store.profiles import update_profile
from tests.ui.wizard_driver import save_sample_profile
from ui.i18n import set_language
from ui.main_window import MainWindow
from ui.models.conflicts_model import compare, field_label


@pytest.mark.parametrize("path, vi, en", [
    ("variants[0].stock[0].available", "Phiên bản 1 · Tồn kho", "Variant 1 · Stock"),
    ("variants[1].stock[1].available", "Phiên bản 2 · Tồn kho (chi nhánh 2)",
     "Variant 2 · Stock (branch 2)"),
    ("variants[0].price", "Phiên bản 1 · Giá", "Variant 1 · Price"),
    ("lines[2].quantity", "Dòng 3 · Số lượng", "Line 3 · Qty"),
    ("options[1]", "Thuộc tính 2", "Options 2"),
    ("name", "Tên", "Name"),
])
def test_com04_conflict_fields_have_human_names_not_paths(path, vi, en):
    assert field_label(path) == vi
    set_language("en")
    assert field_label(path) == en


def test_com04_side_by_side_shows_no_brackets_for_a_product_conflict():
    app = {"name": "Cà phê", "variants": [{"key": "V1", "price": "25000",
                                           "stock": [{"branch_key": "B1", "available": "3"}]}]}
    pos = {"name": "Cà phê", "variants": [{"key": "9", "price": "27000",
                                           "stock": [{"branch_key": "7", "available": "5"}]}]}
    rows = compare(app, pos)
    labels = [label for label, *_ in rows]
    assert "Phiên bản 1 · Tồn kho" in labels and "Phiên bản 1 · Giá" in labels
    assert not any("[" in label or "variants" in label for label in labels)


def test_com10_window_opened_with_a_scheduled_connection_shows_the_next_run(qtbot, services):
    """Start (and every language switch, which rebuilds the window) read "Automatic sync: off"
    for a connection synced every 15 minutes, because the page asked before the schedule ran."""
    profile = save_sample_profile(services, "sapo")
    update_profile(profile.name, schedule_minutes=15)
    window = MainWindow(services)
    qtbot.addWidget(window)
    assert window.autosync.next_run(profile.name) is not None
    assert window.sync_page.next_run.text().startswith("Lần chạy tới:")


def test_b04_app_data_origin_column_fits_the_pos_name_on_one_line(qtbot, services):
    """"Sapo Web / Sapo Omni" wrapped to two lines in a 120 px column and the second was cut."""
    from ui.pages.app_data_page import AppDataPage
    page = AppDataPage(services)
    qtbot.addWidget(page)
    for tab in page.entity_tabs.values():
        column = tab.model.COLUMNS.index("origin")
        needed = tab.table.fontMetrics().horizontalAdvance("Sapo Web / Sapo Omni")
        assert tab.table.columnWidth(column) > needed
        assert tab.table.wordWrap() is False


def test_b04_sapo_permissions_after_the_test_are_in_one_language(qtbot, services):
    """The Sapo test answer read "Khách hàng / Customers: ✓" in the Vietnamese wizard."""
    from tests.ui.wizard_driver import run_connection_test, start_sample
    from ui.wizard import setup_wizard as W
    wizard = start_sample(qtbot, services, "sapo")
    run_connection_test(qtbot, wizard, W.CONNECTION)
    text = wizard.pages[W.CONNECTION].test_panel.status.text()
    assert "Khách hàng: ✓" in text
    assert "Customers" not in text and " / " not in text


def test_b04_permission_text_picks_the_language_and_keeps_other_shapes():
    from ui.wizard.connection_test import permission_text
    assert permission_text("Kho / Inventory: ✗") == "Kho: ✗"
    set_language("en")
    assert permission_text("Kho / Inventory: ✗") == "Inventory: ✗"
    plain = "Đọc chi nhánh, danh mục, sản phẩm"
    assert permission_text(plain) == plain


@pytest.mark.parametrize("platform_key, mentions_kiotviet", [
    ("sapo", False), ("kiotviet-fnb", True),
])
def test_kvf14_central_branch_advice_only_for_kiotviet(qtbot, services, platform_key,
                                                       mentions_kiotviet):
    """The branch page told a Sapo owner "Với KiotViet hãy chọn chi nhánh trung tâm"."""
    from tests.ui.wizard_driver import pass_connection, start_sample
    wizard = start_sample(qtbot, services, platform_key)
    pass_connection(qtbot, wizard)
    assert ("KiotViet" in wizard.currentPage().subTitle()) is mentions_kiotviet


def test_b04_tab_leaves_the_product_description_instead_of_typing_a_tab(qtbot, services):
    from PySide6.QtCore import Qt
    from ui.pages.app_data_page import ProductDialog
    dialog = ProductDialog(services.catalog(), services.platform("kiotviet-retail"))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.description.setFocus()
    qtbot.waitUntil(dialog.description.hasFocus)
    qtbot.keyClick(dialog.description, Qt.Key.Key_Tab)
    assert dialog.description.toPlainText() == ""
    assert not dialog.description.hasFocus()


def test_b04_settings_names_the_keyring_in_words_not_a_class_path(qtbot, services):
    """Settings showed "app.secrets.MemoryKeyring" (on Windows: a keyring class path)."""
    from ui.pages.settings_page import SettingsPage, keyring_name
    page = SettingsPage(services)
    qtbot.addWidget(page)
    assert page.keyring.text().startswith("Trong bộ nhớ")
    assert "app.secrets" not in page.keyring.text()
    assert page.keyring.wordWrap() is False     # wrapped, its second line was cut off
    assert keyring_name("keyring.backends.Windows.WinVaultKeyring") == \
        "Windows Credential Manager"
    assert keyring_name("some.other.Backend") == "Kho khoá của hệ thống"   # never a class path


def test_kvf15_progress_shows_counts_only_while_a_run_counts(qtbot, services):
    """Idle the bar read "0 / 100" and after a run "1 / 1": numbers that mean nothing."""
    from types import SimpleNamespace
    window = MainWindow(services)
    qtbot.addWidget(window)
    bar = window.sync_page.progress
    assert bar.isTextVisible() is False
    window.sync_page.set_busy(True)
    window.sync_page.show_progress(SimpleNamespace(entity="product", direction="pull", done=40,
                                                   total=200, eta_seconds=None))
    assert bar.isTextVisible() and bar.text() == "40 / 200"
    window.sync_page.show_finished(SimpleNamespace(status="done", counts={}, message_vi="Xong.",
                                                   message_en="Done."))
    assert bar.isTextVisible() is False


def test_b04_language_switch_keeps_the_owner_on_the_settings_page(qtbot, services, home):
    """After switching language the rebuilt window opened on Sync, not where the owner was."""
    from PySide6.QtWidgets import QApplication
    from ui.app import DesktopApp
    from ui.main_window import SETTINGS
    save_sample_profile(services, "sapo")
    desktop = DesktopApp(QApplication.instance(), home, services)
    window = desktop.show()
    qtbot.addWidget(window)
    window.nav.setCurrentRow(SETTINGS)
    window.settings_page.language_changed.emit("en")
    qtbot.addWidget(desktop.window)
    assert desktop.window is not window
    assert desktop.window.nav.currentRow() == SETTINGS


def test_com04_side_by_side_shows_description_words_not_html_tags():
    app = {"name": "Trà", "description": "<p>Trà xanh nhài &amp; sen</p>"}
    pos = {"name": "Trà", "description": "<p>Trà xanh nhài</p><p>mới</p>"}
    rows = {label: (a, p, differs) for label, a, p, differs in compare(app, pos)}
    assert rows["Mô tả"] == ("Trà xanh nhài & sen", "Trà xanh nhài\nmới", True)
    assert rows["Tên"] == ("Trà", "Trà", False)


def test_b04_diagnostics_to_an_unwritable_place_says_what_to_do(qtbot, services, tmp_path):
    from ui.pages.settings_page import SettingsPage
    page = SettingsPage(services)
    qtbot.addWidget(page)
    messages = []
    page.message.connect(messages.append)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    assert page.export_diagnostics(blocker / "bundle.zip") is False
    assert messages and "Không lưu được gói chẩn đoán" in messages[0]


def test_kvf15_first_sync_note_only_for_kiotviet_platforms(qtbot, tmp_path, monkeypatch):
    """The 5–10 minute first-sync caveat is KiotViet's (KVF-15); a Sapo owner is not told it."""
    from types import SimpleNamespace

    from connectors.registry import get_platform
    from ui.wizard.finish_page import FinishPage

    for key, shown in (("kiotviet-fnb", True), ("sapo", False), ("nhanh-v3", False)):
        services = SimpleNamespace(platform=get_platform)
        state = SimpleNamespace(platform_key=key, schedule_minutes=0, profile_name="Cửa hàng",
                                entities=[], info=None)
        page = FinishPage(state, services)
        qtbot.addWidget(page)
        page.initializePage()
        assert page.first_sync_note.isVisibleTo(page) is shown, key



def test_com04_order_conflict_shows_discount_and_fees_as_vietnamese_money():
    """Fingerprints leave an order's discount and fees out, and the conflicts page hid every
    such field: the owner saw two totals differ with no visible cause."""
    app = {"key": "A1", "total": "53000", "discount": "5000", "fees": "0",
           "lines": [{"sku": "CF", "name": "Cà phê", "quantity": "2", "price": "29000",
                      "discount": "0"}]}
    pos = {"key": "9", "total": "60000.0", "discount": "0", "fees": "2000.00",
           "lines": [{"sku": "CF", "name": "Cà phê", "quantity": "2", "price": "29000.0",
                      "discount": "0.0"}]}
    rows = {label: (a, p, differs) for label, a, p, differs in compare(app, pos)}
    assert rows["Giảm giá"] == ("5.000 ₫", "0 ₫", True)
    assert rows["Phí khác"] == ("0 ₫", "2.000 ₫", True)
    assert rows["Dòng 1 · Giảm giá"] == ("0 ₫", "0 ₫", False)     # same amount, other spelling
    assert rows["Dòng 1 · Giá"][2] is False
    set_language("en")
    labels = [label for label, *_ in compare(app, pos)]
    assert "Discount" in labels and "Fees" in labels and "Line 1 · Discount" in labels
