"""Saved connections: status, token expiry, schedule, last run; add, edit, remove."""
from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.store import models as m
from ui.controllers.notices import token_notice
from ui.i18n import run_status_name, tr
from ui.platform_names import platform_label


def _local(value) -> str:
    if value is None:
        return tr("common.never")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone().strftime("%d/%m/%Y %H:%M")


class ConnectionsPage(QWidget):
    add_requested = Signal()
    edit_requested = Signal(str)
    remove_requested = Signal(str)
    selected = Signal(str)

    def __init__(self, services, parent=None) -> None:
        super().__init__(parent)
        self.services = services
        layout = QVBoxLayout(self)
        self.empty = QLabel(tr("main.no_profile"))
        layout.addWidget(self.empty)
        self.table = QTableWidget(0, 6)
        self.table.setObjectName("connectionsTable")
        self.table.setHorizontalHeaderLabels([tr("conn.col.name"), tr("conn.col.platform"),
                                              tr("conn.col.status"), tr("conn.col.expiry"),
                                              tr("conn.col.schedule"), tr("conn.col.last")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self._emit_for(self.edit_requested))
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(tr("conn.add"))
        self.add_button.setObjectName("addConnection")
        self.edit_button = QPushButton(tr("conn.edit"))
        self.remove_button = QPushButton(tr("conn.remove"))
        self.add_button.clicked.connect(self.add_requested)
        self.edit_button.clicked.connect(lambda: self._emit_for(self.edit_requested))
        self.remove_button.clicked.connect(lambda: self._emit_for(self.remove_requested))
        for button in (self.add_button, self.edit_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

    def _current_name(self) -> str:
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        return item.data(Qt.ItemDataRole.UserRole) if item else ""

    def _emit_for(self, signal) -> None:
        name = self._current_name()
        if name:
            signal.emit(name)

    def _selection_changed(self) -> None:
        name = self._current_name()
        self.edit_button.setEnabled(bool(name))
        self.remove_button.setEnabled(bool(name))
        if name:
            self.selected.emit(name)

    def refresh(self, current: str = "") -> None:
        profiles = self.services.list_profiles()
        self.empty.setVisible(not profiles)
        self.table.setRowCount(len(profiles))
        now = datetime.now(timezone.utc)
        for row, profile in enumerate(profiles):
            platform = self.services.platform(profile.platform)
            name = profile.name
            # "Cửa hàng mẫu  (cửa hàng mẫu)": the marker only when the name does not say it.
            if self.services.is_sample(profile) and tr("conn.sample").casefold() not in \
                    name.casefold():
                name = f"{name} ({tr('conn.sample')})"
            notice = token_notice(profile, now)
            status = notice.title if notice else tr("conn.status.ok")
            expiry = (_local(profile.token_expires_at) if profile.token_expires_at
                      else tr("conn.no_expiry"))
            schedule = (tr("schedule.every", n=profile.schedule_minutes)
                        if profile.schedule_minutes else tr("schedule.off"))
            last = (m.Run.select().where((m.Run.profile == profile.id) & (m.Run.dry_run == False))  # noqa: E712
                    .order_by(m.Run.id.desc()).first())
            last_text = (f"{_local(last.finished_at or last.started_at)} — "
                         f"{run_status_name(last.status)}" if last else tr("common.never"))
            values = [name, platform_label(platform), status, expiry, schedule,
                      last_text]
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, profile.name)
                self.table.setItem(row, column, item)
            if profile.name == current:
                self.table.selectRow(row)
        self._selection_changed()
