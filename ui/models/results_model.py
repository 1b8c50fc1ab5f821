"""Per-item results of sync runs (COM-06), lazily loaded and filtered in SQL."""
from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from app.caveats import UnknownRule, caveat
from app.store import models as m
from ui.run_words import without_rule_ids
from ui.vietnamese import when_text
from ui.i18n import (action_name, direction_arrow, entity_name, language, outcome_name, pick,
                     tr)
from ui.models.lazy_query import Column, LazyQueryModel


@dataclass(frozen=True)
class ResultFilter:
    profile_id: int | None = None
    run_id: int | None = None
    entity: str = ""
    action: str = ""
    outcome: str = ""
    rule: str = ""
    search: str = ""


@dataclass(frozen=True)
class ResultRow:
    id: int
    run_id: int
    entity: str
    direction: str
    app_id: str
    pos_id: str
    name: str
    action: str
    outcome: str
    rule: str
    message_vi: str
    message_en: str
    at: object

    @property
    def message(self) -> str:
        # The rule ID has its own column (and the tooltip): the sentence reads without it.
        return without_rule_ids(pick(self.message_vi, self.message_en))


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


class ResultsModel(LazyQueryModel):
    def __init__(self, parent=None) -> None:
        super().__init__(_columns(), parent)
        self.filter = ResultFilter()

    def set_filter(self, **changes) -> None:
        self.filter = replace(self.filter, **changes)
        self.reload()

    def base_query(self):
        R, f = m.ItemResult, self.filter
        query = R.select()
        if f.profile_id is not None:
            query = query.join(m.Run).where(m.Run.profile == f.profile_id)
        if f.run_id is not None:
            query = query.where(R.run == f.run_id)
        if f.entity:
            query = query.where(R.entity == f.entity)
        if f.action:
            query = query.where(R.action == f.action)
        if f.outcome:
            query = query.where(R.outcome == f.outcome)
        if f.rule:
            query = query.where(R.rule == f.rule)
        if f.search:
            like = f"%{f.search}%"
            query = query.where(R.name ** like | R.app_id ** like | R.pos_id ** like
                                | R.message_vi ** like | R.message_en ** like)
        return query

    def default_order(self):
        return [m.ItemResult.id.desc()]

    def convert(self, row) -> ResultRow:
        return ResultRow(row.id, row.run_id, row.entity, row.direction, row.app_id, row.pos_id,
                         row.name, row.action, row.outcome, row.rule, row.message_vi,
                         row.message_en, row.at)

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
        return None

    def export_csv(self, path: Path) -> int:
        """Every matching row, not only the loaded ones (B-03). Returns the row count."""
        query = self.base_query().order_by(*self.default_order())
        count = 0
        with open(path, "w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(["run", "entity", "direction", "app_id", "pos_id", "name", "action",
                             "outcome", "rule", "message_vi", "message_en", "at"])
            for row in query.iterator():
                writer.writerow([row.run_id, row.entity, row.direction, row.app_id, row.pos_id,
                                 row.name, row.action, row.outcome, row.rule, row.message_vi,
                                 row.message_en, row.at])
                count += 1
        return count

    def distinct(self, field_name: str) -> list[str]:
        field = getattr(m.ItemResult, field_name)
        return [value for (value,) in m.ItemResult.select(field).distinct().order_by(field)
                .tuples() if value]
