"""Pick the POS; each choice says what it syncs (from Platform.entities), v2 warns (NH-12)."""
from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (QButtonGroup, QFrame, QLabel, QRadioButton, QScrollArea,
                               QVBoxLayout, QWidget, QWizardPage)

from contract.records import SYNC_ORDER
from contract.connector import Direction, Platform
from ui.i18n import direction_arrow, entity_name, tr
from ui.platform_names import platform_label
from ui.wizard.caveat_notes import caveat_note


def supports_text(platform: Platform) -> str:
    parts = []
    for entity in SYNC_ORDER:
        cap = platform.entities.get(entity)
        if cap is None or cap.direction is Direction.NONE:
            continue
        parts.append(f"{entity_name(entity.value)} ({direction_arrow(cap.direction.value)})")
    return ", ".join(parts)


class PlatformPage(QWizardPage):
    def __init__(self, state, services, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.services = services
        self.setTitle(tr("wizard.platform.title"))
        self.setSubTitle(tr("wizard.platform.sub"))
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        inner = QWidget()
        column = QVBoxLayout(inner)
        for index, platform in enumerate(services.platforms()):
            # "&" in "food & beverage" is a letter here, not a keyboard mnemonic.
            name = platform_label(platform).replace("&", "&&")
            button = QRadioButton(name)
            button.setObjectName(f"platform_{platform.key}")
            self.group.addButton(button, index)
            self.buttons[platform.key] = button
            column.addWidget(button)
            details = QLabel(f"{tr('wizard.platform.supports')} {supports_text(platform)}")
            details.setWordWrap(True)
            details.setIndent(24)
            details.setStyleSheet("color: #555;")
            column.addWidget(details)
            if platform.deprecated:
                for rule in platform.caveats:
                    if rule == "NH-12":
                        note = caveat_note(rule)
                        note.setContentsMargins(24, 0, 0, 0)
                        column.addWidget(note)
            line = QFrame()
            line.setFrameShape(QFrame.Shape.HLine)
            line.setStyleSheet("color: #ddd;")
            column.addWidget(line)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        self.group.buttonToggled.connect(lambda *_: self.completeChanged.emit())

    def initializePage(self) -> None:
        # Nothing is picked for the owner: Enter on this page must not choose Sapo by itself
        # (it used to, with the focus on Next). The focus sits on the list, so the arrow keys
        # move through the platforms at once.
        key = self.state.platform_key
        if key in self.buttons:
            self.buttons[key].setChecked(True)
        if self.state.editing:
            for button in self.buttons.values():
                button.setEnabled(False)
        target = self.group.checkedButton() or next(iter(self.buttons.values()), None)
        if target is not None and target.isEnabled():
            QTimer.singleShot(0, target, target.setFocus)

    def isComplete(self) -> bool:
        return self.group.checkedButton() is not None

    def selected_key(self) -> str:
        for key, button in self.buttons.items():
            if button.isChecked():
                return key
        return ""

    def select(self, key: str) -> None:
        self.buttons[key].setChecked(True)

    def validatePage(self) -> bool:
        key = self.selected_key()
        if key != self.state.platform_key:
            self.state.platform_key = key
            self.state.fields, self.state.secrets, self.state.info = {}, {}, None
            self.state.options, self.state.entities, self.state.branch_key = {}, [], ""
        return bool(key)
