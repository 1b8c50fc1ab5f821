"""The window's results export of a large run streams off the window's thread (issue 21
point 5, COM-06, B-03): the window keeps answering, says how far it got and when it is done,
and every written cell passes the redactor (COM-07)."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

from app.redaction import learn
from app.store import models as m

SECRET = "tok-window-1a2b3c"


def _run(rows: int) -> m.Profile:
    at = datetime(2026, 12, 6, 3, 4, tzinfo=timezone.utc)
    profile = m.Profile.create(name="p", platform="sapo", created_at=at)
    run = m.Run.create(profile=profile, started_at=at)
    m.ItemResult.insert_many([{"run": run.id, "entity": "product", "direction": "pos_to_app",
                               "name": f"Cà phê {i}", "action": "create", "outcome": "ok",
                               "message_vi": f"token={SECRET}", "message_en": "ok", "at": at}
                              for i in range(rows)]).execute()
    return profile


def test_com06_window_results_export_runs_off_the_window_thread_with_progress(
        qtbot, store, tmp_path, monkeypatch):
    import ui.models.results_model as results_model
    from ui.pages.results_page import ResultsPage
    monkeypatch.setattr(results_model, "EXPORT_PROGRESS_EVERY", 10)
    learn(SECRET)
    profile = _run(25)
    page = ResultsPage()
    qtbot.addWidget(page)
    page.set_profile(profile.id)
    threads, messages = [], []
    page.message.connect(messages.append)
    real = page.model.export_csv

    def export_csv(path, progress=None):
        threads.append(threading.current_thread())
        return real(path, progress=progress)
    monkeypatch.setattr(page.model, "export_csv", export_csv)
    target = tmp_path / "kq.csv"
    with qtbot.waitSignal(page.export_finished, timeout=20_000) as done:
        page.export_later(target)
        assert not page.export_button.isEnabled()          # one export at a time
    page._export_jobs.wait_all()
    assert done.args == [25]
    assert threads and threads[0] is not threading.main_thread()
    assert page.export_button.isEnabled()
    assert any("10" in text for text in messages[1:-1])   # progress on the way
    assert str(target) in messages[-1] and "25" in messages[-1]          # done, and where
    text = target.read_text(encoding="utf-8-sig")
    assert len(text.splitlines()) == 26 and SECRET not in text and "token=***" in text


def test_com06_window_results_export_that_cannot_write_says_what_to_do(qtbot, store,
                                                                       tmp_path):
    from ui.pages.results_page import ResultsPage
    profile = _run(3)
    page = ResultsPage()
    qtbot.addWidget(page)
    page.set_profile(profile.id)
    messages = []
    page.message.connect(messages.append)
    with qtbot.waitSignal(page.export_finished, timeout=20_000) as done:
        page.export_later(tmp_path / "missing-folder" / "kq.csv")
    page._export_jobs.wait_all()
    assert done.args == [-1] and page.export_button.isEnabled()
    said = messages[-1]
    assert "missing-folder" in said and ("export again" in said or "xuất lại" in said)


def test_com06_closing_waits_for_an_export_still_writing_so_its_file_is_whole(qtbot, store,
                                                                             tmp_path):
    from ui.pages.results_page import ResultsPage
    profile = _run(3000)
    page = ResultsPage()
    qtbot.addWidget(page)
    page.set_profile(profile.id)
    target = tmp_path / "kq.csv"
    page.export_later(target)
    page.finish_export()                       # what the main window's close does
    assert not page._export_jobs.busy() or all(job.isFinished()
                                               for job in page._export_jobs._running)
    assert len(target.read_text(encoding="utf-8-sig").splitlines()) == 3001
