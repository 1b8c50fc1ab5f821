"""Sync: one button per entity with its direction (NH-11, COM-10), progress with done/total and
time left (KVF-15), Stop, last and next run. The page only asks; MainWindow starts runs."""
from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFrame, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
                               QProgressBar, QPushButton, QScrollArea, QVBoxLayout, QWidget)

from app.sync import events as ev
from contract.records import SYNC_ORDER
from contract.connector import Direction
from ui.i18n import direction_arrow, entity_name, format_duration, pick, run_status_name, tr
from ui.run_words import finished_text, progress_text, started_text, waiting_text
from ui.vietnamese import when_text
from ui.widgets.icons import pixmap
from ui.wizard.caveat_notes import caveat_note


def platform_rules(platform) -> set[str]:
    rules = set(platform.caveats)
    for cap in platform.entities.values():
        rules.update(cap.caveats)
        rules.add(cap.rule)
    return rules


class SyncPage(QWidget):
    sync_requested = Signal(object, bool)     # entities (None = all enabled), dry_run
    cancel_requested = Signal()
    retry_requested = Signal()
    undo_requested = Signal()
    restore_requested = Signal()

    def __init__(self, services, parent=None) -> None:
        super().__init__(parent)
        self.services = services
        self.entity_buttons: dict[str, QPushButton] = {}
        # The page scrolls when the window is small (1366×768 at 150 % leaves 512 points).
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        scroll.setWidget(inner)
        outer.addWidget(scroll)
        layout = QVBoxLayout(inner)
        self.entities_box = QGroupBox(tr("sync.header"))
        self.grid = QGridLayout(self.entities_box)
        actions = QHBoxLayout()
        self.all_button = QPushButton(tr("sync.all"))
        self.all_button.setObjectName("syncAll")
        self.preview_button = QPushButton(tr("sync.preview"))
        self.cancel_button = QPushButton(tr("sync.cancel"))
        self.cancel_button.setObjectName("cancelSync")
        self.retry_button = QPushButton(tr("sync.retry_failed"))
        self.undo_button = QPushButton(tr("sync.undo"))
        self.restore_button = QPushButton(tr("sync.restore"))
        self.restore_button.clicked.connect(self.restore_requested)
        self.all_button.clicked.connect(lambda: self.sync_requested.emit(None, False))
        self.preview_button.clicked.connect(lambda: self.sync_requested.emit(None, True))
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.retry_button.clicked.connect(self.retry_requested)
        self.undo_button.clicked.connect(self.undo_requested)
        for button in (self.all_button, self.preview_button, self.cancel_button):
            actions.addWidget(button)
        actions.addStretch(1)
        # Repair actions on their own line: the row fits a 1366×768 screen at 150 %.
        repairs = QHBoxLayout()
        for button in (self.retry_button, self.undo_button, self.restore_button):
            repairs.addWidget(button)
        repairs.addStretch(1)
        layout.addLayout(actions)
        layout.addLayout(repairs)
        self.progress = QProgressBar()
        self.progress.setObjectName("syncProgress")
        self.progress.setFormat("%v / %m")
        self.progress.setValue(0)
        # done/total only while a run counts: idle it read "0 / 100", finished "1 / 1".
        self.progress.setTextVisible(False)
        layout.addWidget(self.progress)
        self.status = QLabel(tr("sync.idle"))
        self.status.setObjectName("syncStatus")
        self.status.setWordWrap(True)
        self.time_left = QLabel("")
        self.time_left.setObjectName("timeLeft")
        self.last_run = QLabel("")
        self.next_run = QLabel("")
        for label in (self.status, self.time_left, self.last_run, self.next_run):
            layout.addWidget(label)
        # What is happening first (it must be seen without scrolling at 150 %), then the
        # one-kind-at-a-time buttons.
        layout.addWidget(self.entities_box)
        self.first_run_note = caveat_note("KVF-15")
        layout.addWidget(self.first_run_note)
        layout.addStretch(1)
        self._started: dict[tuple[str, str], tuple[float, int]] = {}
        self.platform = None
        self.state = "idle"               # idle | running | waiting | done | stopped | failed
        self.set_busy(False)

    def set_profile(self, profile) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().setParent(None)
        self.entity_buttons = {}
        if profile is None:
            self.platform = None
            self.entities_box.setEnabled(False)
            self.first_run_note.setVisible(False)
            return
        self.entities_box.setEnabled(True)
        platform = self.services.platform(profile.platform)
        self.platform = platform
        enabled = self.services.enabled_entities(profile)
        row = 0
        for entity in SYNC_ORDER:
            cap = platform.entities.get(entity)
            if cap is None:
                continue
            name = entity_name(entity.value)
            arrow = QLabel(direction_arrow(cap.direction.value))
            arrow.setObjectName(f"arrow_{entity.value}")
            arrow.setAlignment(Qt.AlignmentFlag.AlignCenter)
            arrow.setMinimumWidth(90)
            if cap.direction is Direction.NONE:
                button = QPushButton(tr("sync.not_offered", entity=name))
                button.setEnabled(False)
            else:
                button = QPushButton(tr("sync.button", entity=name))
                button.clicked.connect(lambda _=False, e=entity.value:
                                       self.sync_requested.emit([e], False))
                if enabled is not None and entity.value not in enabled:
                    button.setToolTip(tr("sync.not_offered", entity=name))
                self.entity_buttons[entity.value] = button
            button.setObjectName(f"sync_{entity.value}")
            mark = QLabel()
            mark.setPixmap(pixmap(entity.value, 20))
            self.grid.addWidget(mark, row, 0)
            self.grid.addWidget(QLabel(f"<b>{name}</b>"), row, 1)
            self.grid.addWidget(arrow, row, 2)
            self.grid.addWidget(button, row, 3)
            row += 1
        self.grid.setColumnStretch(4, 1)

    def set_busy(self, busy: bool) -> None:
        for button in [self.all_button, self.preview_button, self.retry_button,
                       self.undo_button, self.restore_button, *self.entity_buttons.values()]:
            button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        if busy:
            self._started = {}
            self.state = "running"
            self._restyle("running")
            self.progress.setFormat("%v / %m")
            self.progress.setRange(0, 0)          # busy indicator until a total is known
            self.progress.setTextVisible(False)
            self.time_left.setText(tr("sync.time_left", time=format_duration(None)))
        else:
            self.time_left.setText("")

    def platform_name(self) -> str:
        """The brand the owner knows ("KiotViet", "Sapo", "Nhanh.vn"), not the product line."""
        if self.platform is None:
            return "POS"
        return pick(self.platform.name_vi, self.platform.name_en).split(" ")[0]

    def show_started(self, event) -> None:
        self.state = "running"
        self.run_kind = str(getattr(event.kind, "value", event.kind))
        self.status.setText(started_text(event, self.platform))

    def show_progress(self, event) -> None:
        if isinstance(event, ev.Waiting):
            self.show_waiting(event)
            return
        self.state = "running"
        key = (event.entity, event.direction)
        now = time.monotonic()
        start = self._started.setdefault(key, (now, event.done))
        if event.total:
            self.progress.setRange(0, max(event.total, 1))
            self.progress.setValue(min(event.done, event.total))
            self.progress.setTextVisible(True)
            self.progress.setFormat("%v / %m")
        else:
            self.progress.setRange(0, 0)
            self.progress.setTextVisible(False)
        self.status.setText(progress_text(event))
        eta = event.eta_seconds
        if eta is None and event.total:
            elapsed, done = now - start[0], event.done - start[1]
            if done > 0 and elapsed > 0.5:
                eta = (event.total - event.done) * elapsed / done
        self.time_left.setText(tr("sync.time_left", time=format_duration(eta)))

    def _restyle(self, state: str) -> None:
        """The bar's colour follows its state (grey once stopped), through the style sheet."""
        self.progress.setProperty("state", state)
        self.progress.style().unpolish(self.progress)
        self.progress.style().polish(self.progress)

    def show_waiting(self, event) -> None:
        """A pause says what it waits for and until when; the bar keeps where it was."""
        self.state = "waiting"
        self.status.setText(waiting_text(event, self.platform_name()))
        self.time_left.setText("")

    def show_finished(self, event_or_text) -> None:
        """Done fills the bar; stopped and failed keep it where the run stopped and say so."""
        if isinstance(event_or_text, str):
            status, text = "failed", event_or_text
        else:
            status, text = (event_or_text.status,
                            finished_text(event_or_text, getattr(self, "run_kind", "")))
        if status == "done":
            self.state = "done"
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
            self.progress.setTextVisible(False)
        else:
            self.state = "stopped" if status == "cancelled" else "failed"
            if self.progress.maximum() == 0:       # never counted: an empty bar, not a full one
                self.progress.setRange(0, 1)
                self.progress.setValue(0)
            self.progress.setFormat(tr("run.bar.stopped" if status == "cancelled"
                                       else "run.bar.failed") + "  %v / %m")
            self.progress.setTextVisible(True)
        self._restyle(self.state)
        self.time_left.setText("")
        self.status.setText(text)

    def show_runs(self, last, next_when, first_run: bool) -> None:
        if last is None:
            self.last_run.setText(tr("sync.last_run", when=tr("common.never"), status=""))
        else:
            when = last.finished_at or last.started_at
            self.last_run.setText(tr("sync.last_run", when=when_text(when),
                                     status=run_status_name(last.status)))
        if next_when is None:
            self.next_run.setText(tr("sync.next_off"))
        else:
            self.next_run.setText(tr("sync.next_run", when=when_text(next_when)))
        # KVF-15 is KiotViet's first pull: the note shows on KiotViet connections only.
        kiotviet = self.platform is not None and any(
            rule.startswith("KVF-") for rule in platform_rules(self.platform))
        self.first_run_note.setVisible(first_run and kiotviet)
