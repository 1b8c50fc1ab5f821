"""Frozen entry of the console shopsync-cli.exe for support staff and schedulers."""
import sys

from shopsync import main

if __name__ == "__main__":
    sys.exit(main())
