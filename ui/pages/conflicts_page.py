"""Conflicts (COM-04): the list, the App and POS values side by side with differences
highlighted, and keep App / keep POS / skip for one or many at once — or, for one conflict,
a choice per differing field (keep the POS's price and the App's name)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QSplitter, QTableView, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ui.i18n import tr
from ui.models.conflicts_model import (ConflictsModel, compare, compare_paths,
                                       pos_side_locked)
from ui.wizard.caveat_notes import caveat_note

DIFF = QColor("#fff1c2")


class ConflictsPage(QWidget):
    resolve_requested = Signal(list, str)     # [conflict ids], "app" | "pos" | "skip"
    resolve_fields_requested = Signal(int, list)   # conflict id, paths whose POS value is kept
    message = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.model = ConflictsModel(self)
        layout = QVBoxLayout(self)
        self.header = header = QLabel(tr("conflicts.header"))
        header.setObjectName("conflictsHeader")
        header.setWordWrap(True)
        layout.addWidget(header)
        self.empty = QLabel(tr("conflicts.none"))
        self.empty.setObjectName("conflictsEmpty")
        layout.addWidget(self.empty)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.table = QTableView()
        self.table.setObjectName("conflictsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.detail = QTableWidget(0, 4)
        self.detail.setObjectName("conflictDetail")
        self.detail.setHorizontalHeaderLabels([tr("conflicts.field"), tr("conflicts.app"),
                                               tr("conflicts.pos"), tr("conflicts.keep")])
        self.detail.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.detail.verticalHeader().setVisible(False)
        self.detail.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.detail.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Fixed)
        self.detail.setColumnWidth(3, 110)
        self.field_choices: dict[str, QComboBox] = {}
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setSizes([200, 300])
        layout.addWidget(splitter, 1)
        self.rule_note_holder = QVBoxLayout()
        layout.addLayout(self.rule_note_holder)
        buttons = QHBoxLayout()
        self.keep_app = QPushButton(tr("conflicts.keep_app"))
        self.keep_app.setObjectName("keepApp")
        self.keep_pos = QPushButton(tr("conflicts.keep_pos"))
        self.keep_pos.setObjectName("keepPos")
        self.skip = QPushButton(tr("conflicts.skip"))
        self.skip.setObjectName("skipConflict")
        self.keep_fields = QPushButton(tr("conflicts.keep_fields"))
        self.keep_fields.setObjectName("keepFields")
        self.keep_fields.setToolTip(tr("conflicts.keep_fields_tip"))
        self.keep_fields.clicked.connect(self._resolve_fields)
        self.export_button = QPushButton(tr("conflicts.export"))
        self.keep_app.clicked.connect(lambda: self._resolve("app"))
        self.keep_pos.clicked.connect(lambda: self._resolve("pos"))
        self.skip.clicked.connect(lambda: self._resolve("skip"))
        self.export_button.clicked.connect(self._export)
        for button in (self.keep_app, self.keep_pos, self.keep_fields, self.skip):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        layout.addLayout(buttons)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self._update_state()

    def _selection_changed(self) -> None:
        self._show_detail()
        self._update_state()

    def set_profile(self, profile_id: int | None) -> None:
        self.model.profile_id = profile_id
        self.refresh()

    def refresh(self) -> None:
        self.model.reload()
        if self.model.rowCount():
            self.table.selectRow(0)
        self._show_detail()
        self._update_state()

    def _update_state(self) -> None:
        """Buttons follow what is on screen: nothing selected offers nothing; "field by field"
        needs exactly one conflict with differing fields shown below (walk finding 7)."""
        has = self.model.rowCount() > 0
        self.empty.setVisible(not has)
        self.header.setVisible(has)
        self.table.setVisible(has)
        self.detail.setVisible(has)
        self.export_button.setEnabled(has)
        selected = [self.model.line(row) for row in self._selected_rows()] if has else []
        for button in (self.keep_app, self.keep_pos, self.skip):
            button.setEnabled(bool(selected))
        self.keep_fields.setEnabled(len(selected) == 1 and bool(self.field_choices))
        locked = [line for line in selected if pos_side_locked(line.rule)]
        if locked:
            # SAPO-09/KVF-10: the POS does not take an App change to a synced order; keeping
            # the App's version only settles the App and the POS stays as it is.
            self.keep_app.setText(tr("conflicts.keep_app_locked"))
            self.keep_app.setToolTip(tr("conflicts.keep_app_locked_tip", rule=locked[0].rule))
        else:
            self.keep_app.setText(tr("conflicts.keep_app"))
            self.keep_app.setToolTip("")

    def _selected_rows(self) -> list[int]:
        return sorted({index.row() for index in self.table.selectionModel().selectedRows()})

    def selected_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.line(row).id for row in rows]

    def _show_detail(self) -> None:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        while self.rule_note_holder.count():
            item = self.rule_note_holder.takeAt(0)
            if item.widget() is not None:
                item.widget().setParent(None)
        if not rows:
            self.detail.setRowCount(0)
            self.field_choices = {}
            return
        line = self.model.line(rows[0])
        fields = compare_paths(line.app_data, line.pos_data, line.entity)
        self.detail.setRowCount(len(fields))
        self.field_choices = {}
        for row, (path, name, app_value, pos_value, differs) in enumerate(fields):
            if differs and len(rows) == 1:
                # A per-field choice applies to one conflict only: with several selected
                # the detail shows the first, without choices.
                self._add_choice(row, path)
            for column, value in enumerate((name, app_value, pos_value)):
                item = QTableWidgetItem(value)
                if differs:
                    item.setBackground(QBrush(DIFF))
                    if column == 0:
                        font = item.font()
                        font.setBold(True)
                        item.setFont(font)
                self.detail.setItem(row, column, item)
        if line.rule:
            self.rule_note_holder.addWidget(caveat_note(line.rule))

    def _add_choice(self, row: int, path: str) -> None:
        choice = QComboBox()
        choice.setObjectName(f"keep_{path}")
        choice.addItem(tr("conflicts.app"), "app")
        choice.addItem(tr("conflicts.pos"), "pos")
        self.field_choices[path] = choice
        self.detail.setCellWidget(row, 3, choice)

    def choose(self, path: str, side: str) -> None:
        """Pick the side kept for one field (also what the keyboard user does in the combo)."""
        box = self.field_choices[path]
        box.setCurrentIndex(box.findData(side))

    def _resolve_fields(self) -> None:
        ids = self.selected_ids()
        if len(ids) != 1:
            self.message.emit(tr("conflicts.one_for_fields"))
            return
        pos_paths = [path for path, box in self.field_choices.items()
                     if box.currentData() == "pos"]
        if len(pos_paths) == len(self.field_choices):
            self.resolve_requested.emit(ids, "pos")
        elif not pos_paths:
            self.resolve_requested.emit(ids, "app")
        else:
            self.resolve_fields_requested.emit(ids[0], pos_paths)

    def differing_fields(self) -> list[str]:
        return [self.detail.item(r, 0).text() for r in range(self.detail.rowCount())
                if self.detail.item(r, 0).font().bold()]

    def _resolve(self, keep: str) -> None:
        ids = self.selected_ids()
        if ids:
            self.resolve_requested.emit(ids, keep)

    def _export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("conflicts.export"), "xung-dot.xlsx",
                                              "Excel (*.xlsx);;CSV (*.csv)")
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> int:
        """CSV or .xlsx by the file's suffix, through the one formula-safe table writer."""
        from app.tables import columns, write_table
        lines = self.model.lines()
        rows = ({"id": line.id, "entity": line.entity, "app_id": line.app_id,
                 "pos_id": line.pos_id, "name": line.name, "rule": line.rule, "field": name,
                 "app_value": app_value, "pos_value": pos_value}
                for line in lines
                for name, app_value, pos_value, differs in compare(line.app_data, line.pos_data,
                                                                           line.entity)
                if differs)
        write_table(path, columns("id", "entity", "app_id", "pos_id", "name", "rule", "field",
                                  "app_value", "pos_value"), rows, sheet="Xung đột")
        self.message.emit(tr("results.exported", n=len(lines), path=str(path)))
        return len(lines)
