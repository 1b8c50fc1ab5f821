"""A read-only value with a copy button (Redirect/Webhook URLs the user pastes elsewhere)."""
from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget


class CopyField(QWidget):
    def __init__(self, value: str, button_text: str, parent=None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(value)
        self.edit.setReadOnly(True)
        self.button = QPushButton(button_text)
        self.button.clicked.connect(self.copy)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)

    def value(self) -> str:
        return self.edit.text()

    def set_value(self, value: str) -> None:
        self.edit.setText(value)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.edit.text())
