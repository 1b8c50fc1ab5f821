"""The one run service (app/session.py) both faces call: it builds the connector, holds the
run lock for the whole run and reports the engine's events (COM-09, B-01)."""
from __future__ import annotations

import asyncio

import pytest

from app.session import RunInProgress, RunKind, RunRequest, ShopSession
from app.store.profiles import create_profile
from app.sync import events as ev
from app.sync.run_lock import run_lock
from contract.records import Entity, Product
from tests.fakes import FAKE_HTTP


@pytest.fixture
def session(home, store, secrets) -> ShopSession:
    return ShopSession(home.home, store, secrets, platform_lookup=lambda key: FAKE_HTTP)


@pytest.fixture
def sample(session):
    profile = create_profile("Cửa hàng mẫu", "fake-http", options={"sandbox": True},
                             lookup=lambda key: FAKE_HTTP)
    session.sample_shop(FAKE_HTTP).state.put(Entity.PRODUCT, Product(key="", name="Bánh mì"))
    return profile


def test_b01_session_yields_the_engine_events_of_a_sample_shop_sync(session, sample):
    async def collect():
        return [event async for event in session.events(RunRequest(sample, RunKind.SYNC,
                                                                    entities=("product",)))]
    events = asyncio.run(collect())
    assert isinstance(events[0], ev.RunStarted) and isinstance(events[-1], ev.RunFinished)
    assert events[-1].status == ev.RunStatus.DONE
    created = [e for e in events if isinstance(e, ev.ItemResult)]
    assert [(e.action, e.outcome) for e in created] == [("create", "ok")]


def test_com09_session_holds_the_run_lock_for_the_whole_run(session, sample, home):
    seen_locked = []

    def emit(event) -> None:
        if isinstance(event, ev.ItemResult):
            try:
                with run_lock(home.home, sample.name):
                    seen_locked.append(False)
            except RunInProgress:
                seen_locked.append(True)
    asyncio.run(session.run(RunRequest(sample, entities=("product",)), emit))
    assert seen_locked == [True]
    with run_lock(home.home, sample.name):      # released afterwards
        pass


def test_com09_session_refuses_a_run_while_the_connection_is_locked(session, sample, home):
    with run_lock(home.home, sample.name):
        for kind in RunKind:
            with pytest.raises(RunInProgress) as refused:
                asyncio.run(session.run(RunRequest(sample, kind)))
            assert "already syncing elsewhere" in refused.value.message_en
    assert session.sample_shop(FAKE_HTTP).count() == 0    # the POS was never asked
