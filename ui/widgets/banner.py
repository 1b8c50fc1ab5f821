"""An in-window strip of notices (token expiry, failures, conflicts) the user can dismiss."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.widgets.icons import pixmap


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
        row.setObjectName(f"banner_{level}")     # coloured by the style sheet, by level
        layout = QHBoxLayout(row)
        layout.setContentsMargins(8, 4, 4, 4)
        mark = QLabel()
        mark.setObjectName("noticeIcon")
        mark.setPixmap(pixmap({"error": "broken", "warning": "attention"}.get(level, "info"), 18))
        layout.addWidget(mark, 0, Qt.AlignmentFlag.AlignTop)
        label = QLabel(text)
        label.setObjectName("noticeText")
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        button = QPushButton(self._dismiss_text)
        button.setFlat(True)
        button.clicked.connect(lambda: self.clear_notice(key, user=True))
        layout.addWidget(label, 1)
        layout.addWidget(button)
        self._rows[key] = row
        self._layout.addWidget(row)
        self.mute(getattr(self, "_muted", ""))

    def mute(self, suffix: str) -> None:
        """Hide (not drop) the notices whose key ends with `suffix`: the Overview page of that
        connection already says the same, in the same words."""
        self._muted = suffix
        for key, row in self._rows.items():
            row.setVisible(not (suffix and key.endswith(suffix)))
        self.setVisible(any(not row.isHidden() for row in self._rows.values()))

    def clear_notice(self, key: str, user: bool = False) -> None:
        row = self._rows.pop(key, None)
        if row is not None:
            row.setParent(None)
            row.deleteLater()
            if user:
                self.dismissed.emit(key)
        self.mute(getattr(self, "_muted", ""))

    def notices(self) -> dict[str, str]:
        return {key: row.findChild(QLabel, "noticeText").text()
                for key, row in self._rows.items()}
