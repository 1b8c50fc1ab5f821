"""The "Test connection" button and its plain-words answer; the test runs in the background."""
from __future__ import annotations

import copy

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from contract.connector import InvalidInput, PosError
from ui.i18n import pick, tr
from ui.run_words import without_rule_ids


def error_text(exc: BaseException) -> str:
    """The user-facing sentence for an error: the PosError/InvalidInput message, never a trace."""
    if isinstance(exc, (PosError, InvalidInput)):
        return without_rule_ids(pick(exc.message_vi, exc.message_en))
    vi = getattr(exc, "message_vi", None)
    en = getattr(exc, "message_en", None)
    if vi or en:
        return pick(vi or en, en or vi)
    return tr("wizard.test.unexpected")



# Scope names a POS may report as they are in its API ("product", "depot"): the owner reads words.
SCOPE_WORDS = {
    "product": ("sản phẩm", "products"), "products": ("sản phẩm", "products"),
    "customer": ("khách hàng", "customers"), "customers": ("khách hàng", "customers"),
    "order": ("đơn hàng", "orders"), "orders": ("đơn hàng", "orders"),
    "depot": ("kho", "depots"), "depots": ("kho", "depots"),
    "user": ("người dùng", "users"), "users": ("người dùng", "users"),
    "category": ("danh mục", "categories"), "bill": ("hoá đơn", "bills"),
    "inventory": ("tồn kho", "stock"), "store": ("cửa hàng", "store"),
}


def permission_text(raw: str) -> str:
    """Sapo reports a permission as "Khách hàng / Customers: ✓" (both languages at once); the
    owner reads only the chosen language. Nhanh reports API scope names ("product"): shown as
    words. Anything else is shown as the connector wrote it."""
    if raw.strip().lower() in SCOPE_WORDS:
        return pick(*SCOPE_WORDS[raw.strip().lower()])
    names, colon, mark = raw.rpartition(": ")
    vi, slash, en = names.partition(" / ")
    if not colon or not slash or " / " in en:
        return raw
    return f"{pick(vi, en)}: {mark}"


class ConnectionTestPanel(QWidget):
    """Emits `tested` after every attempt; the page reads the state to decide Next."""

    tested = Signal(bool)

    def __init__(self, state, services, jobs, collect, parent=None) -> None:
        super().__init__(parent)
        self.state, self.services, self.jobs, self.collect = state, services, jobs, collect
        self.button = QPushButton(tr("wizard.test.button"))
        self.button.setObjectName("testConnection")
        self.button.clicked.connect(self.start)
        self.status = QLabel("")
        self.status.setObjectName("testStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.running = False

    def start(self) -> None:
        if self.running or not self.collect():
            return
        self.running = True
        self.button.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText(tr("wizard.test.running"))
        snapshot = copy.deepcopy(self.state)
        self.jobs.start(lambda: self.services.test_connection(snapshot),
                        lambda info: self._succeeded(info, snapshot), self._failed)

    def _succeeded(self, info, snapshot) -> None:
        self.running = False
        self.button.setEnabled(True)
        self.state.info = info
        self.services.after_test(self.state, snapshot)
        self.state.tested_signature = self.state.signature()
        lines = [tr("wizard.test.ok", shop=info.shop_name)]
        if info.permissions:
            lines.append(f"{tr('wizard.test.permissions')} "
                         f"{', '.join(permission_text(p) for p in info.permissions)}.")
        lines.extend(without_rule_ids(pick(vi, en)) for vi, en in
                     zip(info.warnings_vi, info.warnings_en or info.warnings_vi))
        # The same expiry the Connections page shows: a date only for a token the owner must
        # renew by logging in (Nhanh, kept with the profile); a token ShopSync renews by itself
        # (KiotViet's hourly client token) is not a date the owner has to remember.
        if info.token_expires_at and self.state.fields.get("token_expires_at"):
            lines.append(tr("wizard.test.token_expires",
                            date=info.token_expires_at.astimezone().strftime("%d/%m/%Y")))
        elif info.token_expires_at:
            lines.append(tr("wizard.test.token_renews"))
        self.status.setStyleSheet("color: #2e7d32;")
        self.status.setText("\n".join(lines))
        self.tested.emit(True)

    def _failed(self, exc: BaseException) -> None:
        self.running = False
        self.button.setEnabled(True)
        self.state.info = None
        self.status.setStyleSheet("color: #c62828;")
        self.status.setText(tr("wizard.test.failed", message=error_text(exc)))
        self.tested.emit(False)

    def reset(self) -> None:
        self.status.setText("")
