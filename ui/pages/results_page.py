"""Per-item results (COM-06): filters, search, retry failed items, CSV export (B-03), and the
one-click "delete in App" for items deleted on the POS (COM-01)."""
from __future__ import annotations

from pathlib import Path

from contract.rules import RuleId

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout,
                               QCheckBox, QHeaderView, QLabel, QLineEdit, QPushButton, QTableView,
                               QVBoxLayout, QWidget)

from app.store import models as m
from ui.i18n import (ACTION_NAMES, DIRECTION_ARROWS, ENTITY_NAMES, OUTCOME_NAMES, action_name,
                     direction_arrow, entity_name, outcome_name, tr)
from ui.models.lazy_query import SqlSortProxy
from ui.controllers.background import BackgroundJobs
from ui.models.results_model import ResultsModel
from ui.widgets.sort_arrow import ReadableSortArrows


def run_kind_name(kind: str) -> str:
    """'#6 xử lý xung đột' / '#6 resolve conflicts': one name per run kind, as the Overview
    and the undo text name it, never the stored value."""
    from ui.i18n import TEXTS
    return tr(f"home.kind.{kind}") if f"home.kind.{kind}" in TEXTS else kind


class ResultsPage(QWidget):
    retry_requested = Signal(list)              # [ResultRow] failed rows to retry
    delete_in_app_requested = Signal(list)      # [ResultRow] deleted_on_pos rows
    message = Signal(str)
    export_finished = Signal(int)               # rows written by export_later; -1 = failed
    _export_progress = Signal(int)              # rows so far, from the export's thread

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.model = ResultsModel(self)
        self.proxy = SqlSortProxy(self)
        self.proxy.setSourceModel(self.model)
        layout = QVBoxLayout(self)
        filters = QHBoxLayout()
        self.run_filter = self._combo("runFilter")
        self.entity_filter = self._combo("entityFilter")
        self.action_filter = self._combo("actionFilter")
        self.outcome_filter = self._combo("outcomeFilter")
        self.rule_filter = self._combo("ruleFilter")
        for label, combo in ((tr("results.filter.run"), self.run_filter),
                             (tr("results.filter.entity"), self.entity_filter),
                             (tr("results.filter.action"), self.action_filter),
                             (tr("results.filter.outcome"), self.outcome_filter),
                             (tr("results.filter.rule"), self.rule_filter)):
            caption = QLabel(label)
            caption.setBuddy(combo)
            filters.addWidget(caption)
            filters.addWidget(combo, 1)
        self.search = QLineEdit()
        self.search.setObjectName("resultsSearch")
        self.search.setPlaceholderText(tr("results.search"))
        self.search.setClearButtonEnabled(True)
        # The search gets its own line: five filters and a search did not fit a 1366×768
        # screen at 150 %.
        layout.addLayout(filters)
        layout.addWidget(self.search)
        self.table = QTableView()
        self.table.setObjectName("resultsTable")
        self.table.setModel(self.proxy)
        # Newest first, as the model reads them: the indicator says so (▼ on "Lần chạy").
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        # setStyle does not take ownership: the header owns it, so it outlives no widget
        # and is not freed while the header still draws with it.
        self._arrows = ReadableSortArrows()
        self._arrows.setParent(self.table.horizontalHeader())
        self.table.horizontalHeader().setStyle(self._arrows)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        self._fit_columns()
        layout.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        self.count = QLabel("")
        # Counted off the window's thread: a search over 100,000 results takes ~65 ms.
        self.model.counted.connect(lambda n: self.count.setText(tr("results.count", shown=n)))
        self.count.setObjectName("resultsCount")
        self.retry_button = QPushButton(tr("results.retry"))
        self.delete_button = QPushButton(tr("results.delete_in_app"))
        self.export_button = QPushButton(tr("results.export"))
        self.retry_button.clicked.connect(self._retry)
        self.delete_button.clicked.connect(self._delete_in_app)
        self.export_button.clicked.connect(self._export)
        self._export_jobs = BackgroundJobs(self)
        self._export_path: Path | None = None
        self._export_progress.connect(self._show_export_progress)
        bottom.addWidget(self.count, 1)
        self.ids_box = QCheckBox(tr("results.show_ids"))
        self.ids_box.setObjectName("resultsShowIds")
        self.ids_box.toggled.connect(self._show_ids)
        bottom.addWidget(self.ids_box)
        for button in (self.retry_button, self.delete_button, self.export_button):
            bottom.addWidget(button)
        layout.addLayout(bottom)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self._apply_filters)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        for combo in (self.run_filter, self.entity_filter, self.action_filter,
                      self.outcome_filter, self.rule_filter):
            combo.activated.connect(lambda _i: self._apply_filters())
        self.profile_id = None

    @staticmethod
    def _combo(name: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        # As wide as its text when there is room, narrower (text elided, full in the list)
        # on a small screen at 150 % rather than pushing the window wider than the screen.
        combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(3)
        return combo

    def _fill(self, combo: QComboBox, items: list[tuple[str, object]]) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(tr("common.all"), None)
        for label, value in items:
            combo.addItem(label, value)
        index = combo.findData(current)
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)

    def _fit_columns(self) -> None:
        """Columns of known words are as wide as their longest word in this language and font
        ("Danh mục sản phẩm" was cut at 1366 px); the message column takes what is left."""
        metrics = self.table.fontMetrics()
        pad = 28

        def widest(*texts: str) -> int:
            return max(metrics.horizontalAdvance(text) for text in texts) + pad
        header_texts = [self.model.headerData(c, Qt.Orientation.Horizontal)
                        for c in range(self.model.columnCount())]
        widths = {
            0: widest(header_texts[0], "99999"),
            1: widest(header_texts[1], *(entity_name(key) for key in ENTITY_NAMES)),
            2: widest(header_texts[2], *(direction_arrow(key) for key in DIRECTION_ARROWS)),
            3: 130, 4: widest(header_texts[4], "C000000"), 5: widest(header_texts[5], "1000000000"),
            6: widest(header_texts[6], action_name("deleted_on_pos")),
            7: widest(header_texts[7], *(outcome_name(key) for key in OUTCOME_NAMES)),
            8: widest(header_texts[8], *(rule.value for rule in RuleId)), 9: 360,
            10: widest(header_texts[10], "00/00/0000 00:00"),
        }
        for column, width in widths.items():
            if column < self.model.columnCount():
                self.table.setColumnWidth(column, width)
        # The message takes what the other columns leave, so the rule and the message are on
        # screen at 1280 px without scrolling sideways (walk finding 15); the full sentence is
        # in the tooltip and the export.
        if 9 < self.model.columnCount():
            self.table.horizontalHeader().setSectionResizeMode(9, QHeaderView.ResizeMode.Stretch)
        self._show_ids(self.ids_box.isChecked() if hasattr(self, "ids_box") else False)

    def _show_ids(self, shown: bool) -> None:
        """App and POS ids are for support, not for reading results: hidden unless asked for
        (the search still finds them), so the rule and the message fit at 1280 px."""
        for column in (4, 5):
            if column < self.model.columnCount():
                self.table.setColumnHidden(column, not shown)

    def set_profile(self, profile_id: int | None) -> None:
        self.profile_id = profile_id
        self.refresh()

    def refresh(self) -> None:
        runs = []
        if self.profile_id is not None:
            runs = list(m.Run.select(m.Run.id, m.Run.kind, m.Run.dry_run)
                        .where(m.Run.profile == self.profile_id)
                        .order_by(m.Run.id.desc()).limit(200))
        self._fill(self.run_filter, [(f"#{r.id} {run_kind_name(r.kind)}"
                                      + (f" ({tr('results.dry_run')})" if r.dry_run else ""),
                                      r.id) for r in runs])
        self._fill(self.entity_filter, [(entity_name(e), e) for e in self.model.distinct("entity")])
        self._fill(self.action_filter, [(action_name(a), a) for a in ACTION_NAMES])
        self._fill(self.outcome_filter, [(outcome_name(o), o) for o in OUTCOME_NAMES])
        self._fill(self.rule_filter, [(r, r) for r in self.model.distinct("rule")])
        self._apply_filters()

    def _apply_filters(self) -> None:
        self.model.set_filter(
            profile_id=self.profile_id if self.profile_id is not None else -1,
            run_id=self.run_filter.currentData(), entity=self.entity_filter.currentData() or "",
            action=self.action_filter.currentData() or "",
            outcome=self.outcome_filter.currentData() or "",
            rule=self.rule_filter.currentData() or "", search=self.search.text().strip())
        self.model.count_later()

    def show_run(self, run_id: int) -> None:
        self.refresh()
        index = self.run_filter.findData(run_id)
        if index >= 0:
            self.run_filter.setCurrentIndex(index)
            self._apply_filters()

    def selected_rows(self) -> list:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        return [self.proxy.row_object(row) for row in sorted(rows)]

    def _retry(self) -> None:
        failed = [row for row in self.selected_rows() if row.outcome == "failed"]
        if failed:
            self.retry_requested.emit(failed)

    def _delete_in_app(self) -> None:
        gone = [row for row in self.selected_rows() if row.action == "deleted_on_pos"]
        if gone:
            self.delete_in_app_requested.emit(gone)

    def _export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("results.export"),
                                              "ket-qua-dong-bo.xlsx",
                                              "Excel (*.xlsx);;CSV (*.csv)")
        if path:
            self.export_later(Path(path))

    def export_to(self, path: Path) -> int:
        """Export on the calling thread (scripts, tests); the button uses `export_later`."""
        count = self.model.export_csv(path)
        self.message.emit(tr("results.exported", n=count, path=str(path)))
        return count

    def export_later(self, path: Path) -> None:
        """Export off the window's thread (ui/controllers/background.py): a 100,000-row run
        takes seconds to write, and the window keeps answering meanwhile. A message says it
        started, how far it got, and that it is done (or what to do if it failed); the button
        waits for the export to end."""
        model = self.model

        async def job() -> int:
            return model.export_csv(path, progress=self._export_progress.emit)

        self._export_path = path
        self.export_button.setEnabled(False)
        self.message.emit(tr("results.exporting", path=str(path)))
        self._export_jobs.start(job, lambda count: self._export_done(path, count),
                                lambda exc: self._export_failed(path, exc))

    def finish_export(self, msecs: int = 600_000) -> None:
        """Wait for an export still writing (the window is closing)."""
        self._export_jobs.wait_all(msecs)

    def _show_export_progress(self, rows: int) -> None:
        self.message.emit(tr("results.export_progress", n=f"{rows:,}".replace(",", "."),
                             path=str(self._export_path)))

    def _export_done(self, path: Path, count: int) -> None:
        self.export_button.setEnabled(True)
        self.message.emit(tr("results.exported", n=count, path=str(path)))
        self.export_finished.emit(count)

    def _export_failed(self, path: Path, exc: BaseException) -> None:
        self.export_button.setEnabled(True)
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        self.message.emit(tr("results.export_failed", path=str(path), reason=reason))
        self.export_finished.emit(-1)
