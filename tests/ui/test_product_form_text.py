"""The product form shows a POS description as words and the list shows a whole price range
(walk finding 12)."""
from __future__ import annotations

from decimal import Decimal

from contract.records import Entity, Product, Variant
from ui.pages.app_data_page import ProductDialog

HTML = "<p>Áo phông <strong>cotton</strong> &amp; mềm</p><p>Giặt máy</p>"


def _product(services) -> Product:
    product = Product(key="P1", name="Áo phông", description=HTML,
                      variants=(Variant(key="V1", sku="AO-1", price=Decimal(25000)),))
    return product


def test_com05_product_description_shown_as_text_and_kept_as_html_when_unedited(
        qtbot, services):
    dialog = ProductDialog(services.catalog(), services.platform("sapo"), _product(services))
    qtbot.addWidget(dialog)
    shown = dialog.description.toPlainText()
    assert "<p>" not in shown and "&amp;" not in shown
    assert shown == "Áo phông cotton & mềm\nGiặt máy"
    assert dialog.description_value() == HTML           # the POS's HTML goes back untouched
    dialog.description.setPlainText("Áo phông cotton & mềm\nGiặt tay <30°C")
    assert dialog.description_value() == "<p>Áo phông cotton &amp; mềm</p><p>Giặt tay &lt;30°C</p>"


def test_b04_product_list_price_range_is_not_cut(qtbot, services):
    from ui.pages.app_data_page import EntityTab
    catalog = services.catalog()
    catalog.put(Entity.PRODUCT, Product(key="P9", name="Áo nhiều giá", variants=(
        Variant(key="V1", sku="A-1", price=Decimal(25000)),
        Variant(key="V2", sku="A-2", price=Decimal(1229000)))))
    tab = EntityTab(catalog, "product")
    qtbot.addWidget(tab)
    tab.reload()
    column = tab.model.COLUMNS.index("price")
    text = tab.model.data(tab.model.index(0, column))
    assert text == "25.000–1.229.000 ₫"
    assert tab.table.columnWidth(column) >= tab.table.fontMetrics().horizontalAdvance(text) + 8
