"""The Conflicts page offers only what is on screen, in the shop's words (walk findings 7, 8)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from app.store import models as m
from app.sync import events as ev
from ui.i18n import set_language
from ui.pages.conflicts_page import ConflictsPage
from ui.run_words import finished_text

NOW = datetime(2026, 12, 6, 22, 15, tzinfo=timezone.utc)


def _profile() -> m.Profile:
    return m.Profile.create(name="Cửa hàng mẫu", platform="sapo", created_at=NOW)


def _order_conflict(profile, rule="SAPO-09", app_status="cancelled", pos_status="shipped_out",
                    number="#1046") -> m.Conflict:
    app = {"number": number, "status": app_status, "total": "70000"}
    pos = {"number": number, "status": pos_status, "total": "70000"}
    return m.Conflict.create(profile=profile, entity="order", app_id="O1", pos_id="1046",
                             app_data=json.dumps(app), pos_data=json.dumps(pos), rule=rule,
                             created_at=NOW)


@pytest.fixture
def page(qtbot, store):
    widget = ConflictsPage()
    qtbot.addWidget(widget)
    return widget


def test_com04_keep_field_by_field_disabled_without_exactly_one_conflict(page, store):
    profile = _profile()
    page.set_profile(profile.id)
    assert not page.keep_fields.isEnabled()          # no conflicts: nothing to keep
    assert page.header.isHidden()                     # no text pointing at nothing below
    _order_conflict(profile)
    _order_conflict(profile, number="#1047")
    page.refresh()                                    # the first is selected
    assert page.keep_fields.isEnabled()
    page.table.selectAll()
    assert not page.keep_fields.isEnabled()           # two selected: per field is for one
    assert page.field_choices == {}
    page.table.clearSelection()
    assert not page.keep_fields.isEnabled()
    assert not page.keep_app.isEnabled()


def test_com04_order_status_shown_in_words_not_raw_values(page, store):
    profile = _profile()
    _order_conflict(profile)
    page.set_profile(profile.id)
    shown = {page.detail.item(r, column).text() for r in range(page.detail.rowCount())
             for column in (1, 2)}
    assert "Đã huỷ" in shown and "Xuất kho" in shown
    assert "cancelled" not in shown and "shipped_out" not in shown
    set_language("en")
    page.refresh()
    shown = {page.detail.item(r, column).text() for r in range(page.detail.rowCount())
             for column in (1, 2)}
    assert "shipped out" in shown and "shipped_out" not in shown


def test_sapo09_keep_app_on_locked_order_says_pos_stays_as_it_is(page, store):
    profile = _profile()
    _order_conflict(profile, rule="SAPO-09")
    page.set_profile(profile.id)
    assert "POS giữ nguyên" in page.keep_app.text()
    assert "SAPO-09" in page.keep_app.toolTip()
    m.Conflict.update(rule="COM-04").execute()
    page.refresh()
    assert "POS giữ nguyên" not in page.keep_app.text()


def test_com04_run_summary_counts_a_conflict_once():
    counts = {"ok": 0, "failed": 0, "skipped": 1, "by_action": {"conflict": 1}}
    finished = ev.RunFinished(6, "done", counts, 0, 0.1, "Xong.", "Done.")
    text = finished_text(finished)
    assert "1 xung đột" in text and "0 bỏ qua" in text
