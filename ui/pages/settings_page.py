"""Language (B-04), the current connection's schedule (COM-10), keyring backend, data folder
and the support bundle (B-03)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from ui.i18n import LANGUAGES, language, pick, tr



# Keyring backends by a piece of their id, in the words of the owner's own system.
_KEYRING_NAMES = (
    ("winvault", ("Windows Credential Manager", "Windows Credential Manager")),
    ("windows", ("Windows Credential Manager", "Windows Credential Manager")),
    ("macos", ("macOS Keychain", "macOS Keychain")),
    ("keychain", ("macOS Keychain", "macOS Keychain")),
    ("secretservice", ("Secret Service (Linux)", "Secret Service (Linux)")),
    ("kwallet", ("KWallet", "KWallet")),
    ("memory", ("Trong bộ nhớ (chỉ để thử)", "In memory (testing only)")),
    # keyring's "fail" backend, or ShopSync's stand-in when the system has none (issue 20.1)
    ("fail", ("Chưa có kho khoá (cửa hàng mẫu vẫn dùng được)",
              "No keyring (the sample shop still works)")),
    ("nokeyring", ("Chưa có kho khoá (cửa hàng mẫu vẫn dùng được)",
                   "No keyring (the sample shop still works)")),
)


def keyring_name(backend: str) -> str:
    lowered = backend.lower()
    for piece, names in _KEYRING_NAMES:
        if piece in lowered:
            return pick(*names)
    # Never a Python class path where an owner looks: the kind of store, in words.
    return pick("Kho khoá của hệ thống", "System keyring")


class SettingsPage(QWidget):
    language_changed = Signal(str)
    schedule_changed = Signal(int)
    message = Signal(str)

    def __init__(self, services, parent=None) -> None:
        super().__init__(parent)
        self.services = services
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.language = QComboBox()
        self.language.setObjectName("language")
        for code, name in LANGUAGES:
            self.language.addItem(name, code)
        self.language.setCurrentIndex(self.language.findData(language()))
        self.language.activated.connect(
            lambda _i: self.language_changed.emit(self.language.currentData()))
        language_label = QLabel(tr("settings.language"))
        language_label.setBuddy(self.language)
        note = QLabel(tr("settings.language_note"))
        note.setStyleSheet("color: #666;")
        form.addRow(language_label, self.language)
        form.addRow("", note)
        self.schedule = QSpinBox()
        self.schedule.setObjectName("schedule")
        self.schedule.setRange(0, 1440)
        self.schedule.setSpecialValueText(tr("schedule.off"))
        self.schedule.setSuffix(" " + tr("wizard.schedule.minutes"))
        self.schedule.editingFinished.connect(
            lambda: self.schedule_changed.emit(self.schedule.value()))
        schedule_label = QLabel(tr("settings.schedule"))
        schedule_label.setBuddy(self.schedule)
        form.addRow(schedule_label, self.schedule)
        self.keyring = QLabel("")
        self.keyring.setText(self._keyring_text())
        self.keyring.setObjectName("keyringBackend")
        # One line: wrapped inside the form row its second line was cut off.
        self.keyring.setWordWrap(False)
        form.addRow(tr("settings.keyring"), self.keyring)
        folder = QHBoxLayout()
        self.folder = QLabel(str(services.paths.home))
        self.folder.setObjectName("dataFolder")
        self.folder.setWordWrap(True)
        open_button = QPushButton(tr("settings.open_folder"))
        open_button.clicked.connect(lambda: QDesktopServices.openUrl(
            QUrl.fromLocalFile(str(services.paths.home))))
        folder.addWidget(self.folder, 1)
        folder.addWidget(open_button)
        form.addRow(tr("settings.data_folder"), folder)
        self.diagnostics = QPushButton(tr("settings.diagnostics"))
        self.diagnostics.setObjectName("diagnostics")
        self.diagnostics.clicked.connect(self._ask_diagnostics)
        diagnostics_row = QHBoxLayout()
        diagnostics_row.addWidget(self.diagnostics)
        diagnostics_row.addStretch(1)
        form.addRow("", diagnostics_row)
        form.addRow(tr("settings.version"), QLabel(_version()))
        holder = QWidget()
        holder.setLayout(form)
        holder.setMaximumWidth(820)
        layout.addWidget(holder)
        layout.addStretch(1)

    def _keyring_text(self) -> str:
        try:
            backend = self.services.secrets.backend_name()
        except Exception:  # noqa: BLE001 - a broken keyring is shown, not raised
            return tr("settings.keyring_unknown")
        # The owner read "keyring.backends.Windows.WinVaultKeyring"; support still gets the id.
        self.keyring.setToolTip(backend)
        return keyring_name(backend)

    def set_profile(self, profile) -> None:
        self.schedule.setEnabled(profile is not None)
        self.schedule.setValue(profile.schedule_minutes if profile else 0)

    def _ask_diagnostics(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("settings.diagnostics"),
                                              str(self.services.paths.exports /
                                                  "shopsync-chan-doan.zip"), "ZIP (*.zip)")
        if path:
            self.export_diagnostics(Path(path))

    def export_diagnostics(self, path: Path) -> bool:
        try:
            from app.diagnostics import export_diagnostics
        except ImportError:
            self.message.emit(tr("settings.diagnostics_missing"))
            return False
        try:
            export_diagnostics(self.services.paths, path, secret_store=self.services.secrets)
        except OSError as exc:
            # A read-only or vanished folder raised out of the button and nothing was shown.
            self.message.emit(tr("settings.diagnostics_failed", path=str(path),
                                 reason=exc.strerror or type(exc).__name__))
            return False
        self.message.emit(tr("settings.diagnostics_done", path=str(path)))
        return True


def _version() -> str:
    from app import __version__  # also right in the frozen build (no package metadata there)
    return __version__
