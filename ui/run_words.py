"""One plain sentence for each state of a run, as the owner at the counter reads it.

The engine's events carry internal keys ("product", "pos_to_app") and its messages may name a
rule ("(COM-04)"); the owner reads entity names, arrows and sentences, and rule IDs stay in the
Results' rule column and in tooltips for support staff.
"""
from __future__ import annotations

import re
from datetime import datetime

from app.sync import events as ev
from contract.records import Entity
from ui.i18n import TEXTS, direction_arrow, entity_name, pick, tr
from ui.vietnamese import clock_text

_RULE = re.compile(r"\s*\(?\b(?:COM|SAPO|KVF|NH|B)-\d{1,2}\b\)?")


def without_rule_ids(text: str) -> str:
    """'Bỏ qua: chỉ đồng bộ lần đầu (NH-08); …' → 'Bỏ qua: chỉ đồng bộ lần đầu; …'."""
    cleaned = _RULE.sub("", text or "")
    cleaned = re.sub(r"\(\s*\)", "", cleaned)
    return re.sub(r"\s+([;:,.])", r"\1", cleaned).strip()


def platform_entities(platform, entities) -> list[str]:
    """The entities of a run that the platform has at all (no "news" for KiotViet)."""
    names = []
    for key in entities or ():
        try:
            cap = platform.entities.get(Entity(key)) if platform is not None else True
        except ValueError:
            cap = None
        if cap is None or getattr(cap, "direction", None) is not None and cap.direction.value == "none":
            continue
        names.append(entity_name(key))
    return names


def started_text(event, platform=None) -> str:
    names = platform_entities(platform, event.entities)
    if event.kind == "sync" and names:
        return tr("run.starting", entities=", ".join(names))
    key = f"run.kind.{event.kind}"
    return tr(key) if key in TEXTS else tr("run.starting_plain")


def progress_text(event) -> str:
    name, arrow = entity_name(event.entity), direction_arrow(event.direction)
    if not event.done and not event.total:
        return tr("run.reading", entity=name, direction=arrow)
    if event.total:
        return tr("sync.running", entity=name, direction=arrow, done=event.done,
                  total=event.total)
    return tr("sync.running_nototal", entity=name, direction=arrow, done=event.done)


def waiting_text(event: ev.Waiting, platform_name: str) -> str:
    try:
        until = clock_text(datetime.fromisoformat(event.until))
    except ValueError:
        until = ""
    if event.reason == ev.WaitReason.RETRY:
        return tr("run.retrying", platform=platform_name, n=max(event.attempt, 1), at=until)
    return tr("run.waiting_limit", platform=platform_name, at=until)


NAMES_SHOWN = 10


def names_text(names: list[str], limit: int = NAMES_SHOWN) -> str:
    """"#1046, #1047 và 3 bản ghi khác": the records named, as the command line names them,
    without a dialog taller than the screen."""
    shown = ", ".join(names[:limit])
    rest = len(names) - limit
    return tr("common.names_more", names=shown, n=rest) if rest > 0 else shown


def counts_text(counts: dict) -> str:
    """"done 0, failed 0, conflicts 1, skipped 0": a conflict's item has outcome "skipped"
    too, so it is counted under conflicts only — one item, one count (walk finding 8)."""
    conflicts = int((counts.get("by_action") or {}).get("conflict", 0) or 0)
    skipped = max(int(counts.get("skipped", 0) or 0) - conflicts, 0)
    return tr("sync.counts", ok=counts.get("ok", 0), failed=counts.get("failed", 0),
              conflict=conflicts, skipped=skipped)


# Runs whose own sentence says what they did ("Đã hoàn tác: trả lại 1, gỡ 0 …"): "Đồng bộ
# xong: 1 thành công" after an undo would tell the owner a sync ran (walk finding 5).
SAYS_ITSELF = {ev.RunKind.UNDO.value, ev.RunKind.RESTORE.value}


def finished_text(event, kind: str = "") -> str:
    """The run's end in one sentence: the engine's own sentence, without wrapping it again.
    `kind` is the run's kind (RunStarted.kind) when known."""
    message = without_rule_ids(pick(event.message_vi, event.message_en))
    counts = event.counts or {}
    if event.status == "cancelled":
        return tr("run.stopped")
    if event.status == "done" and str(getattr(kind, "value", kind)) in SAYS_ITSELF and message:
        return message
    if event.status == "done":
        return tr("sync.finished", summary=counts_text(counts))
    if event.status == "interrupted":
        return message or tr("run.interrupted")
    return message or tr("run.failed")
