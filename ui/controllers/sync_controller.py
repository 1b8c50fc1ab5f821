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

from app.sync import events as ev

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.1
FLUSH_ITEMS = 500
GIL_SWITCH_SECONDS = 0.002


@dataclass(frozen=True)
class RunRequest:
    """What to run; built on the main thread (pure, testable), executed in the worker."""

    profile: Any                          # ConnectionProfile
    kind: str = "sync"                    # sync | push | retry | resolve | undo | delete
    entities: tuple[str, ...] | None = None
    dry_run: bool = False
    app_ids: tuple[str, ...] = ()
    run_id: int | None = None
    conflict_ids: tuple[int, ...] = ()
    keep: str = ""
    entity: str = ""
    # The owner pressed a sync button: look for POS deletions now, not only when the
    # scheduled id scan is due (COM-01).
    scan_deletions: bool | None = None


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
    crashed = Signal(object)            # exception with message_vi/en, or any exception

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
            elif isinstance(event, ev.RunFinished):
                self.last_finished = event
                self.finished_run.emit(event)
            elif isinstance(event, ev.Waiting):      # shown where progress is shown
                self.progress.emit(event)

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
        request = self.request
        connector = self.services.connector_for_profile(request.profile)
        # The engine keeps objects alive before the run out of the collector's passes while
        # it works (app/sync/collector.py): a full pass over a sample shop's data held the
        # GIL for ~100 ms and stalled the window.
        waits = ev.report_waits(self._emit)
        try:
            engine = self.services.make_engine(request.profile, connector, self._emit,
                                               self.cancel_flag)
            if request.kind == "sync":
                entities = request.entities
                if entities is None:
                    entities = self.services.enabled_entities(request.profile)
                await engine.run(entities, dry_run=request.dry_run,
                                 scan_deletions=request.scan_deletions)
            elif request.kind == "push":
                await engine.push_products(list(request.app_ids), dry_run=request.dry_run)
            elif request.kind == "retry":
                await engine.retry_failed(request.run_id)
            elif request.kind == "resolve":
                for conflict_id in request.conflict_ids:
                    if self.cancel_flag.is_set():
                        break
                    await engine.resolve_conflict(conflict_id, request.keep)
            elif request.kind == "undo":
                engine.undo_last_run()
            elif request.kind == "delete":
                for app_id in request.app_ids:
                    engine.delete_in_app(request.entity, app_id)
            else:
                raise ValueError(f"unknown run kind {request.kind!r}")
        finally:
            ev.stop_reporting_waits(waits)
            await connector.aclose()


class SyncController(QObject):
    """One run at a time per window; widgets connect to these signals only."""

    run_started = Signal(object)
    progress = Signal(object)
    items = Signal(object)
    conflict = Signal(object)
    run_finished = Signal(object)
    crashed = Signal(object)
    busy_changed = Signal(bool)

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
