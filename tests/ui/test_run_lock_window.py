"""COM-09 across processes: the window takes the same run lock as the command line, and the
second runner is told in plain words instead of resuming the same checkpoint."""
from __future__ import annotations

import pytest

from app.store import models as m
from tests.run_lock_holder import held_elsewhere
from tests.ui.wizard_driver import save_sample_profile
from ui.controllers.sync_controller import RunRequest, SyncController
from ui.main_window import MainWindow

TIMEOUT = 60_000


@pytest.fixture
def controller(qtbot, services):
    controller = SyncController(services)
    yield controller
    controller.cancel()
    controller.wait(10_000)


def test_com09_window_run_refused_while_another_process_syncs_the_connection(
        qtbot, services, controller, home):
    profile = save_sample_profile(services, "sapo")
    started, crashed = [], []
    controller.run_started.connect(started.append)
    controller.crashed.connect(crashed.append)
    with held_elsewhere(home.home, profile.name):
        with qtbot.waitSignal(controller.busy_elsewhere, timeout=TIMEOUT) as blocker:
            assert controller.start(RunRequest(profile))
        qtbot.waitUntil(lambda: not controller.is_running(), timeout=TIMEOUT)
    busy = blocker.args[0]
    assert busy.profile == profile.name
    assert "đang được đồng bộ ở nơi khác" in busy.message_vi
    assert "already syncing elsewhere" in busy.message_en
    assert started == [] and crashed == []
    assert m.Run.select().where(m.Run.profile == profile.id).count() == 0   # nothing began
    # Once the other process is done, the same request runs.
    with qtbot.waitSignal(controller.run_finished, timeout=TIMEOUT) as finished:
        assert controller.start(RunRequest(profile))
    assert finished.args[0].status == "done"


def test_com09_window_shows_a_banner_when_another_process_syncs(qtbot, services, home):
    profile = save_sample_profile(services, "sapo")
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.refresh_profiles(profile.name)
    with held_elsewhere(home.home, profile.name):
        with qtbot.waitSignal(window.controller.busy_elsewhere, timeout=TIMEOUT):
            window.start_run(RunRequest(window.profile))
        qtbot.waitUntil(lambda: not window.controller.is_running(), timeout=TIMEOUT)
    assert window.last_notice.key == f"busy:{profile.name}"
    assert "nơi khác" in window.last_notice.text
