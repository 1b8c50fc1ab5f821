"""The main window: navigation on the left (Connections · Sync · Results · Conflicts · App data ·
Settings), a connection picker and notice banner on top. It wires pages to the controllers;
pages only show and ask."""
from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QListWidget, QMainWindow, QMenu,
                               QMessageBox, QStackedWidget, QSystemTrayIcon, QVBoxLayout,
                               QWidget)

from app.store import models as m
from ui.controllers.notices import (Notice, repeated_failure_notice, run_notice, token_notice)
from ui.controllers.schedule import AutoSync
from ui.controllers.sync_controller import RunRequest, SyncController
from ui.i18n import pick, tr
from ui.pages.app_data_page import AppDataPage
from ui.pages.conflicts_page import ConflictsPage
from ui.pages.connections_page import ConnectionsPage
from ui.pages.results_page import ResultsPage
from ui.pages.settings_page import SettingsPage
from ui.pages.sync_page import SyncPage
from ui.widgets.banner import Banner
from ui.wizard.setup_wizard import SetupWizard
from ui.wizard.state import WizardState

CONNECTIONS, SYNC, RESULTS, CONFLICTS, APP_DATA, SETTINGS = range(6)
NAV_KEYS = ("nav.connections", "nav.sync", "nav.results", "nav.conflicts", "nav.appdata",
            "nav.settings")


class MainWindow(QMainWindow):
    language_change_requested = Signal(str)

    def __init__(self, services, icon: QIcon | None = None, parent=None) -> None:
        super().__init__(parent)
        self.services = services
        self.icon = icon or QIcon()
        self.setWindowTitle(tr("app.title"))
        self.setWindowIcon(self.icon)
        self.resize(1180, 760)
        self.controller = SyncController(services, self)
        self.autosync = AutoSync(services.list_profiles, self.controller.is_running, parent=self)
        self.profile = None
        self.wizard: SetupWizard | None = None
        self._closing = False
        self._run_profile: str = ""
        self.last_notice: Notice | None = None
        # Replaceable in tests: asks a yes/no question.
        self.ask = self._ask_with_box
        self.tell = self._tell_with_box

        central = QWidget()
        outer = QVBoxLayout(central)
        top = QHBoxLayout()
        picker_label = QLabel(tr("main.profile"))
        self.profile_picker = QComboBox()
        self.profile_picker.setObjectName("profilePicker")
        self.profile_picker.setMinimumWidth(280)
        picker_label.setBuddy(self.profile_picker)
        self.profile_picker.activated.connect(
            lambda _i: self.select_profile(self.profile_picker.currentData()))
        top.addWidget(picker_label)
        top.addWidget(self.profile_picker)
        top.addStretch(1)
        outer.addLayout(top)
        self.banner = Banner(tr("banner.dismiss"))
        self.banner.setObjectName("banner")
        outer.addWidget(self.banner)
        body = QHBoxLayout()
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(170)
        for key in NAV_KEYS:
            self.nav.addItem(tr(key))
        self.stack = QStackedWidget()
        self.connections_page = ConnectionsPage(services)
        self.sync_page = SyncPage(services)
        self.results_page = ResultsPage()
        self.conflicts_page = ConflictsPage()
        self.app_data_page = AppDataPage(services)
        self.settings_page = SettingsPage(services)
        for page in (self.connections_page, self.sync_page, self.results_page,
                     self.conflicts_page, self.app_data_page, self.settings_page):
            self.stack.addWidget(page)
        self.nav.currentRowChanged.connect(self._navigate)
        body.addWidget(self.nav)
        body.addWidget(self.stack, 1)
        outer.addLayout(body, 1)
        self.setCentralWidget(central)
        self.status_label = QLabel("")
        self.statusBar().addWidget(self.status_label, 1)

        self._wire()
        self._shortcuts()
        self.tray = self._make_tray()
        # The schedule first: the Sync page asks it for the next run while the profiles load,
        # and a scheduled connection would otherwise read "Automatic sync: off" at start.
        self.autosync.start()
        self.refresh_profiles()
        self.nav.setCurrentRow(SYNC if self.profile else CONNECTIONS)
        self.check_tokens()

    # -- wiring ---------------------------------------------------------------------------------
    def _wire(self) -> None:
        c = self.controller
        c.run_started.connect(self._on_run_started)
        c.progress.connect(self.sync_page.show_progress)
        c.run_finished.connect(self._on_run_finished)
        c.crashed.connect(self._on_crashed)
        c.busy_changed.connect(self._on_busy)
        self.autosync.due.connect(lambda profile: self.start_run(RunRequest(profile)))
        cp = self.connections_page
        cp.add_requested.connect(lambda: self.open_wizard())
        cp.edit_requested.connect(self.edit_profile)
        cp.remove_requested.connect(self.remove_profile)
        cp.selected.connect(self.select_profile)
        sp = self.sync_page
        sp.sync_requested.connect(self._sync_requested)
        sp.cancel_requested.connect(self.controller.cancel)
        sp.retry_requested.connect(self.retry_last_failed)
        sp.undo_requested.connect(self.undo_last_run)
        sp.restore_requested.connect(self.restore_undone)
        self.results_page.retry_requested.connect(self._retry_rows)
        self.results_page.delete_in_app_requested.connect(self._delete_rows)
        self.results_page.message.connect(self.show_message)
        self.conflicts_page.resolve_requested.connect(self.resolve_conflicts)
        self.conflicts_page.message.connect(self.show_message)
        self.app_data_page.push_requested.connect(self.push_products)
        self.app_data_page.message.connect(self.show_message)
        self.settings_page.language_changed.connect(self.language_change_requested)
        self.settings_page.schedule_changed.connect(self._schedule_changed)
        self.settings_page.message.connect(self.show_message)

    def _shortcuts(self) -> None:
        QShortcut(QKeySequence("Ctrl+R"), self, activated=lambda: self._sync_requested(None, False))
        QShortcut(QKeySequence(Qt.Key.Key_F5), self, activated=self.refresh_current)
        for row in range(len(NAV_KEYS)):
            QShortcut(QKeySequence(f"Ctrl+{row + 1}"), self,
                      activated=lambda r=row: self.nav.setCurrentRow(r))

    def _make_tray(self):
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        tray = QSystemTrayIcon(self.icon, self)
        menu = QMenu(self)
        show = QAction(tr("tray.show"), self)
        show.triggered.connect(self.showNormal)
        quit_action = QAction(tr("tray.quit"), self)
        quit_action.triggered.connect(self.close)
        menu.addAction(show)
        menu.addAction(quit_action)
        tray.setContextMenu(menu)
        tray.setToolTip(tr("app.title"))
        tray.show()
        return tray

    # -- profiles -------------------------------------------------------------------------------
    def refresh_profiles(self, select: str = "") -> None:
        profiles = self.services.list_profiles()
        wanted = select or (self.profile.name if self.profile else "")
        self.profile_picker.clear()
        for profile in profiles:
            self.profile_picker.addItem(profile.name, profile.name)
        if profiles:
            names = [p.name for p in profiles]
            self.select_profile(wanted if wanted in names else names[0])
        else:
            self.select_profile("")
        self.connections_page.refresh(self.profile.name if self.profile else "")

    def select_profile(self, name: str) -> None:
        profile = None
        if name:
            try:
                profile = self.services.get_profile(name)
            except Exception:  # noqa: BLE001 - removed meanwhile
                profile = None
        self.profile = profile
        index = self.profile_picker.findData(name)
        if index >= 0:
            self.profile_picker.setCurrentIndex(index)
        profile_id = profile.id if profile else None
        self.sync_page.set_profile(profile)
        self.sync_page.set_busy(self.controller.is_running())
        self.results_page.set_profile(profile_id)
        self.conflicts_page.set_profile(profile_id)
        self.app_data_page.set_profile(profile)
        self.settings_page.set_profile(profile)
        self._update_conflict_count()
        self._show_runs()

    def _show_runs(self) -> None:
        if self.profile is None:
            return
        last = (m.Run.select().where((m.Run.profile == self.profile.id) & (m.Run.kind == "sync")
                                     & (m.Run.dry_run == False))  # noqa: E712
                .order_by(m.Run.id.desc()).first())
        first_run = last is None or last.status != "done"
        self.sync_page.show_runs(last, self.autosync.next_run(self.profile.name), first_run)

    def _update_conflict_count(self) -> None:
        count = 0
        if self.profile is not None:
            count = m.Conflict.select().where((m.Conflict.profile == self.profile.id)
                                              & (m.Conflict.status == "open")).count()
        label = tr("nav.conflicts") + (f" ({count})" if count else "")
        self.nav.item(CONFLICTS).setText(label)

    def open_wizard(self, state: WizardState | None = None) -> SetupWizard:
        wizard = SetupWizard(self.services, state, self)
        wizard.profile_saved.connect(self._profile_saved)
        self.wizard = wizard
        wizard.open()
        return wizard

    def edit_profile(self, name: str) -> SetupWizard:
        return self.open_wizard(self.services.edit_state(self.services.get_profile(name)))

    def _profile_saved(self, profile, start_first_sync: bool) -> None:
        self.autosync.reschedule_all()
        self.refresh_profiles(profile.name)
        if start_first_sync:
            self.nav.setCurrentRow(SYNC)
            self.start_run(RunRequest(self.services.get_profile(profile.name)))

    def remove_profile(self, name: str) -> bool:
        if self.controller.is_running():
            self.show_message(tr("sync.busy"))
            return False
        if not self.ask(tr("conn.remove_confirm", name=name)):
            return False
        self.services.remove_profile(name)
        self.profile = None
        self.refresh_profiles()
        return True

    def _schedule_changed(self, minutes: int) -> None:
        if self.profile is None:
            return
        from app.store.profiles import update_profile
        update_profile(self.profile.name, schedule_minutes=minutes)
        self.autosync.next_runs.pop(self.profile.name, None)
        self.autosync.reschedule_all()
        self.refresh_profiles(self.profile.name)

    # -- runs -----------------------------------------------------------------------------------
    def start_run(self, request: RunRequest) -> bool:
        if not self.controller.start(request):
            self.show_message(tr("sync.busy"))
            return False
        self._run_profile = request.profile.name
        return True

    def _sync_requested(self, entities, dry_run: bool) -> None:
        if self.profile is not None:
            self.start_run(RunRequest(self.profile, "sync",
                                      tuple(entities) if entities else None, dry_run,
                                      scan_deletions=True))

    def push_products(self, app_ids: list) -> None:
        if self.profile is not None and app_ids:
            self.start_run(RunRequest(self.profile, "push", app_ids=tuple(app_ids)))

    def retry_last_failed(self) -> None:
        if self.profile is None:
            return
        last = (m.Run.select().join(m.ItemResult)
                .where((m.Run.profile == self.profile.id) & (m.ItemResult.outcome == "failed"))
                .order_by(m.Run.id.desc()).first())
        if last is not None:
            self.start_run(RunRequest(self.profile, "retry", run_id=last.id))

    def _retry_rows(self, rows: list) -> None:
        if self.profile is not None and rows:
            self.start_run(RunRequest(self.profile, "retry", run_id=rows[0].run_id))

    def _delete_rows(self, rows: list) -> None:
        if self.profile is None or not rows:
            return
        by_entity: dict[str, list[str]] = {}
        for row in rows:
            by_entity.setdefault(row.entity, []).append(row.app_id)
        entity, ids = next(iter(by_entity.items()))
        self.start_run(RunRequest(self.profile, "delete", app_ids=tuple(ids), entity=entity))

    def resolve_conflicts(self, ids: list, keep: str) -> None:
        if self.profile is not None and ids:
            self.start_run(RunRequest(self.profile, "resolve", conflict_ids=tuple(ids), keep=keep))

    def undo_last_run(self) -> None:
        """B-02: the confirm shows per entity what will change; a refused undo (nothing
        changed, already undone, a first pull) is explained and nothing starts."""
        if self.profile is None:
            return
        from ui.widgets.undo_confirm import undo_question
        text, allowed, _ = undo_question(self.profile)
        if not allowed:
            self.show_message(text)
            self.tell(text)
        elif self.ask(text):
            self.start_run(RunRequest(self.profile, "undo"))

    def restore_undone(self) -> None:
        """Bring back what the last undo removed (B-02)."""
        if self.profile is None:
            return
        from ui.widgets.undo_confirm import restore_question
        text, allowed = restore_question(self.profile)
        if not allowed:
            self.show_message(text)
            self.tell(text)
        elif self.ask(text):
            self.start_run(RunRequest(self.profile, "restore"))

    def _on_busy(self, busy: bool) -> None:
        self.sync_page.set_busy(busy)
        if not busy:
            self.autosync.ran(self._run_profile)
            self.refresh_after_run()
            if self._closing:
                self.close()

    def _on_run_started(self, event) -> None:
        self.status_label.setText(tr("sync.running_nototal", entity=", ".join(
            event.entities) or event.kind, direction="", done=0))

    def _on_run_finished(self, event) -> None:
        counts = event.counts or {}
        by_action = counts.get("by_action") or {}
        summary = tr("sync.counts", ok=counts.get("ok", 0), failed=counts.get("failed", 0),
                     conflict=by_action.get("conflict", 0), skipped=counts.get("skipped", 0))
        if event.status == "cancelled":
            text = tr("sync.cancelled")
        elif event.status == "done":
            text = tr("sync.finished", summary=summary)
        else:
            text = tr("sync.finished_failed", message=pick(event.message_vi, event.message_en))
        self.sync_page.show_finished(text)
        self.status_label.setText(text)
        if event.status != "cancelled":
            self.notify(run_notice(self._run_profile, event))
        self.notify(self._failure_streak(self._run_profile))

    def _failure_streak(self, profile_name: str) -> Notice | None:
        try:
            profile = self.services.get_profile(profile_name)
        except Exception:  # noqa: BLE001
            return None
        runs = (m.Run.select(m.Run.status, m.Run.error)
                .where((m.Run.profile == profile.id) & (m.Run.dry_run == False))  # noqa: E712
                .order_by(m.Run.id.desc()).limit(10))
        statuses = []
        for run in runs:
            vi, _, en = (run.error or "").partition("\n")
            statuses.append((run.status, vi, en or vi))
        return repeated_failure_notice(profile_name, statuses)

    def _on_crashed(self, exc) -> None:
        vi = getattr(exc, "message_vi", "") or ""
        en = getattr(exc, "message_en", "") or ""
        text = pick(vi, en) if (vi or en) else tr("wizard.test.unexpected")
        self.sync_page.show_finished(tr("sync.finished_failed", message=text))
        self.notify(Notice(f"run:{self._run_profile}", "error", tr("notify.failed"), text))

    def refresh_after_run(self) -> None:
        if self.profile is None:
            return
        self.results_page.refresh()
        self.conflicts_page.refresh()
        self.app_data_page.refresh()
        self.connections_page.refresh(self.profile.name)
        self._update_conflict_count()
        self._show_runs()

    def refresh_current(self) -> None:
        page = self.stack.currentWidget()
        refresh = getattr(page, "refresh", None)
        if page is self.connections_page:
            self.connections_page.refresh(self.profile.name if self.profile else "")
        elif callable(refresh):
            refresh()

    def _navigate(self, row: int) -> None:
        self.stack.setCurrentIndex(row)
        if row in (RESULTS, CONFLICTS, APP_DATA):
            self.refresh_current()

    # -- notices (B-05) -------------------------------------------------------------------------
    def notify(self, notice: Notice | None) -> None:
        if notice is None:
            return
        self.last_notice = notice
        self.banner.show_notice(notice.key, f"{notice.title}: {notice.text}", notice.level)
        if self.tray is not None and self.tray.supportsMessages():
            icon = {"error": QSystemTrayIcon.MessageIcon.Critical,
                    "warning": QSystemTrayIcon.MessageIcon.Warning}.get(
                notice.level, QSystemTrayIcon.MessageIcon.Information)
            self.tray.showMessage(notice.title, notice.text, icon, 8000)

    def check_tokens(self, now: datetime | None = None) -> None:
        now = now or datetime.now(timezone.utc)
        for profile in self.services.list_profiles():
            self.notify(token_notice(profile, now))

    def show_message(self, text: str) -> None:
        self.status_label.setText(text)
        self.statusBar().showMessage(text, 10000)

    # -- closing --------------------------------------------------------------------------------
    def _tell_with_box(self, text: str) -> None:
        QMessageBox.information(self, tr("app.title"), text)

    def _ask_with_box(self, text: str) -> bool:
        answer = QMessageBox.question(self, tr("app.title"), text)
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event) -> None:
        if self.controller.is_running():
            if not self._closing and not self.ask(tr("close.running")):
                event.ignore()
                return
            # Cancel and close once the worker has stopped between two items (COM-09).
            self._closing = True
            self.controller.cancel()
            event.ignore()
            return
        self.autosync.stop()
        if self.tray is not None:
            self.tray.hide()
        super().closeEvent(event)
