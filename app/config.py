"""Where ShopSync keeps its data: one home folder, overridable as a whole.

One override for everything (env `SHOPSYNC_HOME`, or `--home`) keeps tests, support staff
running several shops, and the portable build on the same code path. Nothing here is cached in
a module global: callers ask for `Paths` and pass it on.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import platformdirs

APP_NAME = "ShopSync"
HOME_ENV = "SHOPSYNC_HOME"
PORTABLE_MARKER = "portable.txt"
PORTABLE_DATA_DIR = "ShopSyncData"


@dataclass(frozen=True)
class Paths:
    """Every folder and file of one data home."""

    home: Path

    @property
    def database(self) -> Path:
        return self.home / "shopsync.db"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def backups(self) -> Path:
        return self.home / "backups"

    @property
    def exports(self) -> Path:
        return self.home / "exports"

    @property
    def settings_file(self) -> Path:
        return self.home / "settings.json"

    def ensure(self) -> "Paths":
        """Create missing folders (owner-only where the OS honours it) and return self."""
        for folder in (self.home, self.logs, self.backups, self.exports):
            if folder.is_dir():
                continue  # a folder the user chose (SHOPSYNC_HOME) keeps its own permissions
            folder.mkdir(parents=True, exist_ok=True)
            if os.name != "nt":
                try:
                    folder.chmod(0o700)
                except OSError:  # a home on a shared or foreign filesystem: keep going
                    pass
        return self


def portable_home(executable: str | None = None, frozen: bool | None = None) -> Path | None:
    """The home beside the built executable when `portable.txt` sits next to it.

    Only a frozen (PyInstaller) build can be portable: a source checkout has no exe of its own.
    """
    frozen = getattr(sys, "frozen", False) if frozen is None else frozen
    if not frozen:
        return None
    exe_dir = Path(executable or sys.executable).resolve().parent
    if (exe_dir / PORTABLE_MARKER).is_file():
        return exe_dir / PORTABLE_DATA_DIR
    return None


def resolve_home(home: str | os.PathLike | None = None,
                 environ: Mapping[str, str] | None = None,
                 executable: str | None = None, frozen: bool | None = None) -> Path:
    """Data home by precedence: explicit `--home` > `SHOPSYNC_HOME` > portable > per-user."""
    environ = os.environ if environ is None else environ
    if home:
        return Path(home).expanduser().resolve()
    if environ.get(HOME_ENV):
        return Path(environ[HOME_ENV]).expanduser().resolve()
    portable = portable_home(executable, frozen)
    if portable is not None:
        return portable
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def get_paths(home: str | os.PathLike | None = None,
              environ: Mapping[str, str] | None = None, *, create: bool = True,
              executable: str | None = None, frozen: bool | None = None) -> Paths:
    """The `Paths` of the data home; folders are created unless `create=False`."""
    paths = Paths(resolve_home(home, environ, executable, frozen))
    return paths.ensure() if create else paths
