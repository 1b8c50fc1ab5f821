"""The Overview never says "all good" while the App and the POS differ (walk finding 4)."""
from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone

import pytest

from app.health import Reason, State
from app.store import models as m
from contract.records import Entity
from tests.ui.window_driver import run_and_wait
from tests.ui.wizard_driver import save_sample_profile
from ui.main_window import HOME


def test_com04_overview_counts_app_changes_not_on_the_pos_yet(qtbot, services, window):  # noqa: F811
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    run_and_wait(qtbot, window, lambda: window.sync_page.all_button.click())
    assert window.health(profile).state is State.GOOD, window.health(profile).reasons
    link = m.Link.select().where((m.Link.entity == "product")).first()
    catalog = services.catalog()
    record = catalog.get(Entity.PRODUCT, link.app_id)
    catalog.put(Entity.PRODUCT, dataclasses.replace(record, name="Tên sửa trong App"))
    window.nav.setCurrentRow(HOME)
    window.home_page.show_health(window.health(profile), None)
    health = window.home_page.health
    assert health.state is State.ATTENTION
    assert health.reason is Reason.APP_CHANGES and health.unsent == 1
    assert window.home_page.reason.text().startswith("1 thay đổi trong App chưa lên POS")
    assert window.home_page.action.text() == "Đồng bộ"
    run_and_wait(qtbot, window, lambda: window.sync_page.all_button.click())
    assert window.health(profile).state is State.GOOD, window.health(profile).reasons


def test_sapo09_overview_names_locked_orders_kept_as_in_the_app(qtbot, services, window):  # noqa: F811
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    run_and_wait(qtbot, window, lambda: window.sync_page.all_button.click())
    link = m.Link.select().where(m.Link.entity == "order").first()
    assert link is not None
    m.Link.update(app_fingerprint="app-cancelled").where(m.Link.id == link.id).execute()
    m.Conflict.create(profile=profile.id, entity="order", app_id=link.app_id,
                      pos_id=link.pos_id, app_data=json.dumps({"number": "#1046"}),
                      pos_data="{}", rule="SAPO-09", status="resolved", resolution="app",
                      created_at=datetime.now(timezone.utc))
    window.nav.setCurrentRow(HOME)
    window.home_page.show_health(window.health(profile), None)
    health = window.home_page.health
    assert health.state is State.ATTENTION
    assert Reason.POS_LOCKED in health.reasons
    assert health.locked == ("#1046",)
    if health.reason is Reason.POS_LOCKED:
        assert "#1046" in window.home_page.reason.text()
    # the POS taking the App's values (fingerprints equal again) ends it
    m.Link.update(app_fingerprint=link.pos_fingerprint).where(m.Link.id == link.id).execute()
    assert Reason.POS_LOCKED not in window.health(profile).reasons


def test_com04_overview_not_all_good_after_undoing_a_keep_pos(qtbot, services, window):  # noqa: F811
    """Walk finding 4: keep POS, then undo it: the App has its own value back and the POS
    still has the other, so the Overview must not say everything is in step."""
    from tests.ui.test_main_window import _make_conflict
    from ui.main_window import CONFLICTS
    _make_conflict(services, window, qtbot)
    profile = window.profile
    window.nav.setCurrentRow(CONFLICTS)
    page = window.conflicts_page
    page.table.selectRow(0)
    run_and_wait(qtbot, window, lambda: page.keep_pos.click())
    assert window.health(profile).state is State.GOOD, window.health(profile).reasons
    run_and_wait(qtbot, window, lambda: window.sync_page.undo_button.click())
    health = window.health(profile)
    assert health.state is State.ATTENTION, health.reasons
    assert Reason.APP_CHANGES in health.reasons or Reason.CONFLICTS in health.reasons
