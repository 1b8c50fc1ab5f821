"""The bookkeeping of a preview for a connection that is not saved yet (COM-03).

It reads like a brand-new profile (no links, no checkpoints, no earlier runs) and writes
nothing, so the preview never opens a write transaction while it waits for the POS and a
sync in another process is never held up by it (the old preview rolled back a fake profile
row and held the database's write lock for the whole dry run).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from app.sync.ledger import Ledger

UNSAVED_PROFILE_ID = 0          # no saved profile has it: every read finds nothing


@dataclass
class UnsavedRun:
    """Stands in for the run row: results carry its id, nothing stores it."""

    id: int = 0
    status: str = "running"
    resumed_from: Any = None


class PreviewLedger(Ledger):
    """Ledger whose writes go nowhere; reads are the normal ones for an unsaved profile."""

    def start_run(self, kind: str, entities: Iterable[Any], dry_run: bool,
                  resumed_from: Any = None) -> UnsavedRun:
        return UnsavedRun()

    def finish_run(self, run: Any, status: str, counts: dict, request_count: int,
                   error: str = "", *args: Any, **kwargs: Any) -> None:
        run.status = status

    def add_result(self, run: Any, **values: Any) -> None:
        return None

    def add_results(self, rows: list[tuple]) -> None:
        return None

    def add_changes(self, rows: list[tuple]) -> None:
        return None

    def add_change(self, *args: Any, **kwargs: Any) -> None:
        return None

    def write_links(self, new: list, changed: Iterable[Any]) -> None:
        return None

    def save_link(self, *args: Any, **kwargs: Any) -> None:
        return None

    def update_link(self, link: Any, **changes: Any) -> Any:
        return link

    def save_checkpoint(self, *args: Any, **kwargs: Any) -> None:
        return None

    def save_resume(self, *args: Any, **kwargs: Any) -> None:
        return None

    def add_intent(self, *args: Any, **kwargs: Any) -> None:
        return None

    def drop_intent(self, *args: Any, **kwargs: Any) -> None:
        return None

    def add_conflict(self, *args: Any, **kwargs: Any) -> None:
        return None
