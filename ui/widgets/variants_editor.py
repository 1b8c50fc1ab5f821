"""A product's variants and their stock per branch, edited as one table.

Row 1 is the product's first variant, whose SKU, barcode and price are the fields above the
table (mirrored here, read-only); its stock per branch is edited here. Further rows are whole
variants (options such as "Size L", SKU, barcode, price, stock per branch). Money is typed and
shown as the shop writes it ("42.000").
"""
from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from contract.records import StockLevel, Variant
from ui.i18n import tr
from ui.vietnamese import money_text, parse_money

FIXED = ("options", "sku", "barcode", "price")


def _number(value: Decimal) -> str:
    """Stock as a plain count ("12", "1,5" for weighed goods)."""
    text = format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return text.replace(".", ",") if "." in text else text


class VariantsEditor(QWidget):
    def __init__(self, branches: list[tuple[str, str]], variants: tuple[Variant, ...] = (),
                 parent=None, read_price: Callable[[str], Decimal] = parse_money) -> None:
        super().__init__(parent)
        # How a typed price is read: the page passes the app's one amount reader (issue 18 §2),
        # so the widget itself knows nothing of the app.
        self.read_price = read_price
        self.branches = branches                      # (branch key, name)
        self.originals: list[Variant] = list(variants) or [Variant(key="")]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, len(FIXED) + len(branches))
        self.table.setObjectName("variantsTable")
        self.table.setHorizontalHeaderLabels(
            [tr(f"variants.col.{c}") for c in FIXED]
            + [tr("variants.col.stock", branch=name) for _key, name in branches])
        self.table.verticalHeader().setVisible(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(130)
        layout.addWidget(self.table)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(tr("variants.add"))
        self.add_button.setObjectName("addVariant")
        self.remove_button = QPushButton(tr("variants.remove"))
        self.remove_button.setObjectName("removeVariant")
        self.add_button.clicked.connect(lambda: self.add_variant())
        self.remove_button.clicked.connect(self.remove_selected)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        for variant in self.originals:
            self.add_variant(variant)
        self.table.resizeColumnsToContents()
        for column in range(self.table.columnCount()):
            self.table.setColumnWidth(column, max(self.table.columnWidth(column), 90))

    # -- rows -----------------------------------------------------------------------------------
    def add_variant(self, variant: Variant | None = None) -> int:
        variant = variant or Variant(key="")
        row = self.table.rowCount()
        self.table.insertRow(row)
        values = [" / ".join(variant.options), variant.sku, variant.barcode,
                  money_text(variant.price).removesuffix(" ₫")]
        stock = {level.branch_key: level.available for level in variant.stock}
        values += [_number(stock[key]) if key in stock else "" for key, _name in self.branches]
        for column, value in enumerate(values):
            item = QTableWidgetItem(value)
            if column >= 3:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if row == 0 and 1 <= column <= 3:
                # The first variant's SKU, barcode and price are the fields above.
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                item.setToolTip(tr("variants.first_hint"))
            self.table.setItem(row, column, item)
        if row >= len(self.originals):
            self.originals.append(variant)
        return row

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        for row in rows:
            if row > 0:                        # the first variant is the product itself
                self.table.removeRow(row)
                del self.originals[row]

    def mirror_first(self, sku: str, barcode: str, price: str) -> None:
        for column, value in ((1, sku), (2, barcode), (3, price)):
            self.table.item(0, column).setText(value)

    def set_cell(self, row: int, column: str | int, text: str) -> None:
        index = FIXED.index(column) if isinstance(column, str) else column
        self.table.item(row, index).setText(text)

    # -- reading back -----------------------------------------------------------------------------
    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text().strip() if item is not None else ""

    def variants(self, first: Variant) -> tuple[Variant, ...]:
        """The edited variants; `first` carries the fields above. Raises ValueError naming the
        cell whose number cannot be read."""
        result = []
        for row in range(self.table.rowCount()):
            base = first if row == 0 else self.originals[row]
            stock = []
            kept = {level.branch_key: level for level in base.stock}
            for offset, (key, _name) in enumerate(self.branches):
                text = self._text(row, len(FIXED) + offset)
                if text:
                    stock.append(StockLevel(key, parse_money(text)))
                    kept.pop(key, None)
            # Stock at branches this form does not show stays as it was.
            stock.extend(kept.values())
            options = tuple(part.strip() for part in self._text(row, 0).split("/")
                            if part.strip())
            if row == 0:
                result.append(dataclasses.replace(first, options=options or first.options,
                                                  stock=tuple(stock)))
                continue
            price_text = self._text(row, 3)
            result.append(dataclasses.replace(
                base, options=options, sku=self._text(row, 1), barcode=self._text(row, 2),
                price=self.read_price(price_text) if price_text else Decimal("0"),
                stock=tuple(stock)))
        return tuple(result)
