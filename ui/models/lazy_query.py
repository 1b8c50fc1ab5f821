"""A table model over a peewee query that loads rows in pages as the view scrolls.

`canFetchMore`/`fetchMore` let QTableView ask for the next page only when the user scrolls near
the end, so 100,000 result rows cost one page of SQL at a time. Filters and sorting go into the
SQL (a proxy could only see the rows already loaded).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import peewee as pw
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt


@dataclass(frozen=True)
class Column:
    key: str                     # row attribute
    title: Callable[[], str]     # translated header
    sort_field: Any = None       # peewee field to ORDER BY, None = not sortable
    display: Callable[[Any], str] | None = None


class LazyQueryModel(QAbstractTableModel):
    PAGE = 500

    def __init__(self, columns: Sequence[Column], parent=None) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self._rows: list[Any] = []
        self._exhausted = False
        self._order: list[Any] = []

    # -- to implement ---------------------------------------------------------------------
    def base_query(self) -> pw.ModelSelect:
        raise NotImplementedError

    def default_order(self) -> list[Any]:
        raise NotImplementedError

    def convert(self, row: Any) -> Any:
        """Turn a peewee row into the plain object the view shows (called once per row)."""
        return row

    # -- Qt API -----------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section].title()
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = getattr(row, column.key, "")
            return column.display(value) if column.display else ("" if value is None else str(value))
        if role == Qt.ItemDataRole.UserRole:
            return row
        return self.extra_data(row, column, role)

    def extra_data(self, row: Any, column: Column, role: int):
        return None

    def canFetchMore(self, parent: QModelIndex = QModelIndex()) -> bool:
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: QModelIndex = QModelIndex()) -> None:
        if parent.isValid() or self._exhausted:
            return
        order = self._order or self.default_order()
        query = self.base_query().order_by(*order).offset(len(self._rows)).limit(self.PAGE)
        batch = [self.convert(row) for row in query]
        if len(batch) < self.PAGE:
            self._exhausted = True
        if batch:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(batch) - 1)
            self._rows.extend(batch)
            self.endInsertRows()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        field = self.columns[column].sort_field
        if field is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        self._order = [field.desc() if descending else field.asc()] + self.default_order()
        self.reload()

    # -- helpers ------------------------------------------------------------------------------
    def reload(self) -> None:
        """Drop loaded rows and load the first page again (after a filter or a finished run)."""
        self.beginResetModel()
        self._rows = []
        self._exhausted = False
        self.endResetModel()
        self.fetchMore()

    def total(self) -> int:
        """Rows matching the filters in the database (not only the loaded ones)."""
        return self.base_query().count()

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def loaded(self) -> list[Any]:
        return list(self._rows)


class SqlSortProxy(QSortFilterProxyModel):
    """Sorting goes to the source's SQL; the proxy keeps view code uniform (selection mapping)
    and adds a quick local filter over loaded rows for the selection helpers."""

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)

    def row_object(self, proxy_row: int) -> Any:
        source_index = self.mapToSource(self.index(proxy_row, 0))
        return self.sourceModel().row_at(source_index.row())
