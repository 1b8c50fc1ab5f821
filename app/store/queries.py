"""Read-only questions the window and the command line ask of the store, in one place, so
neither face writes SQL of its own (and large reads stay where they can be measured)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import peewee as pw

from app.store import models as m
from app.sync.events import Outcome, RunKind


def last_run_with_failures(profile_id: int) -> int | None:
    """The latest run of the profile that has a failed item (what "retry" repeats)."""
    row = (m.Run.select(m.Run.id).join(m.ItemResult, on=(m.ItemResult.run == m.Run.id))
           .where((m.Run.profile == profile_id) & (m.ItemResult.outcome == Outcome.FAILED))
           .order_by(m.Run.id.desc()).first())
    return None if row is None else row.id


# -- item results (COM-06): the Results page and `shopsync results` ------------------------------

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
    """One stored item result as plain data (what a view or an export holds)."""

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


RESULT_ORDER = (m.ItemResult.id.desc(),)       # newest first


def matching_results(wanted: ResultFilter, by_id: bool = False) -> pw.ModelSelect:
    """The results that match `wanted`; filters and search are SQL, so a 100,000-row run is
    read a page at a time. `by_id`: the shape for reading in id order (`result_chunks`)."""
    R = m.ItemResult
    query = R.select()
    if wanted.profile_id is not None and by_id:
        # `+run_id`: SQLite then walks the results by id (no sort of every earlier row per
        # chunk) and only checks each one's run; the join would read by run and sort.
        runs = m.Run.select(m.Run.id).where(m.Run.profile == wanted.profile_id)
        query = query.where(pw.NodeList((pw.SQL("+"), R.run), glue="").in_(runs))
    elif wanted.profile_id is not None:
        query = query.join(m.Run).where(m.Run.profile == wanted.profile_id)
    if wanted.run_id is not None:
        query = query.where(R.run == wanted.run_id)
    for name in ("entity", "action", "outcome", "rule"):
        value = getattr(wanted, name)
        if value:
            query = query.where(getattr(R, name) == value)
    if wanted.search:
        like = f"%{wanted.search}%"
        query = query.where(R.name ** like | R.app_id ** like | R.pos_id ** like
                            | R.message_vi ** like | R.message_en ** like)
    return query


def result_page(wanted: ResultFilter, order: Sequence[Any] = RESULT_ORDER, offset: int = 0,
                limit: int = 500) -> list[ResultRow]:
    query = matching_results(wanted).order_by(*order).offset(offset).limit(limit)
    return [result_row(row) for row in query]


def count_results(wanted: ResultFilter) -> int:
    return matching_results(wanted).count()


def each_result(wanted: ResultFilter) -> Iterator[ResultRow]:
    """Every matching row, newest first, without holding them all in memory."""
    for row in matching_results(wanted).order_by(*RESULT_ORDER).iterator():
        yield result_row(row)


# Rows per read of an export: a 100,000-row run is read 2,000 at a time, so an export starts
# writing at once and holds one chunk, never the whole run (issue 21 point 5).
RESULT_CHUNK = 2000
_RESULT_FIELDS = (m.ItemResult.id, m.ItemResult.run, m.ItemResult.entity,
                  m.ItemResult.direction, m.ItemResult.app_id, m.ItemResult.pos_id,
                  m.ItemResult.name, m.ItemResult.action, m.ItemResult.outcome,
                  m.ItemResult.rule, m.ItemResult.message_vi, m.ItemResult.message_en,
                  m.ItemResult.at)


def result_chunks(wanted: ResultFilter, newest_first: bool = True,
                  size: int | None = None) -> Iterator[list[ResultRow]]:
    """The matching results a chunk of `size` at a time, by id (keyset: each read starts
    after the last id of the one before, so the 50th chunk costs what the first did and no
    read stays open while the caller writes). Newest first as the window shows them, or
    oldest first (the order a run wrote them: `shopsync results`)."""
    size = size or RESULT_CHUNK
    last: int | None = None
    while True:
        query = result_chunk_query(wanted, newest_first, last, size)
        chunk = [ResultRow(*values) for values in query.tuples()]
        if not chunk:
            return
        yield chunk
        if len(chunk) < size:
            return
        last = chunk[-1].id


def result_chunk_query(wanted: ResultFilter, newest_first: bool, after: int | None,
                       size: int) -> pw.ModelSelect:
    """One chunk of `result_chunks`: the next `size` results past id `after`."""
    R = m.ItemResult
    query = matching_results(wanted, by_id=True).select(*_RESULT_FIELDS)
    if after is not None:
        query = query.where(R.id < after if newest_first else R.id > after)
    return query.order_by(R.id.desc() if newest_first else R.id).limit(size)


def result_values(field_name: str) -> list[str]:
    """The distinct non-empty values of one result column (for filter choices)."""
    field = getattr(m.ItemResult, field_name)
    return [value for (value,) in m.ItemResult.select(field).distinct().order_by(field)
            .tuples() if value]


def result_row(row: m.ItemResult, kind: type[ResultRow] = ResultRow) -> ResultRow:
    """`kind`: a subclass a view adds display helpers to."""
    return kind(row.id, row.run_id, row.entity, row.direction, row.app_id, row.pos_id,
                     row.name, row.action, row.outcome, row.rule, row.message_vi,
                     row.message_en, row.at)


# -- runs, conflicts, links: the window's status lines --------------------------------------------

def last_sync_run(profile_id: int) -> m.Run | None:
    """The latest real (not preview) sync of the profile."""
    return (m.Run.select().where((m.Run.profile == profile_id) & (m.Run.kind == RunKind.SYNC)
                                 & (m.Run.dry_run == False))  # noqa: E712
            .order_by(m.Run.id.desc()).first())


def recent_run_endings(profile_id: int, limit: int = 10) -> list[tuple[str, str, str]]:
    """(status, error_vi, error_en) of the latest real runs, newest first."""
    runs = (m.Run.select(m.Run.status, m.Run.error)
            .where((m.Run.profile == profile_id) & (m.Run.dry_run == False))  # noqa: E712
            .order_by(m.Run.id.desc()).limit(limit))
    endings = []
    for run in runs:
        vi, _, en = (run.error or "").partition("\n")
        endings.append((run.status, vi, en or vi))
    return endings


def open_conflict_count(profile_id: int) -> int:
    return m.Conflict.select().where((m.Conflict.profile == profile_id)
                                     & (m.Conflict.status == "open")).count()


def pos_ids(profile_id: int, entity: str, app_ids: Sequence[str]) -> dict[str, str]:
    """App id → POS id of the linked ones among `app_ids`."""
    query = (m.Link.select(m.Link.app_id, m.Link.pos_id)
             .where((m.Link.profile == profile_id) & (m.Link.entity == entity)
                    & (m.Link.app_id.in_(list(app_ids)))))
    return {link.app_id: link.pos_id for link in query}
