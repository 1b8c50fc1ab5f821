"""The main window: navigation on the left (Overview · Connections · Sync · Results · Conflicts ·
App data · Settings), a connection picker and notice banner on top. It wires pages to the
controllers; pages only show and ask. The Overview page and the banner both come from the
connection's health (app/health.py): one notice per subject, naming its connection."""
from __future__ import annotations

import json
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QListWidget, QMainWindow, QMenu,
                               QMessageBox, QStackedWidget, QSystemTrayIcon, QVBoxLayout,
                               QWidget)

from app.health import Reason, connection_health
from app.store import models as m
from app.store import queries
from app.sync.conflicts import blend
from contract.records import Entity, from_plain, to_plain
from ui.controllers.notices import Notice
from ui.controllers.schedule import AutoSync
from ui.controllers.sync_controller import RunRequest, SyncController
from ui.i18n import pick, tr
from ui.pages.app_data_page import AppDataPage
from ui.pages.home_page import HomePage, health_notices
from ui.pages.conflicts_page import ConflictsPage
from ui.pages.connections_page import ConnectionsPage
from ui.pages.results_page import ResultsPage
from ui.pages.settings_page import SettingsPage
from ui.pages.sync_page import SyncPage
from ui.run_words import finished_text, started_text
from ui.widgets.banner import Banner
from ui.widgets.icons import icon as ui_icon
from ui.wizard.setup_wizard import SetupWizard
from ui.wizard.state import WizardState

HOME, CONNECTIONS, SYNC, RESULTS, CONFLICTS, APP_DATA, SETTINGS = range(7)
NAV_KEYS = ("nav.home", "nav.connections", "nav.sync", "nav.results", "nav.conflicts",
            "nav.appdata", "nav.settings")
NAV_ICONS = ("home", "connections", "sync", "results", "conflicts", "appdata", "settings")


class MainWindow(QMainWindow):
    language_change_requested = Signal(str)

    def __init__(self, services, icon: QIcon | None = None, parent=None) -> None:
        super().__init__(parent)
        self.services = services
        self.icon = icon or QIcon()
        self.setWindowTitle(tr("app.title"))
        self.setWindowIcon(self.icon)
        self.resize(1280, 740)
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
        self.nav.setFixedWidth(190)
        for key, icon_name in zip(NAV_KEYS, NAV_ICONS):
            self.nav.addItem(tr(key))
            self.nav.item(self.nav.count() - 1).setIcon(ui_icon(icon_name))
        self.stack = QStackedWidget()
        self.home_page = HomePage()
        self.connections_page = ConnectionsPage(services)
        self.sync_page = SyncPage(services)
        self.results_page = ResultsPage()
        self.conflicts_page = ConflictsPage()
        self.app_data_page = AppDataPage(services)
        self.settings_page = SettingsPage(services)
        for page in (self.home_page, self.connections_page, self.sync_page, self.results_page,
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
        self.nav.setCurrentRow(HOME if self.profile else CONNECTIONS)
        self.check_tokens()

    # -- wiring ---------------------------------------------------------------------------------
    def _wire(self) -> None:
        c = self.controller
        c.run_started.connect(self._on_run_started)
        c.progress.connect(self._on_progress)
        c.run_finished.connect(self._on_run_finished)
        c.crashed.connect(self._on_crashed)
        c.busy_elsewhere.connect(self._on_busy_elsewhere)
        c.busy_changed.connect(self._on_busy)
        self.autosync.due.connect(lambda profile: self.start_run(RunRequest(profile)))
        self.home_page.action_requested.connect(self._do_health_action)
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
        self.conflicts_page.resolve_fields_requested.connect(self.resolve_conflict_fields)
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
        # Ctrl+Q quits (through close(): a running sync is asked about first). The tray menu
        # shows the shortcut next to "Thoát".
        self.quit_action = QAction(tr("tray.quit"), self)
        self.quit_action.setObjectName("quitAction")
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.quit_action.triggered.connect(self.close)
        self.addAction(self.quit_action)

    def _make_tray(self):
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        tray = QSystemTrayIcon(self.icon, self)
        menu = QMenu(self)
        show = QAction(tr("tray.show"), self)
        show.triggered.connect(self.showNormal)
        menu.addAction(show)
        menu.addAction(self.quit_action)
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
            self.home_page.show_health(None, None)
            return
        # Every kind of run: after a push the page shows the push, not the sync before it.
        last = (m.Run.select().where((m.Run.profile == self.profile.id)
                                     & (m.Run.dry_run == False))  # noqa: E712
                .order_by(m.Run.id.desc()).first())
        first_run = not (m.Run.select().where((m.Run.profile == self.profile.id)
                                              & (m.Run.kind == "sync")
                                              & (m.Run.status == "done")).exists())
        next_run = self.autosync.next_run(self.profile.name)
        self.sync_page.show_runs(last, next_run, first_run)
        self.home_page.show_health(self.health(self.profile), next_run)
        self._mute_banner()

    def _mute_banner(self) -> None:
        """On a connection's Overview its notices are the card itself: not said twice."""
        on_home = self.nav.currentRow() == HOME and self.profile is not None
        self.banner.mute(f":{self.profile.name}" if on_home else "")

    def health(self, profile):
        platform = self.services.platform(profile.platform)
        enabled = self.services.enabled_entities(profile)
        return connection_health(profile, platform, set(enabled) if enabled is not None else None)

    def _update_conflict_count(self) -> None:
        count = 0
        if self.profile is not None:
            count = queries.open_conflict_count(self.profile.id)
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
        run_id = queries.last_run_with_failures(self.profile.id)
        if run_id is not None:
            self.start_run(RunRequest(self.profile, "retry", run_id=run_id))

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

    def _do_health_action(self, reason: str) -> None:
        """The one thing to do on the Overview page."""
        if self.profile is None:
            return
        reason = Reason(reason)
        if reason in (Reason.TOKEN_EXPIRED, Reason.TOKEN_EXPIRING, Reason.RUN_FAILED,
                      Reason.REPEATED_FAILURES):
            self.edit_profile(self.profile.name)
        elif reason is Reason.CONFLICTS:
            self.nav.setCurrentRow(CONFLICTS)
        elif reason is Reason.FAILED_ITEMS:
            self.retry_last_failed()
        else:
            self.nav.setCurrentRow(SYNC)
            self._sync_requested(None, False)

    def resolve_conflict_fields(self, conflict_id: int, pos_paths: list) -> None:
        """Keep the POS's value for `pos_paths` and the App's for the rest: the App record
        becomes that mix (as if the owner edited it), then "keep App" sends it to the POS
        where the entity pushes and closes the conflict (COM-04)."""
        if self.profile is None or self.controller.is_running():
            self.show_message(tr("sync.busy"))
            return
        conflict = m.Conflict.get_by_id(conflict_id)
        entity = Entity(conflict.entity)
        catalog = self.services.catalog()
        current = catalog.get(entity, conflict.app_id)
        if current is None:
            return
        pos_plain = json.loads(conflict.pos_data or "null") or {}
        mixed = from_plain(entity, blend(to_plain(current), pos_plain, list(pos_paths)))
        catalog.put(entity, mixed, origin=catalog.origin(entity, conflict.app_id) or "app")
        self.resolve_conflicts([conflict_id], "app")

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
        self.banner.clear_notice(f"crash:{event.profile}")
        self.sync_page.show_started(event)
        self.status_label.setText(started_text(event, self.sync_page.platform))

    def _on_progress(self, event) -> None:
        self.sync_page.show_progress(event)
        # The status bar repeats the run's one live line for the owner on another page.
        self.status_label.setText(self.sync_page.status.text())

    def _on_run_finished(self, event) -> None:
        self.sync_page.show_finished(event)
        # Said once where the owner looks: on the Sync page its own line says it, elsewhere
        # the status bar does.
        on_sync = self.nav.currentRow() == SYNC
        self.status_label.setText("" if on_sync else
                                  finished_text(event, getattr(self.sync_page, "run_kind", "")))

    def _on_crashed(self, exc) -> None:
        vi = getattr(exc, "message_vi", "") or ""
        en = getattr(exc, "message_en", "") or ""
        text = pick(vi, en) if (vi or en) else tr("wizard.test.unexpected")
        self.sync_page.show_finished(text)
        self.status_label.setText(text)
        # Not a subject of the connection's health (no run row may exist): its own notice,
        # gone when the next run of that connection starts.
        name = self._run_profile or (self.profile.name if self.profile else "")
        self.notify(Notice(f"crash:{name}", "error", name, text))

    def _on_busy_elsewhere(self, busy) -> None:
        """COM-09: a scheduled `shopsync sync` (or another window) is running this connection."""
        text = pick(busy.message_vi, busy.message_en)
        self.sync_page.show_finished(text)
        self.notify(Notice(f"busy:{busy.profile}", "warning", pick(busy.title_vi, busy.title_en),
                           text))

    def refresh_after_run(self) -> None:
        if self._run_profile:
            self.update_notices(self._run_profile)
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
        self._mute_banner()
        # A message belongs to the page it was said on ("Đã xuất 3 dòng…" under Settings was
        # stale news); a running sync's live line stays.
        if not self.controller.is_running():
            self.status_label.setText("")
            self.statusBar().clearMessage()
        if row in (RESULTS, CONFLICTS, APP_DATA):
            self.refresh_current()

    # -- notices (B-05) -------------------------------------------------------------------------
    def notify(self, notice: Notice | None, tray: bool = True) -> None:
        if notice is None:
            return
        self.last_notice = notice
        self.banner.show_notice(notice.key, f"{notice.title}: {notice.text}", notice.level)
        if tray and self.tray is not None and self.tray.supportsMessages():
            icon_kind = {"error": QSystemTrayIcon.MessageIcon.Critical,
                         "warning": QSystemTrayIcon.MessageIcon.Warning}.get(
                notice.level, QSystemTrayIcon.MessageIcon.Information)
            self.tray.showMessage(notice.title, notice.text, icon_kind, 8000)

    def update_notices(self, profile_name: str) -> None:
        """The banner follows the connection's health: one notice per subject and connection,
        replaced when its text changes, gone when the subject is resolved."""
        try:
            profile = self.services.get_profile(profile_name)
        except Exception:  # noqa: BLE001 - removed meanwhile: its notices go
            profile = None
        wanted = health_notices(self.health(profile)) if profile is not None else {}
        shown = self.banner.notices()
        for key in [k for k in shown if k.endswith(f":{profile_name}") and k not in wanted
                    and not k.startswith("crash:")]:
            self.banner.clear_notice(key)
        for key, notice in wanted.items():
            text = f"{notice.title}: {notice.text}"
            if shown.get(key) != text:
                self.notify(notice, tray=key not in shown)

    def check_tokens(self, now: datetime | None = None) -> None:
        """Every connection's notices at start (token expiry, failures, conflicts): `now` is
        kept for callers; the health reads the clock itself."""
        for profile in self.services.list_profiles():
            self.update_notices(profile.name)

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
        if self.app_data_page.importing():
            # A file import is one transaction in a background job: close when it has ended
            # (written whole or not at all), never with its thread still running.
            if not getattr(self, "_close_after_import", False):
                self._close_after_import = True
                self.app_data_page.import_finished.connect(lambda *_: self.close())
            event.ignore()
            return
        self.autosync.stop()
        if self.tray is not None:
            self.tray.hide()
        # A results export still writing ends its file first (a half-written file is worse
        # than a close that waits a few seconds; its thread must not outlive the window).
        self.results_page.finish_export()
        super().closeEvent(event)
