"""Sync runs in a worker QThread; the window hears about them only through queued signals.

The worker owns its asyncio loop and (through peewee's per-thread connections) its own database
connection. The engine's events are plain frozen objects; item results are batched and progress
is throttled before crossing to the main thread, so a 10,000-item run costs the UI a few
hundred signal deliveries, not tens of thousands. Cancel is a threading.Event the engine checks
between items.
"""
from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Signal

from app.session import RunInProgress, RunKind, RunRequest
from app.sync import events as ev

__all__ = ["BusyElsewhere", "RunKind", "RunRequest", "SyncController", "SyncWorker"]

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.1
FLUSH_ITEMS = 500
GIL_SWITCH_SECONDS = 0.002


@dataclass(frozen=True)
class BusyElsewhere:
    """Another ShopSync process (a second window, a scheduled `shopsync sync`) is running this
    connection: nothing was started here (COM-09). Plain data for the banner."""

    profile: str
    title_vi: str
    title_en: str
    message_vi: str
    message_en: str

    @classmethod
    def from_refusal(cls, profile: str, busy: RunInProgress) -> "BusyElsewhere":
        return cls(profile, "Đang đồng bộ ở nơi khác", "Already syncing elsewhere",
                   busy.message_vi, busy.message_en)


@dataclass
class _Outbox:
    """Collects events in the worker and hands them over in batches."""

    send_items: Callable[[list], None]
    send_progress: Callable[[object], None]
    clock: Callable[[], float] = time.monotonic
    items: list = field(default_factory=list)
    last_flush: float = 0.0
    pending_progress: object | None = None

    def add_item(self, item) -> None:
        self.items.append(item)
        self.maybe_flush()

    def set_progress(self, progress) -> None:
        self.pending_progress = progress
        self.maybe_flush()

    def maybe_flush(self) -> None:
        if len(self.items) >= FLUSH_ITEMS or self.clock() - self.last_flush >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        self.last_flush = self.clock()
        if self.items:
            batch, self.items = self.items, []
            self.send_items(batch)
        if self.pending_progress is not None:
            progress, self.pending_progress = self.pending_progress, None
            self.send_progress(progress)


class SyncWorker(QThread):
    started_run = Signal(object)        # ev.RunStarted
    progress = Signal(object)           # ev.Progress
    items = Signal(object)              # list[ev.ItemResult]; object: no QVariant copy
    conflict = Signal(object)           # ev.ConflictRaised
    finished_run = Signal(object)       # ev.RunFinished
    waiting = Signal(object)            # ev.Waiting: a POS pause, for a countdown (COM-08)
    crashed = Signal(object)            # exception with message_vi/en, or any exception
    busy_elsewhere = Signal(object)     # BusyElsewhere: the run lock is held by another process

    def __init__(self, services, request: RunRequest, parent=None) -> None:
        super().__init__(parent)
        self.services = services
        self.request = request
        self.cancel_flag = threading.Event()
        self._outbox = _Outbox(self.items.emit, self.progress.emit)
        self.last_finished: ev.RunFinished | None = None

    def _emit(self, event) -> None:
        if isinstance(event, ev.ItemResult):
            self._outbox.add_item(event)
        elif isinstance(event, ev.Progress):
            self._outbox.set_progress(event)
            if event.done == 0:       # a new kind of data starts: said now, not after a page
                self._outbox.flush()
        else:
            self._outbox.flush()
            if isinstance(event, ev.RunStarted):
                self.started_run.emit(event)
            elif isinstance(event, ev.ConflictRaised):
                self.conflict.emit(event)
            elif isinstance(event, ev.Waiting):      # shown where progress is shown
                self.waiting.emit(event)
                self.progress.emit(event)
            elif isinstance(event, ev.RunFinished):
                self.last_finished = event
                self.finished_run.emit(event)

    def run(self) -> None:
        # The worker is CPU-bound Python between requests; a shorter GIL switch interval lets
        # the window's thread take the GIL back within ~2 ms instead of 5 (default) when it
        # has an event to handle. Restored when the run ends.
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(switch_interval, GIL_SWITCH_SECONDS))
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported to the window, never lost
            log.exception("sync worker failed")
            self._outbox.flush()
            self.crashed.emit(exc)
        finally:
            sys.setswitchinterval(switch_interval)
            self._outbox.flush()
            try:
                self.services.db.close()        # this thread's connection only
            except Exception:  # noqa: BLE001
                pass

    async def _main(self) -> None:
        # The session builds the connector, takes the cross-process run lock (the same one as
        # the command line) and runs the request; this thread only relays its events.
        try:
            await self.services.session.run(self.request, self._emit, self.cancel_flag)
        except RunInProgress as busy:
            self.busy_elsewhere.emit(BusyElsewhere.from_refusal(self.request.profile.name, busy))


class SyncController(QObject):
    """One run at a time per window; widgets connect to these signals only."""

    run_started = Signal(object)
    progress = Signal(object)
    items = Signal(object)
    conflict = Signal(object)
    run_finished = Signal(object)
    crashed = Signal(object)
    busy_changed = Signal(bool)
    # Another ShopSync process holds this connection's run lock (BusyElsewhere, vi/en).
    busy_elsewhere = Signal(object)

    def __init__(self, services, parent=None) -> None:
        super().__init__(parent)
        self.services = services
        self.worker: SyncWorker | None = None
        self.current: RunRequest | None = None

    def is_running(self) -> bool:
        return self.worker is not None

    def start(self, request: RunRequest) -> bool:
        if self.worker is not None:
            return False
        worker = SyncWorker(self.services, request, self)
        worker.started_run.connect(self.run_started)
        worker.progress.connect(self.progress)
        worker.items.connect(self.items)
        worker.conflict.connect(self.conflict)
        worker.finished_run.connect(self.run_finished)
        worker.crashed.connect(self.crashed)
        worker.busy_elsewhere.connect(self.busy_elsewhere)
        worker.finished.connect(self._worker_done)
        self.worker, self.current = worker, request
        self.busy_changed.emit(True)
        worker.start()
        return True

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel_flag.set()

    def wait(self, msecs: int = 30000) -> bool:
        worker = self.worker
        return True if worker is None else worker.wait(msecs)

    def _worker_done(self) -> None:
        worker, self.worker, self.current = self.worker, None, None
        if worker is not None:
            worker.deleteLater()
        self.busy_changed.emit(False)
