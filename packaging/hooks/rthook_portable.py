"""Portable build: a `portable.txt` beside the exe keeps all data in a folder beside it.

Setting SHOPSYNC_HOME here (before any app code runs) makes the portable copy win even on a PC
whose environment already names another home: a USB-stick copy must never write to the PC.
The marker and folder names come from app.config so the two never disagree.
"""
import os
import sys
from pathlib import Path


def _portable_home() -> None:
    from app.config import HOME_ENV, PORTABLE_DATA_DIR, PORTABLE_MARKER
    exe_dir = Path(sys.executable).resolve().parent
    if (exe_dir / PORTABLE_MARKER).is_file():
        os.environ[HOME_ENV] = str(exe_dir / PORTABLE_DATA_DIR)


_portable_home()
del _portable_home
