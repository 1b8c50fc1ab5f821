"""The connection wizard: one page per step; Back works everywhere because pages only read and
write a shared `WizardState`, and nothing is saved before Finish."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWizard

from ui.controllers.background import BackgroundJobs
from ui.i18n import tr
from ui.wizard.branch_page import BranchPage
from ui.wizard.connection_page import ConnectionPage
from ui.wizard.connection_test import error_text
from ui.wizard.finish_page import FinishPage
from ui.wizard.nhanh_login_page import NhanhLoginPage
from ui.wizard.options_page import OptionsPage
from ui.wizard.platform_page import PlatformPage
from ui.wizard.preview_page import PreviewPage
from ui.wizard.schedule_page import SchedulePage
from ui.wizard.state import WizardState
from ui.wizard.welcome_page import WelcomePage

WELCOME, PLATFORM, CONNECTION, NHANH_LOGIN, BRANCH, OPTIONS, SCHEDULE, PREVIEW, FINISH = range(9)


class SetupWizard(QWizard):
    """Emits `profile_saved(profile, start_first_sync)` after Finish saved the connection."""

    profile_saved = Signal(object, bool)

    def __init__(self, services, state: WizardState | None = None, parent=None) -> None:
        super().__init__(parent)
        self.services = services
        self.state = state or WizardState()
        self.jobs = BackgroundJobs(self)
        self.saved_profile = None
        self.setWindowTitle(tr("wizard.title"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.HaveHelpButton, False)
        self.setMinimumSize(900, 640)
        self.pages = {
            WELCOME: WelcomePage(self.state),
            PLATFORM: PlatformPage(self.state, services),
            CONNECTION: ConnectionPage(self.state, services, self.jobs),
            NHANH_LOGIN: NhanhLoginPage(self.state, services, self.jobs),
            BRANCH: BranchPage(self.state, services),
            OPTIONS: OptionsPage(self.state, services),
            SCHEDULE: SchedulePage(self.state),
            PREVIEW: PreviewPage(self.state, services, self.jobs),
            FINISH: FinishPage(self.state, services),
        }
        for page_id, page in self.pages.items():
            self.setPage(page_id, page)
        self.setStartId(PLATFORM if self.state.editing else WELCOME)

    def nextId(self) -> int:
        current = self.currentId()
        if current == WELCOME:
            return PLATFORM
        if current == PLATFORM:
            return CONNECTION
        if current == CONNECTION:
            platform = self.services.platform(self.state.platform_key
                                              or self.pages[PLATFORM].selected_key())
            return NHANH_LOGIN if self.services.uses_browser_login(platform) else BRANCH
        if current == NHANH_LOGIN:
            return BRANCH
        if current in (BRANCH, OPTIONS, SCHEDULE, PREVIEW):
            return current + 1
        return -1

    def accept(self) -> None:
        try:
            profile = self.services.save(self.state)
        except Exception as exc:  # noqa: BLE001 - shown to the user, wizard stays open
            message = tr("wizard.save_failed", message=error_text(exc))
            self.pages[FINISH].error.setText(message)
            return
        self.saved_profile = profile
        self.profile_saved.emit(profile, self.state.start_first_sync)
        super().accept()

    def reject(self) -> None:
        self.jobs.wait_all(2000)
        super().reject()

    def closeEvent(self, event) -> None:
        self.jobs.wait_all(2000)
        super().closeEvent(event)
