"""Log files in the data home, with every secret masked before it reaches the disk (COM-07).

Masking happens on the file handler, not on loggers: a handler filter sees every record that
propagates to it, whatever module logged it, so no `log.info(..., token)` anywhere can leak.
The only state is the handler attached to the root logger (the logging module's own state);
`setup_logging` replaces the handler it installed before, so calling it twice is harmless.
"""
from __future__ import annotations

import logging
import logging.handlers
from dataclasses import dataclass, field
from pathlib import Path

from app.config import Paths
from app.redaction import SECRETS
from connectors.http import Redactor

LOG_FILE_NAME = "shopsync.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUP_COUNT = 5
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s] %(message)s"

# Marks the handler this module installed so a second setup replaces it instead of doubling.
_OWNER_MARK = "_shopsync_log_file"
_LEVELS_MARK = "_shopsync_levels_before"
# peewee logs every statement with its parameters on this logger at debug level.
SQL_LOGGER = "peewee"


def _with_process_secrets(redactor: Redactor):
    """Mask with `redactor` and with the process's one redactor (app.redaction), so a log
    handler set up before a secret was known still masks it."""
    if redactor is SECRETS:
        return redactor
    return lambda text: SECRETS(redactor(text))


class SecretMaskFilter(logging.Filter):
    """Replaces the record's final message, exception text and stack with masked text.

    The record is rewritten in place (msg formatted, args dropped) because the arguments are
    where secrets usually hide: `log.info("%s", token)` has a clean format string."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = _with_process_secrets(redactor)
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must still be logged, never crash the caller
            message = f"{record.msg!r} % {record.args!r}"
        record.msg = self.redactor(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor(record.exc_text)
        # The formatted text now carries the traceback; dropping exc_info stops a later
        # formatter from rendering the raw (unmasked) exception again.
        record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redactor(record.stack_info)
        return True


class MaskingFormatter(logging.Formatter):
    """Last line of defence: masks the whole formatted line (logger names, extras)."""

    def __init__(self, redactor: Redactor, fmt: str = LOG_FORMAT) -> None:
        super().__init__(fmt)
        self.redactor = _with_process_secrets(redactor)

    def format(self, record: logging.LogRecord) -> str:
        return self.redactor(super().format(record))


class LogFileHandler(logging.handlers.RotatingFileHandler):
    """The log file; when it cannot be written (disk full, read-only folder) logging stops
    quietly instead of printing "--- Logging error ---" and a traceback over the user's
    screen. `problem` keeps why, so messages never point at a log that was not written."""

    problem: BaseException | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.problem is not None:
            return
        super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        import sys
        self.problem = sys.exc_info()[1] or OSError("log file not writable")
        try:
            if self.stream is not None:
                self.stream.close()
        except OSError:
            pass
        self.stream = None


@dataclass
class LogHandle:
    """What `setup_logging` hands back: add secrets as they become known, find the file."""

    redactor: Redactor
    handler: logging.handlers.RotatingFileHandler
    previous_levels: dict[str, int] = field(default_factory=dict)

    @property
    def file(self) -> Path:
        return Path(self.handler.baseFilename)

    @property
    def writable(self) -> bool:
        """True unless writing the log already failed or its folder cannot be written."""
        import os
        folder = self.file.parent
        return (getattr(self.handler, "problem", None) is None and folder.is_dir()
                and os.access(folder, os.W_OK))

    def add(self, secret: str | None) -> None:
        self.redactor.add(secret)

    def close(self) -> None:
        root = logging.getLogger()
        root.removeHandler(self.handler)
        self.handler.close()
        for name, level in self.previous_levels.items():
            logging.getLogger(name or None).setLevel(level)


def setup_logging(paths: Paths, redactor: Redactor | None = None, level: int | str = logging.INFO,
                  *, max_bytes: int = MAX_BYTES, backup_count: int = BACKUP_COUNT) -> LogHandle:
    """Send every log record to `logs/shopsync.log` in the data home, masked and rotated."""
    redactor = redactor if redactor is not None else SECRETS
    try:
        paths.logs.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass      # a read-only home: the handler then records the problem at its first line
    handler = LogFileHandler(
        paths.logs / LOG_FILE_NAME, maxBytes=max_bytes, backupCount=backup_count,
        encoding="utf-8", delay=True)
    handler.addFilter(SecretMaskFilter(redactor))
    handler.setFormatter(MaskingFormatter(redactor))
    setattr(handler, _OWNER_MARK, True)

    root = logging.getLogger()
    previous = {"": root.level, SQL_LOGGER: logging.getLogger(SQL_LOGGER).level}
    for old in [h for h in root.handlers if getattr(h, _OWNER_MARK, False)]:
        # Replacing our own handler: the levels to restore are those from before the first one.
        previous = getattr(old, _LEVELS_MARK, previous)
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    if isinstance(level, str):
        level = logging.getLevelName(level.upper())
    handler.setLevel(level)
    if root.level > level:
        root.setLevel(level)
    # The store's query log carries customers' names and phones as parameters and, at debug
    # level, one line per SQL statement (hundreds of thousands on a first sync): never wanted.
    logging.getLogger(SQL_LOGGER).setLevel(max(logging.INFO, level))
    setattr(handler, _LEVELS_MARK, previous)
    return LogHandle(redactor, handler, previous)
