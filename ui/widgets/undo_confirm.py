"""The question asked before "Hoàn tác lần chạy cuối" (B-02): what the undo would change, per
entity, from the same plan the command line prints (app/sync/undo.py). One function, so a
restyled page can ask it the same way."""
from __future__ import annotations

from typing import Any

from ui.i18n import pick, tr


def undo_question(profile: Any) -> tuple[str, bool, Any]:
    """(text, allowed, plan): the confirm text with the counts when the undo may go ahead;
    else the explanation of why nothing will be undone (show it, ask nothing)."""
    from app.sync.undo import plan_undo
    plan = plan_undo(profile)
    summary = pick(*plan.explanation())
    if not plan.allowed:
        return summary, False, plan
    lines = "\n".join(f"• {pick(vi, en)}" for vi, en in plan.entity_lines())
    return (f"{summary}\n\n{lines}\n\n{records_text(plan)}\n\n{tr('sync.undo_confirm')}",
            True, plan)


def records_text(plan: Any) -> str:
    """The records the undo touches, named as `shopsync undo --dry-run` names them (entity,
    name, what happens), the first NAMES_SHOWN and then "và N bản ghi khác": counts alone do
    not tell the owner which products would change."""
    from app.sync.undo import PLANNED_WORDS
    from ui.i18n import entity_name
    from ui.run_words import NAMES_SHOWN
    lines = [f"  {entity_name(item.entity.value)} {item.name or item.app_id} — "
             f"{pick(*PLANNED_WORDS[item.action])}" for item in plan.items[:NAMES_SHOWN]]
    rest = len(plan.items) - NAMES_SHOWN
    if rest > 0:
        lines.append("  " + tr("undo.more_records", n=rest))
    return "\n".join([tr("undo.records"), *lines])


def restore_question(profile: Any) -> tuple[str, bool]:
    """(text, allowed) before "Khôi phục bản ghi đã gỡ": how many records the latest undo
    removed that would come back, or why there is nothing to restore."""
    from app.sync.undo import recycled
    waiting = recycled(profile.id)
    if not waiting:
        return pick("Không có bản ghi nào do hoàn tác gỡ ra để khôi phục.",
                    "There is nothing removed by an undo to restore."), False
    latest = [r for r in waiting if r.undo_run_id == waiting[0].undo_run_id]
    return pick(f"Đưa lại {len(latest)} bản ghi mà lần hoàn tác gần nhất đã gỡ vào App?",
                f"Bring back the {len(latest)} records the latest undo removed?"), True
