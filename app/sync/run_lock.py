"""One run at a time per shop, across processes (the desktop app and a scheduled
`shopsync sync` must not sync the same connection together: both would resume the same
checkpoint and could send the same create twice).

An OS file lock in the data home: it is released by the OS when the process dies, so a killed
run never leaves a stale lock behind (unlike a "running" flag in the database).

How to use it (the command line does; the UI must do the same around every engine call that
writes: sync, push, retry, undo, resolve a conflict, delete in App)::

    from app.sync.run_lock import RunInProgress, run_lock

    try:
        with run_lock(paths.home, profile.name):      # folder = the data home
            finished = await engine.run(...)
    except RunInProgress as busy:
        show(busy.message_vi, busy.message_en)        # "already syncing elsewhere: wait"

- `run_lock(folder, profile)` is a context manager. It creates `folder` if needed and takes a
  lock file named after a hash of the profile name (`run-<16 hex>.lock`), so any profile name
  is safe on any file system. Different profiles never block each other.
- It never waits: if another process (or another `run_lock` in this process) holds the lock,
  it raises `RunInProgress` at once; that exception carries `message_vi` and `message_en`
  ready to show. Nothing is locked when it is raised.
- The lock is held for the whole `with` block and released on exit, on an exception, and by
  the OS if the process is killed. Take it in the thread that runs the engine; it is not
  re-entrant (a second `run_lock` for the same profile inside the first raises).
- The lock file stays on disk (empty); its presence means nothing, only the OS lock does.
"""
from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


class RunInProgress(Exception):
    def __init__(self, profile: str) -> None:
        self.message_vi = (f"Kết nối “{profile}” đang được đồng bộ ở nơi khác (cửa sổ ShopSync "
                           f"hoặc lịch chạy). Hãy đợi lần đó xong rồi thử lại.")
        self.message_en = (f"Connection “{profile}” is already syncing elsewhere (the ShopSync "
                           f"window or a scheduled run). Wait for it to finish and try again.")
        super().__init__(self.message_en)


def _lock_file(folder: Path, profile: str) -> Path:
    digest = hashlib.sha1(profile.encode("utf-8")).hexdigest()[:16]
    return folder / f"run-{digest}.lock"


@contextmanager
def run_lock(folder: Path | str, profile: str) -> Iterator[None]:
    """Hold the run lock of `profile` (raises RunInProgress at once if another process has it)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    handle = open(_lock_file(folder, profile), "a+b")
    try:
        try:
            _lock(handle)
        except OSError:
            raise RunInProgress(profile) from None
        try:
            yield
        finally:
            _unlock(handle)
    finally:
        handle.close()


if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(handle) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock(handle) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
