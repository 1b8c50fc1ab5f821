"""A connection's home page, read in five seconds: is everything fine, and if not the one thing to
do; per kind of data its direction, last sync, records, failures and open conflicts; the next
scheduled run. The state comes from app/health.py; this page only words and shows it, and the
notices in the window's banner are made from the same health (one per subject)."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QFrame, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.health import ConnectionHealth, Reason
from ui.controllers.notices import Notice
from ui.i18n import TEXTS, direction_arrow, entity_name, pick, run_status_name, tr
from ui.run_words import names_text, without_rule_ids
from ui.vietnamese import when_text
from ui.widgets.icons import icon, pixmap

COLUMNS = ("entity", "direction", "last", "records", "failures", "conflicts")


def reason_text(health: ConnectionHealth) -> str:
    """The one sentence under the state: what is wrong and what to do."""
    reason = health.reason
    if reason is Reason.TOKEN_EXPIRED:
        return tr("home.reason.token_expired")
    if reason is Reason.TOKEN_EXPIRING:
        return tr("home.reason.token_expiring", days=max(health.token_days_left or 0, 1),
                  date=when_text(health.token_expires_at)[:10])
    if reason is Reason.RUN_FAILED:
        return tr("home.reason.run_failed", message=without_rule_ids(pick(*health.last_error)))
    if reason is Reason.REPEATED_FAILURES:
        return tr("home.reason.repeated", n=health.streak,
                  message=without_rule_ids(pick(*health.last_error)))
    if reason is Reason.RUN_INTERRUPTED:
        return tr("home.reason.interrupted")
    if reason is Reason.CONFLICTS:
        return tr("home.reason.conflicts", n=health.conflicts)
    if reason is Reason.FAILED_ITEMS:
        return tr("home.reason.failed_items", n=health.failures)
    if reason is Reason.APP_CHANGES:
        return tr("home.reason.app_changes", n=health.unsent)
    if reason is Reason.POS_LOCKED:
        return tr("home.reason.pos_locked", n=len(health.locked),
                  names=names_text(list(health.locked)))
    if reason is Reason.NEVER_SYNCED:
        return tr("home.reason.never_synced")
    return tr("home.reason.none")


ACTION_KEYS = {
    Reason.TOKEN_EXPIRED: "home.do.login", Reason.TOKEN_EXPIRING: "home.do.login",
    Reason.RUN_FAILED: "home.do.edit", Reason.REPEATED_FAILURES: "home.do.edit",
    Reason.RUN_INTERRUPTED: "home.do.sync", Reason.CONFLICTS: "home.do.conflicts",
    Reason.FAILED_ITEMS: "home.do.retry", Reason.NEVER_SYNCED: "home.do.first_sync",
    Reason.APP_CHANGES: "home.do.sync_changes",
}


def health_notices(health: ConnectionHealth) -> dict[str, Notice]:
    """Banner notices, one per subject and keyed by connection + subject: a subject that is
    resolved has no notice, so the banner drops it; a changed count replaces its text."""
    name = health.profile
    notices: dict[str, Notice] = {}
    for reason in health.reasons:
        if reason in (Reason.NEVER_SYNCED, Reason.NONE):
            continue
        subject = {Reason.TOKEN_EXPIRING: "token", Reason.TOKEN_EXPIRED: "token",
                   Reason.RUN_FAILED: "run", Reason.REPEATED_FAILURES: "run",
                   Reason.RUN_INTERRUPTED: "run"}.get(reason, reason.value)
        key = f"{subject}:{name}"
        if key in notices:
            continue
        level = "error" if reason in (Reason.TOKEN_EXPIRED, Reason.RUN_FAILED,
                                      Reason.REPEATED_FAILURES) else "warning"
        notices[key] = Notice(key, level, name, reason_text(replace(health, reason=reason)))
    return notices


class HomePage(QWidget):
    action_requested = Signal(str)        # Reason value of the one thing to do

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.health: ConnectionHealth | None = None
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        self.card = QFrame()
        self.card.setObjectName("healthCard")
        card = QHBoxLayout(self.card)
        card.setContentsMargins(16, 12, 16, 12)
        self.state_icon = QLabel()
        self.state_icon.setObjectName("healthIcon")
        self.state_icon.setFixedSize(40, 40)
        texts = QVBoxLayout()
        self.title = QLabel("")
        self.title.setObjectName("healthTitle")
        self.reason = QLabel("")
        self.reason.setObjectName("healthReason")
        self.reason.setWordWrap(True)
        texts.addWidget(self.title)
        texts.addWidget(self.reason)
        self.action = QPushButton("")
        self.action.setObjectName("healthAction")
        self.action.clicked.connect(self._act)
        card.addWidget(self.state_icon, 0, Qt.AlignmentFlag.AlignTop)
        card.addLayout(texts, 1)
        card.addWidget(self.action, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.card)
        runs = QHBoxLayout()
        self.last_run = QLabel("")
        self.last_run.setObjectName("homeLastRun")
        self.next_run = QLabel("")
        self.next_run.setObjectName("homeNextRun")
        runs.addWidget(self.last_run)
        runs.addStretch(1)
        runs.addWidget(self.next_run)
        layout.addLayout(runs)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("homeTable")
        self.table.setHorizontalHeaderLabels([tr(f"home.col.{c}") for c in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        self.empty = QLabel(tr("main.no_profile"))
        self.empty.setObjectName("homeEmpty")
        layout.addWidget(self.empty)
        self.show_health(None, None)

    def _act(self) -> None:
        if self.health is not None and self.health.reason is not Reason.NONE:
            self.action_requested.emit(self.health.reason.value)

    def show_health(self, health: ConnectionHealth | None, next_run) -> None:
        self.health = health
        self.card.setVisible(health is not None)
        self.table.setVisible(health is not None)
        self.empty.setVisible(health is None)
        self.last_run.setVisible(health is not None)
        self.next_run.setVisible(health is not None)
        if health is None:
            return
        self.card.setProperty("state", health.state.value)
        self.card.style().unpolish(self.card)
        self.card.style().polish(self.card)
        self.state_icon.setPixmap(pixmap(health.state.value, 40))
        self.title.setText(tr(f"home.state.{health.state.value}", name=health.profile))
        self.reason.setText(reason_text(health))
        action_key = ACTION_KEYS.get(health.reason)
        self.action.setVisible(action_key is not None)
        if action_key:
            self.action.setText(tr(action_key))
        if health.last_run_at is None:
            self.last_run.setText(tr("sync.last_run", when=tr("common.never"), status="")
                                  .rstrip(" —"))
        else:
            self.last_run.setText(tr("home.last_run", when=when_text(health.last_run_at),
                                     kind=tr(f"home.kind.{health.last_run_kind}")
                                     if f"home.kind.{health.last_run_kind}" in TEXTS else "",
                                     status=run_status_name(health.last_run_status)))
        self.next_run.setText(tr("sync.next_off") if next_run is None
                              else tr("home.next_run", when=when_text(next_run)))
        self.table.setRowCount(len(health.entities))
        for row, item in enumerate(health.entities):
            values = [entity_name(item.entity), direction_arrow(item.direction),
                      when_text(item.last_synced, tr("common.never")) if item.enabled
                      else tr("home.off"),
                      f"{item.records:,}".replace(",", "."), str(item.failures or "—"),
                      str(item.conflicts or "—")]
            for column, value in enumerate(values):
                cell = QTableWidgetItem(value)
                if column == 0:
                    cell.setIcon(icon(item.entity))
                elif column >= 3:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if column == 4 and item.failures:
                    cell.setIcon(icon("broken"))
                if column == 5 and item.conflicts:
                    cell.setIcon(icon("attention"))
                self.table.setItem(row, column, cell)

    def row_texts(self) -> list[list[str]]:
        return [[self.table.item(r, c).text() for c in range(self.table.columnCount())]
                for r in range(self.table.rowCount())]

