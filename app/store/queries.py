"""Read-only questions the window and the command line ask of the store, in one place, so
neither face writes SQL of its own (and large reads stay where they can be measured)."""
from __future__ import annotations

from app.store import models as m


def last_run_with_failures(profile_id: int) -> int | None:
    """The latest run of the profile that has a failed item (what "retry" repeats)."""
    row = (m.Run.select(m.Run.id).join(m.ItemResult, on=(m.ItemResult.run == m.Run.id))
           .where((m.Run.profile == profile_id) & (m.ItemResult.outcome == "failed"))
           .order_by(m.Run.id.desc()).first())
    return None if row is None else row.id
