"""The window's file doors (issues 18 §2-3, 22): the App data page imports Excel/CSV/JSON all
or nothing and writes the Excel template; the product form reads prices like the import;
results and conflicts export to .xlsx or CSV through the one formula-safe writer."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from openpyxl import Workbook, load_workbook
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox

from app.store import models as m
from contract.records import Entity, Product, Variant


def _page(qtbot, services):
    from ui.pages.app_data_page import AppDataPage
    page = AppDataPage(services)
    qtbot.addWidget(page)
    return page


def import_and_wait(qtbot, page, path, timeout=120_000) -> tuple[bool, str]:
    """The import runs in a background job; (imported?, text shown) once it has ended."""
    with qtbot.waitSignal(page.import_finished, timeout=timeout) as finished:
        page.import_from(path)
    return tuple(finished.args)


def test_b03_app_data_import_button_imports_an_excel_file_all_or_nothing(qtbot, services,
                                                                          tmp_path):
    page = _page(qtbot, services)
    assert page.import_button.objectName() == "importCatalog"
    wb = Workbook()
    wb.active.append(["entity", "name", "sku", "price"])
    wb.active.append(["product", "Cà phê sữa", "00123", "25.000"])
    wb.save(tmp_path / "tot.xlsx")
    with qtbot.waitSignal(page.message) as said:
        ok, _ = import_and_wait(qtbot, page, tmp_path / "tot.xlsx")
    assert ok and "1 product" in said.args[0]
    found = services.catalog().find(Entity.PRODUCT, "sku", "00123")
    assert services.catalog().get(Entity.PRODUCT, found[0]).variants[0].price == Decimal(25000)
    wb.active.append(["product", "Trà", "00123", "25,5"])
    wb.save(tmp_path / "xau.xlsx")
    ok, text = import_and_wait(qtbot, page, tmp_path / "xau.xlsx")
    assert not ok and "Không nhập gì cả" in text
    assert "Dòng 3, price: “25,5”" in text and "Dòng 3, sku" in text
    assert services.catalog().count(Entity.PRODUCT) == 1


def test_b03_window_keeps_answering_while_a_large_file_imports(qtbot, services, tmp_path):
    """A 100,000-row file froze the window for ~18 s: the import ran on the window's thread."""
    rows = 30_000
    path = tmp_path / "lon.csv"
    path.write_text("entity,name,sku,price\n" + "".join(
        f"product,Cà phê số {i},CF-{i:06d},{25_000 + i}\n" for i in range(rows)),
        encoding="utf-8")
    page = _page(qtbot, services)
    page.show()
    while_importing: list[bool] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: while_importing.append(page.importing()))
    timer.start()
    with qtbot.waitSignal(page.import_finished, timeout=180_000) as finished:
        page.import_from(path)
        assert page.importing()
        assert not page.import_button.isEnabled() and not page.new_button.isEnabled()
        assert page.import_status.isVisible() and "lon.csv" in page.import_status.text()
    timer.stop()
    ok, text = finished.args
    assert ok and f"{rows} product" in text, text
    # The event loop ran the timer again and again while the file was being imported.
    assert sum(while_importing) >= 5, while_importing.count(True)
    assert services.catalog().count(Entity.PRODUCT) == rows
    assert page.import_button.isEnabled() and not page.import_status.isVisible()


def test_b03_a_refused_import_still_shows_its_message(qtbot, services, tmp_path):
    path = tmp_path / "xau.csv"
    path.write_text("entity,name,sku,price\nproduct,Trà,T-1,25\nproduct,Trà đá,T-2,25,5\n",
                    encoding="utf-8")
    page = _page(qtbot, services)
    ok, text = import_and_wait(qtbot, page, path)
    assert not ok and "Không nhập gì cả" in text
    box = page.findChild(QMessageBox, "importRefused")
    assert box is not None and box.isVisible() and box.text() == text
    assert services.catalog().count(Entity.PRODUCT) == 0
    assert page.import_button.isEnabled() and not page.importing()


def test_app_data_template_button_writes_the_excel_template(qtbot, services, tmp_path):
    page = _page(qtbot, services)
    written = page.write_template(tmp_path / "mau")
    assert written.suffix == ".xlsx"
    assert [c.value for c in load_workbook(written)["Nhập dữ liệu"][1]][:3] == [
        "entity", "id", "name"]


def test_product_form_reads_vietnamese_price_and_refuses_ambiguous(qtbot, services):
    from ui.pages.app_data_page import ProductDialog
    dialog = ProductDialog(services.catalog(), services.platform("kiotviet-retail"))
    qtbot.addWidget(dialog)
    dialog.name.setText("Cà phê")
    dialog.price.setText("25.000")
    assert dialog.build().variants[0].price == Decimal(25000)
    dialog.price.setText("42.000 ₫")
    assert dialog.build().variants[0].price == Decimal(42000)
    for bad in ("25,5", "-5000", "1e30"):
        dialog.price.setText(bad)
        assert dialog.build() is None
        assert bad in dialog.error.text()


def test_com02_push_preview_blocks_two_unlinked_products_sharing_a_sku(qtbot, services):
    page = _page(qtbot, services)
    catalog = services.catalog()
    a = catalog.put(Entity.PRODUCT, Product(key="", name="Cà phê", variants=(
        Variant(key="v1", sku="CF-1"),)))
    b = catalog.put(Entity.PRODUCT, Product(key="", name="Cà phê lớn", variants=(
        Variant(key="v1", sku="CF-1"),)))
    ready, blocked = page.push_plan([a.key, b.key])
    assert ready == []
    reasons = {product.key: reason for product, reason in blocked}
    assert b.key in reasons[a.key] and a.key in reasons[b.key] and "COM-02" in reasons[a.key]


def test_b03_results_export_to_xlsx_and_csv_is_formula_safe(qtbot, store, tmp_path):
    from ui.models.results_model import ResultsModel
    now = datetime(2025, 3, 4, 5, 6, tzinfo=timezone.utc)
    profile = m.Profile.create(name="p", platform="sapo", created_at=now)
    run = m.Run.create(profile=profile, started_at=now)
    m.ItemResult.create(run=run, entity="product", direction="pos_to_app", name="=1+2",
                        action="create", outcome="ok", at=now)
    model = ResultsModel()
    model.set_filter(profile_id=profile.id)
    assert model.export_csv(tmp_path / "kq.xlsx") == 1
    ws = load_workbook(tmp_path / "kq.xlsx").active
    assert ws["F2"].value == "=1+2" and ws["F2"].data_type == "s" and ws.freeze_panes == "A2"
    assert ws["L2"].value == datetime(2025, 3, 4, 12, 6)
    assert model.export_csv(tmp_path / "kq.csv") == 1
    assert ",'=1+2," in (tmp_path / "kq.csv").read_text(encoding="utf-8-sig")


def test_b03_conflicts_export_to_xlsx_and_csv_goes_through_the_safe_writer(qtbot, services,
                                                                            tmp_path):
    from tests.ui.test_main_window import _make_conflict
    from ui.main_window import CONFLICTS, MainWindow
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.ask = lambda _text: True
    try:
        _make_conflict(services, window, qtbot)
        window.nav.setCurrentRow(CONFLICTS)
        page = window.conflicts_page
        assert page.export_to(tmp_path / "xd.xlsx") == 1
        ws = load_workbook(tmp_path / "xd.xlsx").active
        assert [c.value for c in ws[1]][:3] == ["id", "entity", "app_id"]
        assert ws.freeze_panes == "A2" and ws.max_row >= 2
        assert page.export_to(tmp_path / "xd.csv") == 1
        assert (tmp_path / "xd.csv").read_text(encoding="utf-8-sig").startswith("id,entity")
    finally:
        window.controller.cancel()
        window.controller.wait(10_000)


def test_product_form_reads_a_second_variants_price_like_the_first(qtbot, services):
    """Issue 18 §2: a variant row's price goes through the same reader as the form's own
    price and every import ("25,5" was read as 25.5 đ by a second, looser reader)."""
    from ui.pages.app_data_page import ProductDialog
    dialog = ProductDialog(services.catalog(), services.platform("kiotviet-retail"))
    qtbot.addWidget(dialog)
    dialog.name.setText("Cà phê")
    dialog.price.setText("25.000")
    row = dialog.variants_editor.add_variant()
    dialog.variants_editor.set_cell(row, 3, "1.250.000")
    assert dialog.build().variants[row].price == Decimal(1250000)
    dialog.variants_editor.set_cell(row, 3, "25,5")
    assert dialog.build() is None
    assert "25,5" in dialog.error.text()
