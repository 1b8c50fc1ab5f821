"""First page: connect a real POS, or explore with a sample shop (B-01)."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QRadioButton, QVBoxLayout, QWizardPage

from ui.i18n import tr


class WelcomePage(QWizardPage):
    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.setTitle(tr("wizard.welcome.title"))
        self.setSubTitle(tr("wizard.welcome.sub"))
        layout = QVBoxLayout(self)
        self.real = QRadioButton(tr("wizard.welcome.real"))
        self.sample = QRadioButton(tr("wizard.welcome.sample"))
        self.real.setChecked(True)
        help_label = QLabel(tr("wizard.welcome.sample_help"))
        help_label.setWordWrap(True)
        help_label.setIndent(24)
        layout.addWidget(self.real)
        layout.addSpacing(8)
        layout.addWidget(self.sample)
        layout.addWidget(help_label)
        layout.addStretch(1)

    def validatePage(self) -> bool:
        self.state.sample = self.sample.isChecked()
        return True
