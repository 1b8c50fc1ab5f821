"""A boxed note explaining a rule, shown next to the field or toggle it concerns."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout


class CaveatNote(QFrame):
    """Title in bold, text wrapped, the rule ID in the tooltip: support staff quote the ID,
    owners read the text. Knows nothing of where the text comes from."""

    def __init__(self, rule: str, title: str, text: str, *, warning: bool = False,
                 parent=None) -> None:
        super().__init__(parent)
        self.rule = rule
        self.setObjectName("caveatNoteWarning" if warning else "caveatNote")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(0)
        # The rule ID is for support staff: in the tooltip, not in the owner's reading line.
        self.title_label = QLabel(f"<b>{'⚠' if warning else 'ℹ'} {title}</b>")
        self.setToolTip(rule)
        self.title_label.setTextFormat(Qt.TextFormat.RichText)
        self.title_label.setWordWrap(True)
        self.text_label = QLabel(text)
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title_label)
        layout.addWidget(self.text_label)

    def text(self) -> str:
        return self.text_label.text()
