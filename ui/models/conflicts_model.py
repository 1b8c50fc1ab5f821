"""Open conflicts of a profile (COM-04), and the side-by-side field comparison of one."""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

from app.store import models as m
from contract.records import ORDER_STATUS_VI, UNSYNCED_FIELDS, OrderStatus
from ui.i18n import entity_name, pick, tr
from ui.vietnamese import money_text, when_text


@dataclass(frozen=True)
class ConflictLine:
    id: int
    entity: str
    app_id: str
    pos_id: str
    name: str
    rule: str
    created_at: object
    app_data: dict
    pos_data: dict


def _name(data: dict) -> str:
    for key in ("name", "title", "number", "customer_name"):
        if data.get(key):
            return str(data[key])
    return ""


def _flatten(value, prefix: str = "") -> dict[str, str]:
    """Nested record JSON → {"variants[0].price": "150000", …} for a field-by-field view."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}.{key}" if prefix else key))
    elif isinstance(value, list):
        if not value:
            out[prefix] = ""
        for index, inner in enumerate(value):
            out.update(_flatten(inner, f"{prefix}[{index}]"))
    else:
        out[prefix] = "" if value is None else str(value)
    return out


# Parts of an order's total that fingerprints leave out only because links stored theirs
# before these fields existed (a change of them changes `total`, which is compared). The owner
# choosing a side must still see them: a different total with no visible cause is a guess.
SHOWN_THOUGH_UNFINGERPRINTED = frozenset({"discount", "fees"})

# Ids and cross-references differ between the App and the POS for the same thing (App
# "C000002" vs POS "1002"): showing them as differences would only confuse.
IGNORED = set(UNSYNCED_FIELDS) - SHOWN_THOUGH_UNFINGERPRINTED

FIELD_NAMES = {
    "name": ("Tên", "Name"), "title": ("Tiêu đề", "Title"),
    "description": ("Mô tả", "Description"), "price": ("Giá", "Price"),
    "compare_at_price": ("Giá so sánh", "Compare-at price"), "sku": ("SKU", "SKU"),
    "barcode": ("Mã vạch", "Barcode"), "visible": ("Hiện", "Visible"),
    "phone": ("Điện thoại", "Phone"), "email": ("Email", "Email"),
    "address": ("Địa chỉ", "Address"), "note": ("Ghi chú", "Note"),
    "status": ("Trạng thái", "Status"), "available": ("Tồn kho", "Stock"),
    "content": ("Nội dung", "Content"), "summary": ("Tóm tắt", "Summary"),
    "options": ("Thuộc tính", "Options"), "option_names": ("Tên thuộc tính", "Option names"),
    "images": ("Ảnh", "Images"), "unit": ("Đơn vị", "Unit"), "quantity": ("Số lượng", "Qty"),
    "birthday": ("Ngày sinh", "Birthday"), "gender": ("Giới tính", "Gender"),
    "customer_name": ("Tên khách", "Customer name"),
    "customer_phone": ("Điện thoại khách", "Customer phone"),
    "shipping_address": ("Địa chỉ giao", "Shipping address"), "total": ("Tổng tiền", "Total"),
    "delivery_at": ("Giờ giao", "Delivery time"), "author": ("Tác giả", "Author"),
    "image": ("Ảnh", "Image"), "category_name": ("Danh mục", "Category"),
    "active": ("Đang hoạt động", "Active"), "position": ("Thứ tự", "Position"),
    "published_at": ("Ngày đăng", "Published"),
    "discount": ("Giảm giá", "Discount"), "fees": ("Phí khác", "Fees"),
}

# A list item shown as a group in front of its fields: "variants[0]" → "Phiên bản 1".
GROUP_NAMES = {
    "variants": ("Phiên bản", "Variant"), "lines": ("Dòng", "Line"),
}


def _segment(part: str) -> str:
    """One path piece ('variants[0]', 'stock[1]', 'price') in the shop's words."""
    base, _, index = part.partition("[")
    number = int(index.rstrip("]")) + 1 if index else None
    if base == "stock":
        # A variant's stock per branch: the branch number only matters past the first one.
        label = pick("Tồn kho", "Stock")
        return label if not number or number == 1 else f"{label} ({pick('chi nhánh', 'branch')} {number})"
    label = pick(*GROUP_NAMES.get(base, FIELD_NAMES.get(base, (base, base))))
    return f"{label} {number}" if number else label


def field_label(path: str) -> str:
    """'variants[0].stock[0].available' → 'Phiên bản 1 · Tồn kho': no technical paths shown."""
    pieces = [part for part in path.split(".") if part]
    # stock[0].available would read "Tồn kho · Tồn kho": the stock piece already says it.
    if len(pieces) > 1 and pieces[-1] == "available" and pieces[-2].startswith("stock"):
        pieces.pop()
    return " · ".join(_segment(part) for part in pieces)


# Descriptions and articles are HTML on the POS: the owner compares the words, not "<p>".
RICH_TEXT = {"description", "content", "summary"}


def plain_text(value: str) -> str:
    if "<" not in value and "&" not in value:
        return value
    text = re.sub(r"<br\s*/?>|</p>", "\n", value, flags=re.IGNORECASE)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


# Amounts of money: shown "42.000 ₫" as the shop writes them, never "42000".
MONEY = {"price", "compare_at_price", "total", "discount", "fees", "shipping_fee", "amount"}


def pos_side_locked(rule: str) -> bool:
    """A conflict raised by a rule that locks the POS side (SAPO-09, KVF-10: an order synced
    once is not changed from the App): keeping the App's version is not pushed — the engine
    only re-baselines ("resolved_app_not_pushed")."""
    return bool(rule) and rule != "COM-04"


def status_words(value: str) -> str:
    """An order status in the shop's words ('Đã huỷ' / 'cancelled'), never 'shipped_out'."""
    try:
        status = OrderStatus(value)
    except ValueError:
        return value
    return pick(ORDER_STATUS_VI[status], status.value.replace("_", " "))


def compare(app_data: dict, pos_data: dict, entity: str = "") -> list[tuple[str, str, str, bool]]:
    """(field, App value, POS value, differs) for every field of either side."""
    return [(label, a, p, differs) for _path, label, a, p, differs in
            compare_paths(app_data, pos_data, entity)]


def compare_paths(app_data: dict, pos_data: dict,
                  entity: str = "") -> list[tuple[str, str, str, str, bool]]:
    """(path, field, App value, POS value, differs): the path names the stored field, so a
    per-field choice can be applied to the record (issue 20 pt 10)."""
    app, pos = _flatten(app_data or {}), _flatten(pos_data or {})
    rows = []
    for name in list(dict.fromkeys([*app, *pos])):
        last = name.split(".")[-1].split("[")[0]
        if last in IGNORED:
            continue
        a, p = app.get(name, ""), pos.get(name, "")
        differs = a != p
        if last in RICH_TEXT:
            a, p = plain_text(a), plain_text(p)
        elif name == "status" and entity == "order":
            a, p = status_words(a), status_words(p)
        elif last in MONEY:
            a, p = money_text(a), money_text(p)
            differs = a != p            # "42000.0" and "42000" are the same amount
        rows.append((name, field_label(name), a, p, differs))
    return rows


class ConflictsModel(QAbstractTableModel):
    COLUMNS = ("entity", "name", "rule", "created_at")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.profile_id: int | None = None
        self._rows: list[ConflictLine] = []

    def reload(self) -> None:
        self.beginResetModel()
        self._rows = []
        if self.profile_id is not None:
            query = (m.Conflict.select()
                     .where((m.Conflict.profile == self.profile_id)
                            & (m.Conflict.status == "open"))
                     .order_by(m.Conflict.id))
            for row in query:
                app_data = json.loads(row.app_data or "null") or {}
                pos_data = json.loads(row.pos_data or "null") or {}
                self._rows.append(ConflictLine(row.id, row.entity, row.app_id, row.pos_id,
                                               _name(app_data) or _name(pos_data), row.rule,
                                               row.created_at, app_data, pos_data))
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return tr(f"conflicts.col.{ {'created_at': 'when'}.get(self.COLUMNS[section], self.COLUMNS[section]) }")
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        line = self._rows[index.row()]
        key = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "entity":
                return entity_name(line.entity)
            if key == "created_at":
                return when_text(line.created_at)
            return str(getattr(line, key))
        if role == Qt.ItemDataRole.UserRole:
            return line
        return None

    def line(self, row: int) -> ConflictLine:
        return self._rows[row]

    def lines(self) -> list[ConflictLine]:
        return list(self._rows)
