"""Dry run before anything is written (COM-03): counts per entity and action."""
from __future__ import annotations

import copy

from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWizardPage)

from ui.i18n import ACTION_NAMES, action_name, entity_name, tr
from ui.wizard.caveat_notes import caveat_note
from ui.wizard.connection_test import error_text


class PreviewPage(QWizardPage):
    def __init__(self, state, services, jobs, parent=None) -> None:
        super().__init__(parent)
        self.state, self.services, self.jobs = state, services, jobs
        self.setTitle(tr("wizard.preview.title"))
        self.setSubTitle(tr("wizard.preview.sub"))
        layout = QVBoxLayout(self)
        self.button = QPushButton(tr("wizard.preview.button"))
        self.button.setObjectName("runPreview")
        self.button.clicked.connect(self.start)
        row = QHBoxLayout()
        row.addWidget(self.button)
        self.status = QLabel(tr("wizard.preview.skip_hint"))
        self.status.setObjectName("previewStatus")
        self.status.setWordWrap(True)
        row.addWidget(self.status, 1)
        layout.addLayout(row)
        self.table = QTableWidget(0, 0)
        self.table.setObjectName("previewTable")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table, 1)
        layout.addWidget(caveat_note("COM-03"))
        self.running = False

    def start(self) -> None:
        if self.running:
            return
        self.running = True
        self.button.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText(tr("wizard.preview.running"))
        snapshot = copy.deepcopy(self.state)
        self.jobs.start(lambda: self.services.preview(snapshot), self._done, self._failed)

    def _done(self, counts: dict) -> None:
        self.running = False
        self.button.setEnabled(True)
        self.state.preview_counts = counts
        self.show_counts(counts)
        total = sum(sum(by_action.values()) for by_action in counts.values())
        self.status.setText(tr("wizard.preview.done", n=total))

    def _failed(self, exc: BaseException) -> None:
        self.running = False
        self.button.setEnabled(True)
        self.status.setStyleSheet("color: #c62828;")
        self.status.setText(error_text(exc))

    def show_counts(self, counts: dict) -> None:
        actions = [a for a in ACTION_NAMES if any(a in c for c in counts.values())]
        self.table.clear()
        self.table.setColumnCount(len(actions))
        self.table.setRowCount(len(counts))
        self.table.setHorizontalHeaderLabels([action_name(a) for a in actions])
        self.table.setVerticalHeaderLabels([entity_name(e) for e in counts])
        for row, (entity, by_action) in enumerate(counts.items()):
            for column, action in enumerate(actions):
                item = QTableWidgetItem(str(by_action.get(action, 0)))
                self.table.setItem(row, column, item)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
