"""Automatic sync every N minutes, or off (COM-10)."""
from __future__ import annotations

from PySide6.QtWidgets import (QButtonGroup, QHBoxLayout, QLabel, QRadioButton, QSpinBox,
                               QVBoxLayout, QWizardPage)

from app.sync.schedule import REALTIME_MINUTES
from ui.i18n import tr
from ui.wizard.caveat_notes import caveat_note


class SchedulePage(QWizardPage):
    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.setTitle(tr("wizard.schedule.title"))
        self.setSubTitle(tr("wizard.schedule.sub"))
        layout = QVBoxLayout(self)
        self.off = QRadioButton(tr("wizard.schedule.off"))
        self.off.setObjectName("scheduleOff")
        # COM-10 "real-time if the customer needs it": a run every minute, which costs a few
        # requests when nothing changed (docs/performance.md: under 5 % of each POS's budget).
        self.realtime = QRadioButton(tr("wizard.schedule.realtime"))
        self.realtime.setObjectName("scheduleRealtime")
        self.realtime.setToolTip(tr("wizard.schedule.realtime_tip"))
        self.every = QRadioButton(tr("wizard.schedule.every"))
        self.every.setObjectName("scheduleEvery")
        group = QButtonGroup(self)
        group.addButton(self.off)
        group.addButton(self.realtime)
        group.addButton(self.every)
        self.minutes = QSpinBox()
        self.minutes.setObjectName("scheduleMinutes")
        self.minutes.setRange(1, 1440)
        self.minutes.setValue(15)
        row = QHBoxLayout()
        row.addWidget(self.every)
        row.addWidget(self.minutes)
        row.addWidget(QLabel(tr("wizard.schedule.minutes")))
        row.addStretch(1)
        layout.addWidget(self.off)
        layout.addWidget(self.realtime)
        layout.addLayout(row)
        layout.addWidget(caveat_note("COM-10"))
        layout.addStretch(1)
        self.every.toggled.connect(self.minutes.setEnabled)
        self.every.setChecked(True)

    def initializePage(self) -> None:
        if self.state.schedule_minutes == REALTIME_MINUTES:
            self.realtime.setChecked(True)
        elif self.state.schedule_minutes > 0:
            self.every.setChecked(True)
            self.minutes.setValue(self.state.schedule_minutes)

    def validatePage(self) -> bool:
        if self.realtime.isChecked():
            self.state.schedule_minutes = REALTIME_MINUTES
        else:
            self.state.schedule_minutes = self.minutes.value() if self.every.isChecked() else 0
        return True
