"""Short async jobs (connection test, login exchange, preview) off the main thread.

Each job runs in its own QThread with its own asyncio loop, and reports back only through
queued signals carrying the result or the exception. A slow DNS lookup or TLS handshake can
therefore never stall the window, and tests drive the same path as the app.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from PySide6.QtCore import QObject, QThread, Signal

log = logging.getLogger(__name__)


class _JobThread(QThread):
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, make_coroutine: Callable[[], Awaitable[Any]], parent=None) -> None:
        super().__init__(parent)
        self._make = make_coroutine

    def run(self) -> None:
        try:
            result = asyncio.run(self._make())
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the UI
            log.info("background job failed: %s", type(exc).__name__)
            self.failed.emit(exc)
        else:
            self.succeeded.emit(result)
        finally:
            _close_thread_db()


def _close_thread_db() -> None:
    """peewee gives this thread its own connection; close it before the thread ends."""
    try:
        from app.store.models import database_proxy
        if database_proxy.obj is not None and not database_proxy.obj.is_closed():
            database_proxy.obj.close()
    except Exception:  # noqa: BLE001 - a close failure must not hide the job's result
        pass


class BackgroundJobs(QObject):
    """Owns running jobs so they are not garbage collected mid-flight."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._running: set[_JobThread] = set()

    def start(self, make_coroutine: Callable[[], Awaitable[Any]],
              on_success: Callable[[Any], None], on_failure: Callable[[BaseException], None]
              ) -> _JobThread:
        job = _JobThread(make_coroutine, self)
        job.succeeded.connect(on_success)
        job.failed.connect(on_failure)
        job.finished.connect(lambda: self._forget(job))
        self._running.add(job)
        job.start()
        return job

    def _forget(self, job: _JobThread) -> None:
        self._running.discard(job)
        job.deleteLater()

    def busy(self) -> bool:
        return bool(self._running)

    def wait_all(self, msecs: int = 5000) -> None:
        for job in list(self._running):
            job.wait(msecs)
