"""`shopsync`: the command line, or the desktop app when no command is given (README).

The only module that knows both faces: app/ never imports ui/, so the command line starts
without Qt and the packages stay free of import cycles."""
from __future__ import annotations

import sys


def open_window(home: str | None = None) -> int:
    from ui.app import gui_main
    return gui_main(home)


def main(argv=None) -> int:
    from app.cli import main as command_line
    return command_line(argv, window=open_window)


if __name__ == "__main__":
    sys.exit(main())
