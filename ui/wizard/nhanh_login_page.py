"""Nhanh.vn browser login (NH-01, NH-13): register the URLs, open the authorize page; when the
Redirect URL is this PC's own address the page catches the code itself (in a background job)
and tests the connection at once, otherwise — and always as the fallback — the owner pastes
back the redirected address or the access code, then it is exchanged for the token."""
from __future__ import annotations

import threading

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout, QWizardPage)

from ui.i18n import tr
from ui.widgets.copy_field import CopyField
from ui.wizard.caveat_notes import caveat_note
from ui.wizard.connection_test import ConnectionTestPanel, error_text


class NhanhLoginPage(QWizardPage):
    def __init__(self, state, services, jobs, parent=None) -> None:
        super().__init__(parent)
        self.state, self.services, self.jobs = state, services, jobs
        self.setTitle(tr("wizard.nhanh.title"))
        self.setSubTitle(tr("wizard.nhanh.sub"))
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.redirect = CopyField("", tr("common.copy"))
        self.redirect.setObjectName("redirectUrl")
        self.webhook = CopyField("", tr("common.copy"))
        self.webhook.setObjectName("webhookUrl")
        form.addRow(tr("wizard.nhanh.redirect"), self.redirect)
        form.addRow(tr("wizard.nhanh.webhook"), self.webhook)
        self.form = form
        layout.addLayout(form)
        self.url_note = QLabel("")
        self.url_note.setObjectName("urlNote")
        self.url_note.setWordWrap(True)
        self.url_note.setStyleSheet("color: #555;")
        layout.addWidget(self.url_note)
        self.open_button = QPushButton(tr("wizard.nhanh.open"))
        self.open_button.setObjectName("openLogin")
        self.open_button.clicked.connect(self.open_login)
        row = QHBoxLayout()
        row.addWidget(self.open_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.sample_label = QLabel(tr("wizard.nhanh.sample"))
        self.sample_label.setWordWrap(True)
        layout.addWidget(self.sample_label)
        paste_label = QLabel(tr("wizard.nhanh.paste_label"))
        paste_label.setWordWrap(True)
        layout.addWidget(paste_label)
        self.code_edit = QLineEdit()
        self.code_edit.setObjectName("accessCode")
        self.code_edit.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.code_edit.editingFinished.connect(self.read_code)
        paste = QPushButton(tr("wizard.nhanh.paste"))
        paste.setObjectName("pasteCode")
        paste.clicked.connect(self.paste_from_clipboard)
        code_row = QHBoxLayout()
        code_row.addWidget(self.code_edit, 1)
        code_row.addWidget(paste)
        layout.addLayout(code_row)
        self.code_status = QLabel("")
        self.code_status.setWordWrap(True)
        layout.addWidget(self.code_status)
        self.test_panel = ConnectionTestPanel(state, services, jobs, self.read_code)
        self.test_panel.tested.connect(self._tested)
        layout.addWidget(self.test_panel)
        layout.addWidget(caveat_note("NH-13"))
        layout.addStretch(1)
        self.authorize_url = ""
        self._stop_catching: threading.Event | None = None   # set while a catch runs

    def initializePage(self) -> None:
        urls = self.services.nhanh_urls(self.state)
        self.redirect.set_value(urls.get("redirect", ""))
        self.webhook.set_value(urls.get("webhook", ""))
        self.authorize_url = urls.get("authorize", "")
        self.url_note.setText(urls.get("note", ""))
        self.webhook.edit.setPlaceholderText("—")
        # ShopSync needs no webhooks (NH-01, the steps): no empty "—" field to wonder about.
        self.form.setRowVisible(self.webhook, bool(urls.get("webhook")))
        # The sample shop hands out its code here; the real consent page would not know it.
        self.open_button.setEnabled(bool(self.authorize_url) and not self.state.sample)
        self.sample_label.setVisible(self.state.sample)
        if self.state.sample and not self.code_edit.text():
            self.code_edit.setText(self.services.sample_access_code(self.state))
            self.read_code()

    def open_login(self) -> None:
        if not self.authorize_url:
            return
        if self._stop_catching is None and not self.state.sample and \
                self.services.catches_login(self.state):
            self._start_catching()
        QDesktopServices.openUrl(QUrl(self.authorize_url))

    def catching(self) -> bool:
        return self._stop_catching is not None

    def _start_catching(self) -> None:
        stop = threading.Event()
        self._stop_catching = stop
        state = self.state
        self.code_status.setStyleSheet("color: #555;")
        self.code_status.setText(tr("wizard.nhanh.waiting"))
        self.jobs.start(lambda: self.services.catch_login_code(state, stop),
                        lambda code: self._caught(stop, code),
                        lambda exc: self._catch_failed(stop, exc))

    def _caught(self, stop: threading.Event, code: str) -> None:
        if self._stop_catching is stop:
            self._stop_catching = None
        if not code or stop.is_set():
            return                                   # stopped: the owner left the page
        self.code_edit.setText(code)
        if self.read_code():
            self.code_status.setText(tr("wizard.nhanh.caught"))
            # The code lasts 10 minutes and works once: exchange it now, not when the owner
            # finds the button.
            self.test_panel.start()

    def _catch_failed(self, stop: threading.Event, exc: BaseException) -> None:
        if self._stop_catching is stop:
            self._stop_catching = None
        if stop.is_set():
            return
        # Declined, nothing within 10 minutes, or the port busy: each says to paste instead,
        # and the paste field below stays usable.
        self.code_status.setStyleSheet("color: #c62828;")
        self.code_status.setText(error_text(exc))

    def stop_catching(self) -> None:
        if self._stop_catching is not None:
            self._stop_catching.set()
            self._stop_catching = None

    def cleanupPage(self) -> None:
        self.stop_catching()
        super().cleanupPage()

    def hideEvent(self, event) -> None:
        # Leaving the page (Next, Back) or closing the wizard: stop listening on this PC. A
        # spontaneous hide is the window being minimised while the owner is in the browser.
        if not event.spontaneous():
            self.stop_catching()
        super().hideEvent(event)

    def paste_from_clipboard(self) -> None:
        self.code_edit.setText(QGuiApplication.clipboard().text().strip())
        self.read_code()

    def _tested(self, ok: bool) -> None:
        # The code has been exchanged for a token: it cannot be used again, and a second test
        # must not try (it said "already used, click Log in" — a dead end in the sample shop).
        if ok and self.state.secrets.get("access_token"):
            self._exchanged = self.services.parse_access_code(self.code_edit.text())
        self.completeChanged.emit()
        if ok and self.wizard() is not None:
            # The next step is "Tiếp >", not "< Quay lại" (walk finding 15).
            from PySide6.QtWidgets import QWizard
            self.wizard().button(QWizard.WizardButton.NextButton).setFocus()

    def read_code(self) -> bool:
        code = self.services.parse_access_code(self.code_edit.text())
        if code and code == getattr(self, "_exchanged", "") and \
                self.state.secrets.get("access_token"):
            # Already logged in with this code: test again with the token it gave.
            self.state.secrets.pop("access_code", None)
            return True
        if not code:
            self.code_status.setStyleSheet("color: #c62828;")
            self.code_status.setText(tr("wizard.nhanh.no_code"))
            return False
        self.state.secrets["access_code"] = code
        self.code_status.setStyleSheet("color: #2e7d32;")
        self.code_status.setText(tr("wizard.nhanh.code_ok"))
        return True

    def isComplete(self) -> bool:
        return self.state.info is not None

    def validatePage(self) -> bool:
        if self.state.info is None:
            self.test_panel.status.setText(tr("wizard.test.needed"))
            return False
        return True
