"""Per-item results of sync runs (COM-06), lazily loaded and filtered in SQL."""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QRunnable, QThreadPool, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from app.caveats import UnknownRule, caveat
from app.store import models as m
from app.store import queries
from app.store.queries import ResultFilter
from ui.run_words import without_rule_ids
from ui.vietnamese import when_text
from ui.i18n import (action_name, direction_arrow, entity_name, language, outcome_name, pick,
                     tr)
from ui.models.lazy_query import Column, LazyQueryModel


@dataclass(frozen=True)
class ResultRow(queries.ResultRow):
    @property
    def message(self) -> str:
        # The rule ID has its own column (and the tooltip): the sentence reads without it.
        return without_rule_ids(pick(self.message_vi, self.message_en))


# How often a background export says how far it got (rows).
EXPORT_PROGRESS_EVERY = 10_000


def _counting(rows, progress):
    for done, row in enumerate(rows, start=1):
        yield row
        if done % EXPORT_PROGRESS_EVERY == 0:
            progress(done)


_OUTCOME_COLOURS = {"failed": "#c62828", "ok": "#2e7d32", "skipped": "#757575"}


def _columns() -> list[Column]:
    R = m.ItemResult
    return [
        Column("run_id", lambda: tr("results.col.run"), R.run),
        Column("entity", lambda: tr("results.col.entity"), R.entity, entity_name),
        Column("direction", lambda: tr("results.col.direction"), R.direction, direction_arrow),
        Column("name", lambda: tr("results.col.name"), R.name),
        Column("app_id", lambda: tr("results.col.app_id"), R.app_id),
        Column("pos_id", lambda: tr("results.col.pos_id"), R.pos_id),
        Column("action", lambda: tr("results.col.action"), R.action, action_name),
        Column("outcome", lambda: tr("results.col.outcome"), R.outcome, outcome_name),
        Column("rule", lambda: tr("results.col.rule"), R.rule),
        Column("message", lambda: tr("results.col.message"), None),
        Column("at", lambda: tr("results.col.at"), R.at, _short_time),
    ]


def _short_time(value) -> str:
    """dd/MM/yyyy HH:mm in local time, as every date of the window."""
    return when_text(value) if value is not None else ""


class _CountResults(QRunnable):
    """Counts the matching results in a pool thread: a search over 100,000 rows takes longer
    than a frame (65 ms measured), so the window does not wait for it."""

    def __init__(self, wanted: ResultFilter, generation: int, report) -> None:
        super().__init__()
        self.wanted, self.generation, self.report = wanted, generation, report

    def run(self) -> None:
        from ui.controllers.background import _close_thread_db
        try:
            count = queries.count_results(self.wanted)
        except Exception:  # noqa: BLE001 - a count is a hint; the rows still show
            count = -1
        finally:
            _close_thread_db()
        try:
            self.report(self.generation, count)
        except RuntimeError:      # the page closed meanwhile: nobody waits for the count
            pass


class ResultsModel(LazyQueryModel):
    # (rows matching the current filter) — from `count_later`, on the window's thread.
    counted = Signal(int)
    _count_ready = Signal(int, int)     # (generation, count) from the pool thread

    def __init__(self, parent=None) -> None:
        super().__init__(_columns(), parent)
        self.filter = ResultFilter()
        self._count_generation = 0
        self._count_ready.connect(self._deliver_count)

    def count_later(self) -> None:
        """Count the rows matching the filter off the window's thread; `counted` follows. An
        older count still running when the filter changes is dropped."""
        self._count_generation += 1
        QThreadPool.globalInstance().start(
            _CountResults(self.filter, self._count_generation, self._count_ready.emit))

    def _deliver_count(self, generation: int, count: int) -> None:
        if generation == self._count_generation and count >= 0:
            self.counted.emit(count)

    def set_filter(self, **changes) -> None:
        self.filter = replace(self.filter, **changes)
        self.reload()

    def base_query(self):
        return queries.matching_results(self.filter)

    def default_order(self):
        return list(queries.RESULT_ORDER)

    def convert(self, row) -> ResultRow:
        return queries.result_row(row, ResultRow)

    def extra_data(self, row: ResultRow, column: Column, role: int):
        if role == Qt.ItemDataRole.ForegroundRole and column.key == "outcome":
            colour = _OUTCOME_COLOURS.get(row.outcome)
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.ToolTipRole and column.key in ("rule", "message") and row.rule:
            try:
                note = caveat(row.rule, language())
            except UnknownRule:
                return row.message
            return f"<b>{note.title}</b> ({row.rule})<br>{note.text}"
        if role == Qt.ItemDataRole.ToolTipRole and column.key == "message":
            return row.message
        if role == Qt.ItemDataRole.ToolTipRole and column.key == "action":
            # The column is narrower than "Đã gỡ (khôi phục được)" so the message fits.
            from ui.i18n import action_name
            return action_name(row.action)
        return None

    def export_csv(self, path: Path, progress=None) -> int:
        """Every matching row, not only the loaded ones (B-03), as CSV or .xlsx by the file's
        suffix, through the one formula-safe table writer (app/tables.py), every text cell
        through the redactor (COM-07). Rows are read 2,000 at a time and streamed, so a
        100,000-row run is never held whole; safe to call off the window's thread.
        `progress(rows_so_far)` is called every EXPORT_PROGRESS_EVERY rows."""
        from app.file_commands import RESULT_COLUMNS, result_table_rows
        from app.redaction import redact
        from app.tables import write_table
        rows = result_table_rows(self.filter, newest_first=True)
        if progress is not None:
            rows = _counting(rows, progress)
        return write_table(path, RESULT_COLUMNS, rows, sheet="Kết quả", redact=redact)

    def distinct(self, field_name: str) -> list[str]:
        return queries.result_values(field_name)
