"""Automatic sync every N minutes, or off (COM-10)."""
from __future__ import annotations

from PySide6.QtWidgets import (QButtonGroup, QHBoxLayout, QLabel, QRadioButton, QSpinBox,
                               QVBoxLayout, QWizardPage)

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
        self.every = QRadioButton(tr("wizard.schedule.every"))
        self.every.setObjectName("scheduleEvery")
        group = QButtonGroup(self)
        group.addButton(self.off)
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
        layout.addLayout(row)
        layout.addWidget(caveat_note("COM-10"))
        layout.addStretch(1)
        self.every.toggled.connect(self.minutes.setEnabled)
        self.every.setChecked(True)

    def initializePage(self) -> None:
        if self.state.schedule_minutes > 0:
            self.every.setChecked(True)
            self.minutes.setValue(self.state.schedule_minutes)

    def validatePage(self) -> bool:
        self.state.schedule_minutes = self.minutes.value() if self.every.isChecked() else 0
        return True
