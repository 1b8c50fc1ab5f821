"""An in-window strip of notices (token expiry, failures, conflicts) the user can dismiss."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

_COLOURS = {"info": "#e8f1fb", "warning": "#fff4d6", "error": "#fde2e1"}


class Banner(QWidget):
    """Holds at most one notice per key, so a repeated warning replaces rather than piles up."""

    dismissed = Signal(str)

    def __init__(self, dismiss_text: str, parent=None) -> None:
        super().__init__(parent)
        self._dismiss_text = dismiss_text
        self._rows: dict[str, QFrame] = {}
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self.setVisible(False)

    def show_notice(self, key: str, text: str, level: str = "info") -> None:
        self.clear_notice(key)
        row = QFrame()
        row.setObjectName(f"banner_{level}")
        row.setStyleSheet(f"QFrame#banner_{level} {{ background: {_COLOURS.get(level, '#eee')};"
                          " border-radius: 4px; }")
        layout = QHBoxLayout(row)
        layout.setContentsMargins(8, 4, 4, 4)
        label = QLabel(text)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        button = QPushButton(self._dismiss_text)
        button.setFlat(True)
        button.clicked.connect(lambda: self.clear_notice(key, user=True))
        layout.addWidget(label, 1)
        layout.addWidget(button)
        self._rows[key] = row
        self._layout.addWidget(row)
        self.setVisible(True)

    def clear_notice(self, key: str, user: bool = False) -> None:
        row = self._rows.pop(key, None)
        if row is not None:
            row.setParent(None)
            row.deleteLater()
            if user:
                self.dismissed.emit(key)
        self.setVisible(bool(self._rows))

    def notices(self) -> dict[str, str]:
        return {key: row.findChild(QLabel).text() for key, row in self._rows.items()}
