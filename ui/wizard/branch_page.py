"""Branch / depot picker filled from the connection test (KVF-14: the central branch)."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QVBoxLayout, QWizardPage

from ui.i18n import tr


class BranchPage(QWizardPage):
    def __init__(self, state, services=None, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.services = services
        self.setTitle(tr("wizard.branch.title"))
        self.setSubTitle(tr("wizard.branch.sub"))
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.combo = QComboBox()
        self.combo.setObjectName("branch")
        label = QLabel(tr("wizard.branch.label"))
        label.setBuddy(self.combo)
        form.addRow(label, self.combo)
        layout.addLayout(form)
        self.empty = QLabel(tr("wizard.branch.none"))
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)
        layout.addStretch(1)

    def initializePage(self) -> None:
        # The central-branch advice (KVF-14) is KiotViet's: a Sapo or Nhanh owner was left
        # wondering what KiotViet had to do with their shop. The platform says if it has one.
        advice = bool(self.services and self.services.branch_rule(self.state.platform_key))
        self.setSubTitle(tr("wizard.branch.sub_kiotviet" if advice else "wizard.branch.sub"))
        self.combo.clear()
        branches = self.state.info.branches if self.state.info else ()
        for branch in branches:
            text = branch.name + (f" — {branch.address}" if branch.address else "")
            self.combo.addItem(text, branch.key)
        self.combo.setVisible(bool(branches))
        self.empty.setVisible(not branches)
        if self.state.branch_key:
            index = self.combo.findData(self.state.branch_key)
            if index >= 0:
                self.combo.setCurrentIndex(index)

    def validatePage(self) -> bool:
        self.state.branch_key = str(self.combo.currentData() or "")
        return True
