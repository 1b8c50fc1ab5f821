"""Summary, then Finish saves the profile (secrets to the keyring) and starts the first sync."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWizardPage

from ui.i18n import entity_name, pick, tr
from ui.wizard.caveat_notes import caveat_note


class FinishPage(QWizardPage):
    def __init__(self, state, services, parent=None) -> None:
        super().__init__(parent)
        self.state, self.services = state, services
        self.setTitle(tr("wizard.finish.title"))
        self.setSubTitle(tr("wizard.finish.sub"))
        layout = QVBoxLayout(self)
        self.summary = QLabel("")
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.start_now = QCheckBox(tr("wizard.finish.start_now"))
        self.start_now.setObjectName("startNow")
        self.start_now.setChecked(True)
        layout.addWidget(self.start_now)
        # Shown only for a platform that names this caveat (KiotViet's long first sync).
        self.first_sync_note = caveat_note("KVF-15")
        layout.addWidget(self.first_sync_note)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #c62828;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def initializePage(self) -> None:
        platform = self.services.platform(self.state.platform_key)
        # The note is KiotViet's rule: show it when the platform's own rules are of its family.
        named = {*platform.caveats, *(r for c in platform.entities.values() for r in c.caveats),
                 *(r for f in platform.credential_fields for r in f.caveats),
                 *(r for o in platform.options for r in o.caveats)}
        self.first_sync_note.setVisible(any(r.startswith("KVF-") for r in named))
        schedule = (tr("schedule.every", n=self.state.schedule_minutes)
                    if self.state.schedule_minutes else tr("schedule.off"))
        lines = [f"<b>{tr('wizard.finish.summary')}</b>",
                 f"{tr('conn.col.name')}: {self.state.profile_name}",
                 f"{tr('conn.col.platform')}: {pick(platform.name_vi, platform.name_en)}",
                 f"{tr('nav.sync')}: " + ", ".join(entity_name(e) for e in self.state.entities),
                 f"{tr('conn.col.schedule')}: {schedule}"]
        if self.state.info is not None:
            lines.insert(1, tr("wizard.test.ok", shop=self.state.info.shop_name))
        self.summary.setText("<br>".join(lines))
        self.error.setText("")

    def validatePage(self) -> bool:
        self.state.start_first_sync = self.start_now.isChecked()
        return True
