"""Issue 20 pts 9-10: money, dates and names as a Vietnamese shop writes them; variants and
stock per branch in the product form; conflicts resolved per field."""
from __future__ import annotations

import dataclasses
import re
from decimal import Decimal

from PySide6.QtWidgets import QApplication

from app.store import models as m
from contract.records import Category, Entity, Product, StockLevel, Variant
from tests.ui.wizard_driver import save_sample_profile
from ui.main_window import APP_DATA, CONFLICTS, RESULTS
from ui.vietnamese import money_text, parse_money, sorted_vietnamese, vietnamese_sort_key

from tests.ui.window_driver import run_and_wait




def test_money_is_written_with_dots_and_the_dong_sign():
    assert money_text(Decimal("42000")) == "42.000 ₫"
    assert money_text("1234567.5") == "1.234.567,5 ₫"
    assert money_text(-5000) == "-5.000 ₫"
    assert parse_money("42.000 ₫") == parse_money("42000") == Decimal(42000)
    assert parse_money("1.234,5") == Decimal("1234.5")


def test_vietnamese_alphabetical_order_puts_ao_and_do_before_tra():
    names = ["Trà", "Đồ ăn nhẹ", "Áo thun", "Bánh", "Ăn vặt", "Dừa", "Dưa"]
    byte_order = sorted(names)                                      # byte order: wrong
    assert byte_order.index("Áo thun") > byte_order.index("Trà")
    assert sorted_vietnamese(names) == ["Áo thun", "Ăn vặt", "Bánh", "Dưa", "Dừa",
                                        "Đồ ăn nhẹ", "Trà"]
    assert vietnamese_sort_key("ca") < vietnamese_sort_key("cà") < vietnamese_sort_key("cả")


def test_app_data_lists_sort_categories_in_vietnamese_order(qtbot, services, window):
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    catalog = services.catalog()
    for name in ("Trà", "Đồ ăn nhẹ", "Áo thun"):
        catalog.put(Entity.CATEGORY, Category(key="", name=name))
    window.nav.setCurrentRow(APP_DATA)
    tab = window.app_data_page.entity_tabs["category"]
    tab.reload()
    names = [tab.model.line(r).name for r in range(tab.model.rowCount())]
    assert names.index("Áo thun") < names.index("Đồ ăn nhẹ") < names.index("Trà")


def test_product_list_shows_price_total_stock_and_variants(qtbot, services, window):
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    catalog = services.catalog()
    catalog.put(Entity.PRODUCT, Product(key="", name="Áo thun", variants=(
        Variant(key="", sku="AT-S", price=Decimal(42000), stock=(StockLevel("B1", Decimal(3)),
                                                                   StockLevel("B2", Decimal(4)))),
        Variant(key="", sku="AT-L", price=Decimal(45000), stock=(StockLevel("B1", Decimal(5)),)))))
    window.nav.setCurrentRow(APP_DATA)
    tab = window.app_data_page.entity_tabs["product"]
    tab.reload()
    model = tab.model
    row = next(r for r in range(model.rowCount()) if model.line(r).name == "Áo thun")
    texts = {key: model.data(model.index(row, col)) for col, key in enumerate(model.COLUMNS)}
    assert texts["price"] == "42.000–45.000 ₫"
    assert texts["stock"] == "12"
    assert texts["variants"] == "2"
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", texts["updated_at"])


def test_product_form_edits_variants_and_stock_per_branch(qtbot, services, window):
    profile = save_sample_profile(services, "kiotviet-retail")
    window.refresh_profiles(profile.name)
    run_and_wait(qtbot, window, lambda: window.sync_page.entity_buttons["branch"].click())
    branches = [row.app_id for row in services.catalog().list(Entity.BRANCH)]
    assert branches
    page = window.app_data_page
    dialog = page.open_product(None)
    editor = dialog.variants_editor
    dialog.name.setText("Trà sữa")
    dialog.sku.setText("TS-M")
    dialog.price.setText("30.000")
    assert editor.table.item(0, 3).text() == "30.000"             # the first row mirrors
    editor.set_cell(0, 4, "7")                                      # stock at the first branch
    row = editor.add_variant()
    editor.set_cell(row, "options", "Size L")
    editor.set_cell(row, "sku", "TS-L")
    editor.set_cell(row, "price", "35.000")
    editor.set_cell(row, 4, "2")
    dialog.accept()
    saved = dialog.saved
    assert saved is not None, dialog.error.text()
    assert [v.sku for v in saved.variants] == ["TS-M", "TS-L"]
    assert saved.variants[0].price == Decimal(30000)                # "30.000" is thirty thousand
    assert saved.variants[1].price == Decimal(35000)
    assert saved.variants[1].options == ("Size L",)
    assert saved.variants[0].stock == (StockLevel(branches[0], Decimal(7)),)
    assert saved.variants[1].stock == (StockLevel(branches[0], Decimal(2)),)


def test_results_kind_column_is_not_cut_at_1366(qtbot, services, window):
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    window.resize(1366, 768)
    window.nav.setCurrentRow(RESULTS)
    table = window.results_page.table
    metrics = table.fontMetrics()
    assert table.columnWidth(1) >= metrics.horizontalAdvance("Danh mục sản phẩm") + 8


def test_sample_connection_name_is_not_doubled(qtbot, services, window):
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    window.connections_page.refresh(profile.name)
    text = window.connections_page.table.item(0, 0).text()
    assert text == "Cửa hàng mẫu"


def _price_conflict(services, window, qtbot):
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    run_and_wait(qtbot, window, window.sync_page.all_button.click)
    link = m.Link.select().where(m.Link.entity == "product").first()
    catalog = services.catalog()
    record = catalog.get(Entity.PRODUCT, link.app_id)
    catalog.put(Entity.PRODUCT, dataclasses.replace(record, name="Tên App"))
    box = services.sandbox_for(services.platform("sapo"))
    raw = box.edit_product(int(link.pos_id), name="Tên Sapo")
    raw["variants"][0]["price"] = 99000.0
    run_and_wait(qtbot, window, window.sync_page.entity_buttons["product"].click)
    return link, record


def test_conflicts_show_money_as_the_shop_writes_it(qtbot, services, window):
    _price_conflict(services, window, qtbot)
    window.nav.setCurrentRow(CONFLICTS)
    page = window.conflicts_page
    page.table.selectRow(0)
    rows = [[page.detail.item(r, c).text() for c in range(3)]
            for r in range(page.detail.rowCount())]
    prices = [row for row in rows if row[0].endswith("Giá")]
    assert prices and prices[0][1] == "42.000 ₫" and prices[0][2] == "99.000 ₫", rows
    money_rows = [row for row in rows if "Giá" in row[0]]
    assert all(cell == "" or cell.endswith(" ₫") for row in money_rows for cell in row[1:])


def test_com04_conflict_resolved_per_field_keeps_pos_price_and_app_name(qtbot, services, window):
    link, _before = _price_conflict(services, window, qtbot)
    window.nav.setCurrentRow(CONFLICTS)
    page = window.conflicts_page
    page.table.selectRow(0)
    assert "name" in page.field_choices and "variants[0].price" in page.field_choices
    page.choose("name", "app")
    page.choose("variants[0].price", "pos")
    run_and_wait(qtbot, window, page.keep_fields.click)
    assert m.Conflict.get().status == "resolved"
    record = services.catalog().get(Entity.PRODUCT, link.app_id)
    assert record.name == "Tên App"
    assert record.variants[0].price == Decimal(99000)
    box = services.sandbox_for(services.platform("sapo"))
    raw = box.edit_product(int(link.pos_id))
    assert raw["name"] == "Tên App"
    assert Decimal(str(raw["variants"][0]["price"])) == Decimal(99000)
    QApplication.processEvents()


def test_push_preview_shows_the_price_as_the_shop_writes_it():
    from ui.pages.app_data_page import push_line
    product = Product(key="P1", name="Bánh mì", variants=(Variant(key="", price=Decimal(25000)),))
    assert push_line(product) == "Bánh mì — 25.000 ₫ (P1)"
