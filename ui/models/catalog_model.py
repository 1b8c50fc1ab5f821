"""App catalog rows of one entity (products, orders …), loaded page by page as the view
scrolls, with an "on POS" column from the profile's links."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

from contract.records import ORDER_STATUS_VI, OrderStatus
from app.store import queries
from ui.i18n import pick, tr

_HEADERS = {"name": "appdata.col.name", "code": "appdata.col.code",
            "status": "appdata.col.status", "origin": "appdata.col.origin",
            "pos_id": "appdata.col.linked", "updated_at": "appdata.col.updated"}
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
                value = line.updated_at
                return value.strftime("%d/%m/%Y %H:%M") if hasattr(value, "strftime") else str(value)
            return str(getattr(line, key) or "")
        if role == Qt.ItemDataRole.UserRole:
            return line
        return None

    def canFetchMore(self, parent=QModelIndex()) -> bool:
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent=QModelIndex()) -> None:
        if parent.isValid() or self._exhausted:
            return
        rows = self.catalog.list(self.entity, self.search, limit=self.PAGE, offset=len(self._rows))
        if len(rows) < self.PAGE:
            self._exhausted = True
        if not rows:
            return
        links = {}
        if self.profile_id is not None:
            links = queries.pos_ids(self.profile_id, self.entity, [r.app_id for r in rows])
        lines = [CatalogLine(r.app_id, r.name, r.code, r.status, r.origin, r.updated_at,
                             links.get(r.app_id, "")) for r in rows]
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(lines) - 1)
        self._rows.extend(lines)
        self.endInsertRows()

    def reload(self) -> None:
        self.beginResetModel()
        self._rows, self._exhausted = [], False
        self.endResetModel()
        self.fetchMore()

    def line(self, row: int) -> CatalogLine:
        return self._rows[row]
