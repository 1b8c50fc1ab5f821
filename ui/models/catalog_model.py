"""App catalog rows of one entity (products, orders …), loaded page by page as the view
scrolls, with an "on POS" column from the profile's links.

Rows are in Vietnamese alphabetical order (Áo, Đồ before Trà) when the list is small enough to
sort here (VIETNAMESE_ORDER_LIMIT rows; the store's own order is byte order); a larger list
keeps the store's order so that the first page still appears at once. Products also show the
price ("42.000 ₫", or a range), the total stock and the number of variants."""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

from contract.records import ORDER_STATUS_VI, OrderStatus
from app.store import models as m
from app.store import queries
from ui.i18n import pick, tr
from ui.vietnamese import money_text, vietnamese_sort_key, when_text

VIETNAMESE_ORDER_LIMIT = 10_000

_HEADERS = {"name": "appdata.col.name", "code": "appdata.col.code",
            "status": "appdata.col.status", "origin": "appdata.col.origin",
            "pos_id": "appdata.col.linked", "updated_at": "appdata.col.updated",
            "price": "appdata.col.price", "stock": "appdata.col.stock",
            "variants": "appdata.col.variants"}
PRODUCT_COLUMNS = ("name", "code", "price", "stock", "variants", "status", "origin", "pos_id",
                   "updated_at")
_STATUS_EN = {s: s.value.replace("_", " ") for s in OrderStatus}


@dataclass(frozen=True)
class CatalogLine:
    app_id: str
    name: str
    code: str
    status: str
    origin: str
    updated_at: object
    pos_id: str
    price: str = ""
    stock: str = ""
    variants: str = ""


def product_figures(data: dict) -> tuple[str, str, str]:
    """(price or price range, total stock, variant count) of a product's stored JSON."""
    variants = data.get("variants") or []
    prices = []
    total = Decimal(0)
    for variant in variants:
        try:
            prices.append(Decimal(str(variant.get("price") or 0)))
        except ArithmeticError:
            pass
        for level in variant.get("stock") or []:
            try:
                total += Decimal(str(level.get("available") or 0))
            except ArithmeticError:
                pass
    if not prices:
        price = ""
    elif min(prices) == max(prices):
        price = money_text(prices[0])
    else:
        price = f"{money_text(min(prices)).removesuffix(' ₫')}–{money_text(max(prices))}"
    stock = f"{int(total):,}".replace(",", ".") if total == total.to_integral() else \
        str(total).replace(".", ",")
    return price, stock, str(len(variants))


def _origin(key: str) -> str:
    try:
        from connectors.registry import get_platform
        platform = get_platform(key)
    except Exception:  # noqa: BLE001 - an unknown or older platform key is shown as it is
        return key
    return pick(platform.name_vi, platform.name_en)


def status_text(entity: str, status: str) -> str:
    if entity == "order" and status:
        try:
            order_status = OrderStatus(status)
        except ValueError:
            return status
        return pick(ORDER_STATUS_VI[order_status], _STATUS_EN[order_status])
    return {"hidden": pick("Ẩn", "Hidden"), "inactive": pick("Ngừng", "Inactive")}.get(
        status, pick("Hiện", "Visible") if entity != "order" else status)


class CatalogModel(QAbstractTableModel):
    PAGE = 500
    COLUMNS = ("name", "code", "status", "origin", "pos_id", "updated_at")

    def __init__(self, catalog, entity: str, parent=None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.entity = entity
        if entity == "product":
            self.COLUMNS = PRODUCT_COLUMNS
        self._sorted: list | None = None          # every row, in Vietnamese order
        self._large = False
        self.search = ""
        self.profile_id: int | None = None
        self._rows: list[CatalogLine] = []
        self._exhausted = False

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return tr(_HEADERS[self.COLUMNS[section]])
        return None

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        line = self._rows[index.row()]
        key = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "status":
                return status_text(self.entity, line.status)
            if key == "origin":
                return tr("appdata.origin.app") if line.origin == "app" else _origin(line.origin)
            if key == "updated_at":
                return when_text(line.updated_at)
            return str(getattr(line, key) or "")
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("price", "stock", "variants"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return line
        return None

    def canFetchMore(self, parent=QModelIndex()) -> bool:
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent=QModelIndex()) -> None:
        if parent.isValid() or self._exhausted:
            return
        rows = self._next_rows()
        if len(rows) < self.PAGE:
            self._exhausted = True
        if not rows:
            return
        links = {}
        if self.profile_id is not None:
            links = queries.pos_ids(self.profile_id, self.entity, [r.app_id for r in rows])
        figures = self._product_figures([r.app_id for r in rows]) if self.entity == "product" \
            else {}
        lines = [CatalogLine(r.app_id, r.name, r.code, r.status, r.origin, r.updated_at,
                             links.get(r.app_id, ""), *figures.get(r.app_id, ("", "", "")))
                 for r in rows]
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(lines) - 1)
        self._rows.extend(lines)
        self.endInsertRows()

    def _next_rows(self) -> list:
        """The next page: from the whole list sorted in Vietnamese order when it is small,
        else the store's page."""
        if self._sorted is None:
            count = self.catalog.count(self.entity, self.search)
            if count <= VIETNAMESE_ORDER_LIMIT:
                self._sorted = sorted(self.catalog.list(self.entity, self.search),
                                      key=lambda row: (vietnamese_sort_key(row.name), row.app_id))
            else:
                self._sorted = []
                self._large = True
        if self._large:
            return self.catalog.list(self.entity, self.search, limit=self.PAGE,
                                     offset=len(self._rows))
        return self._sorted[len(self._rows):len(self._rows) + self.PAGE]

    def _product_figures(self, app_ids: list[str]) -> dict[str, tuple[str, str, str]]:
        query = (m.CatalogItem.select(m.CatalogItem.app_id, m.CatalogItem.data)
                 .where((m.CatalogItem.entity == "product")
                        & (m.CatalogItem.app_id.in_(app_ids))).tuples())
        return {app_id: product_figures(json.loads(data or "{}")) for app_id, data in query}

    def reload(self) -> None:
        self.beginResetModel()
        self._rows, self._exhausted = [], False
        self._sorted, self._large = None, False
        self.endResetModel()
        self.fetchMore()

    def line(self, row: int) -> CatalogLine:
        return self._rows[row]
