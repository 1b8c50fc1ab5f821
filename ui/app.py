"""Start the desktop app: language, database, keyring, main window, first-start wizard.

`run_app(paths)` is what `shopsync gui` calls. The Qt event loop runs under qasync so short
async work can be scheduled on the main thread; long work (sync runs, connection tests) runs in
worker threads (ui/controllers) and never blocks the window.
"""
from __future__ import annotations

import asyncio
import logging
import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QMessageBox

from app.caveats import resources_dir
from app.config import Paths
from ui.i18n import install_qt_translator, pick, set_language, tr
from ui.settings import UiSettings

log = logging.getLogger(__name__)


def app_icon() -> QIcon:
    path = resources_dir() / "icons" / "shopsync.png"
    if path.is_file():
        return QIcon(str(path))
    return QIcon(draw_icon(256))


def draw_icon(size: int) -> QPixmap:
    """The app mark: two arrows in a rounded square (also used to write the icon file)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor("#1565c0"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(0, 0, size, size, size * 0.2, size * 0.2)
    painter.setPen(QColor("white"))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(size * 0.55))
    painter.setFont(font)
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, "⇄")
    painter.end()
    return pixmap


def apply_style(qt_app: QApplication) -> None:
    path = resources_dir() / "styles" / "shopsync.qss"
    if path.is_file():
        qt_app.setStyleSheet(path.read_text(encoding="utf-8"))


def _error_box(title: str, text: str) -> None:
    QMessageBox.critical(None, title, text)


def open_services(paths: Paths, ask=None, log_handle=None):
    """Database, keyring and services; returns None (after telling the user) if one of them
    cannot be used. `ask(text) -> bool` answers the insecure-keyring question."""
    from app.secrets import (InsecureKeyring, NoKeyringStore, SecretsUnavailable, SecretStore,
                             accept_insecure_keyring)
    from app.store.connection import open_store, restore_backup
    from app.store.errors import DamagedDatabase, StoreError, storage_problem
    from ui.controllers.shop import ShopServices

    try:
        db = open_store(paths)
    except DamagedDatabase as exc:
        explanation = pick(exc.message_vi, exc.message_en)
        question = pick("Khôi phục bản sao lưu này ngay bây giờ?", "Restore this backup now?")
        if exc.backup is None or ask is None or not ask(f"{explanation}\n\n{question}"):
            _error_box(tr("common.error_title"), explanation)
            return None
        restore_backup(paths, exc.backup)
        db = open_store(paths)
    except (StoreError, OSError) as exc:
        # A read-only or full data folder, another process holding the data: the folder and
        # the problem in words, not a traceback (issue 18.6).
        problem = storage_problem(exc, paths.home) or exc
        _error_box(tr("common.error_title"),
                   pick(getattr(problem, "message_vi", str(problem)),
                        getattr(problem, "message_en", str(problem))))
        return None
    try:
        secrets = SecretStore.for_home(paths)
    except InsecureKeyring as exc:
        explanation = pick(exc.message_vi, exc.message_en)
        if exc.can_accept and ask is not None and ask(
                f"{explanation}\n\n{tr('keyring.accept_question')}"):
            accept_insecure_keyring(paths)
            secrets = SecretStore.for_home(paths)
        else:
            # No keyring (or an unsafe one refused): the window still opens and the sample
            # shop works; saving a real connection says what is missing (issue 20 point 1).
            secrets = NoKeyringStore(exc)
    except SecretsUnavailable as exc:
        _error_box(tr("common.error_title"), pick(getattr(exc, "message_vi", str(exc)),
                                                   getattr(exc, "message_en", str(exc))))
        return None
    _mask_known_secrets(log_handle, secrets) if log_handle is not None else None
    return ShopServices(paths, db, secrets)


def _mask_known_secrets(log_handle, secrets) -> None:
    """Teach the log's mask every saved secret, so none reaches the log file (COM-07)."""
    from app.store.profiles import list_profiles
    for profile in list_profiles():
        for name in profile.secret_names:
            try:
                log_handle.add(secrets.get(profile.name, name))
            except Exception:  # noqa: BLE001 - a keyring hiccup must not stop the app
                continue


class DesktopApp:
    """Owns the window across language changes (the window is rebuilt in the new language)."""

    def __init__(self, qt_app: QApplication, paths: Paths, services) -> None:
        self.qt_app, self.paths, self.services = qt_app, paths, services
        self.settings = UiSettings(paths)
        self.translators = []
        self.window = None
        self.icon = app_icon()
        qt_app.setWindowIcon(self.icon)
        apply_style(qt_app)
        self.apply_language(self.settings.language)

    def apply_language(self, lang: str) -> None:
        set_language(lang)
        for translator in self.translators:
            self.qt_app.removeTranslator(translator)
        self.translators = install_qt_translator(self.qt_app, lang)

    def show(self):
        from ui.main_window import MainWindow
        window = MainWindow(self.services, self.icon)
        window.language_change_requested.connect(self.change_language)
        self.window = window
        window.show()
        if not self.services.list_profiles():
            window.open_wizard()             # first start: the wizard, sample shop offered
        return window

    def change_language(self, lang: str) -> None:
        """B-04: save, then rebuild the window so every string is in the new language."""
        old = self.window
        if old is not None and old.controller.is_running():
            old.show_message(tr("sync.busy"))
            return
        self.settings.language = lang
        self.apply_language(lang)
        geometry = old.saveGeometry() if old is not None else None
        self.show()
        if geometry is not None:
            self.window.restoreGeometry(geometry)
        if old is not None:
            # Stay on the connection and the page the owner was on (Settings), not jump to
            # the first connection's Sync page.
            if old.profile is not None:
                self.window.select_profile(old.profile.name)
            self.window.nav.setCurrentRow(old.nav.currentRow())
        if old is not None:
            old.autosync.stop()
            old.hide()
            old.deleteLater()


def run_app(paths: Paths) -> int:
    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    qt_app.setApplicationName("ShopSync")
    qt_app.setOrganizationName("ShopSync")
    set_language(UiSettings(paths).language)

    def ask(text: str) -> bool:
        return QMessageBox.question(None, tr("app.title"), text) == QMessageBox.StandardButton.Yes

    from app.logs import setup_logging
    from connectors.http import Redactor
    log_handle = setup_logging(paths, Redactor())
    services = open_services(paths, ask, log_handle)
    if services is None:
        return 1
    desktop = DesktopApp(qt_app, paths, services)
    desktop.show()
    try:
        import qasync
    except ImportError:  # still a working app, only without main-thread coroutines
        return qt_app.exec()
    loop = qasync.QEventLoop(qt_app)
    asyncio.set_event_loop(loop)
    closed = asyncio.Event()
    qt_app.aboutToQuit.connect(closed.set)
    qt_app.setQuitOnLastWindowClosed(True)
    with loop:
        loop.run_until_complete(closed.wait())
    services.db.close()
    return 0


def gui_main(home: str | None = None) -> int:
    """The desktop app (the `shopsync-gui` script, and `shopsync` with no command)."""
    from app.config import get_paths
    return int(run_app(get_paths(home)) or 0)
