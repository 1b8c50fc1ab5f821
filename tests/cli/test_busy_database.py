"""Issue 18.6, busy database: while another ShopSync process holds the data home's database
(a long import, another connection's sync), a command waits a sensible while, then exits 4
with "another ShopSync process is busy with this data; try again" — never "Unexpected error:
OperationalError" with exit 2 — and leaves no run half-done and unmarked."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from app.cli import EXIT_INTERRUPTED, EXIT_OK

BUSY = {"SHOPSYNC_BUSY_SECONDS": "1"}


@pytest.fixture
def demo(shopsync):
    assert shopsync("profile", "add", "demo", "--platform", "sapo", "--set", "sandbox=on")[0] == 0
    assert shopsync("profile", "add", "other", "--platform", "sapo", "--set", "sandbox=on")[0] == 0
    assert shopsync("sync", "demo")[0] == EXIT_OK
    return "demo"


def _hold_write_lock(home) -> sqlite3.Connection:
    """What another process's import does: a write transaction on the same file."""
    holder = sqlite3.connect(home.database, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE run SET error = error")
    return holder


def _runs(home) -> list[tuple]:
    with sqlite3.connect(home.database) as db:
        return db.execute("SELECT kind, status FROM run ORDER BY id").fetchall()


@pytest.mark.parametrize("command", [("sync", "other"), ("undo", "demo"), ("sync", "demo")])
def test_busy_database_exits_4_with_try_again_and_leaves_nothing_unmarked(
        shopsync, home, demo, command):
    before = _runs(home)
    holder = _hold_write_lock(home)
    try:
        started = time.monotonic()
        code, out, err = shopsync("--lang", "en", *command, env=BUSY)
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == EXIT_INTERRUPTED, out + err
    assert "Another ShopSync process is busy with this data" in err and "Try again" in err
    assert "Unexpected" not in err and "OperationalError" not in err
    assert waited >= 1.0                                  # it waited before giving up
    assert all(status != "running" for _, status in _runs(home))
    assert len(_runs(home)) == len(before)                # nothing half-started
    code, _, err = shopsync("--lang", "vi", *command, env=BUSY)
    assert code in (EXIT_OK, 1), err                      # free again: it just works


def test_busy_database_message_is_vietnamese_by_default(shopsync, home, demo):
    holder = _hold_write_lock(home)
    try:
        code, _, err = shopsync("sync", "other", env=BUSY)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == EXIT_INTERRUPTED and "Một tiến trình ShopSync khác đang bận" in err


def test_a_short_busy_spell_is_waited_out_and_the_command_succeeds(shopsync, home, demo):
    holder = _hold_write_lock(home)

    def release_soon():
        time.sleep(0.5)
        holder.execute("ROLLBACK")
        holder.close()
    releaser = threading.Thread(target=release_soon)
    releaser.start()
    code, out, err = shopsync("sync", "other", env={"SHOPSYNC_BUSY_SECONDS": "10"})
    releaser.join()
    assert code == EXIT_OK, out + err
