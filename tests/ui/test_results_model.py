"""The results table stays lazy at 100,000 rows (COM-06): pages load as the view scrolls."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from PySide6.QtWidgets import QTableView

from app.store import models as m
from ui.models.lazy_query import SqlSortProxy
from ui.models.results_model import ResultsModel

N = 100_000


@pytest.fixture
def many_results(store):
    now = datetime.now(timezone.utc)
    profile = m.Profile.create(name="Nhiều kết quả", platform="sapo", created_at=now)
    run = m.Run.create(profile=profile, started_at=now)
    rows = [(run.id, "product" if i % 2 else "customer", "pos_to_app", f"P{i:06d}", str(i),
             f"Sản phẩm {i}", "create" if i % 10 else "update",
             "failed" if i % 100 == 0 else "ok", "SAPO-08" if i % 1000 == 0 else "", "", "",
             now.isoformat()) for i in range(N)]
    with store.atomic():
        store.connection().executemany(
            "INSERT INTO item_result (run_id, entity, direction, app_id, pos_id, name, action,"
            " outcome, rule, message_vi, message_en, at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    return profile, run


def test_com06_100k_results_load_lazily_as_the_view_asks(qtbot, many_results):
    profile, run = many_results
    model = ResultsModel()
    model.set_filter(profile_id=profile.id)
    assert model.rowCount() == ResultsModel.PAGE           # one page, not 100,000 rows
    assert model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() == 2 * ResultsModel.PAGE
    assert model.total() == N
    first = model.row_at(0)
    assert first.app_id == f"P{N - 1:06d}"                  # newest first


def test_com06_results_view_scrolled_to_the_end_fetches_more(qtbot, many_results):
    profile, _run = many_results
    model = ResultsModel()
    proxy = SqlSortProxy()
    proxy.setSourceModel(model)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.resize(800, 400)
    view.show()
    model.set_filter(profile_id=profile.id)
    before = model.rowCount()
    view.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() > before, timeout=5000)
    assert model.rowCount() < N


def test_com06_results_filters_run_in_sql_over_all_rows(qtbot, many_results):
    profile, _run = many_results
    model = ResultsModel()
    model.set_filter(profile_id=profile.id, outcome="failed")
    assert model.total() == N // 100
    model.set_filter(rule="SAPO-08")
    assert model.total() == N // 1000
    assert all(model.row_at(i).rule == "SAPO-08" for i in range(model.rowCount()))
    model.set_filter(rule="", outcome="", search="Sản phẩm 4242")
    assert {model.row_at(i).name for i in range(model.rowCount())} >= {"Sản phẩm 4242"}


def test_com06_sorting_goes_to_sql(qtbot, many_results):
    from PySide6.QtCore import Qt
    profile, _run = many_results
    model = ResultsModel()
    proxy = SqlSortProxy()
    proxy.setSourceModel(model)
    model.set_filter(profile_id=profile.id)
    name_column = [c.key for c in model.columns].index("app_id")
    proxy.sort(name_column, Qt.SortOrder.AscendingOrder)
    assert model.row_at(0).app_id == "P000000"
    assert model.rowCount() == ResultsModel.PAGE
