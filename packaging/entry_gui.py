"""Frozen entry of the windowed ShopSync.exe (no console window on Windows)."""
import sys

from ui.app import gui_main

if __name__ == "__main__":
    sys.exit(gui_main())
