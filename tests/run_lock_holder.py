"""Another ShopSync process holding a connection's run lock (COM-09), for two-process tests.

`with held_elsewhere(home, "Quán"):` starts `python -m tests.run_lock_holder HOME NAME`, waits
until that process holds the lock, and ends it afterwards."""
from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def held_elsewhere(home: Path | str, profile: str) -> Iterator[subprocess.Popen]:
    holder = subprocess.Popen([sys.executable, "-m", "tests.run_lock_holder", str(home), profile],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, encoding="utf-8")
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.stdin.close()            # the holder exits, the OS releases its lock
        holder.wait(10)


if __name__ == "__main__":
    from app.sync.run_lock import run_lock
    with run_lock(sys.argv[1], sys.argv[2]):
        print("held", flush=True)
        sys.stdin.read()
