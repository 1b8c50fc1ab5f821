"""COM-09 for real: a `shopsync sync` process killed with SIGKILL at several points, then run
again, leaves no duplicate on the POS and a result for every item."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from contract.records import Customer, Entity, Product, Variant
from app.store import models as m
from app.store.profiles import create_profile
from connectors.registry import EXTRA_ENV
from tests.fakes import FAKE_HTTP

ROOT = Path(__file__).resolve().parents[2]
PRODUCTS, CUSTOMERS = 7, 5


def _start(home, name):
    env = dict(os.environ, PYTHONPATH=str(ROOT), SHOPSYNC_KEYRING="memory")
    env[EXTRA_ENV] = "tests.fakes:FAKE_HTTP"
    return subprocess.Popen([sys.executable, "-m", "app.cli", "--home", str(home.home),
                             "sync", name, "--json"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_com09_sync_killed_at_several_points_resumes_without_duplicates(home, store, catalog,
                                                                          fake_pos):
    """COM-09."""
    for i in range(PRODUCTS):
        fake_pos.state.put(Entity.PRODUCT, Product(key="", name=f"Trà {i}", variants=(
            Variant(key=f"v{i}", sku=f"TRA-{i}", price=Decimal(15000)),)))
    app_customers = [catalog.put(Entity.CUSTOMER, Customer(key="", name=f"Khách {i}",
                                                           phone=f"09000000{i:02d}"))
                     for i in range(CUSTOMERS)]
    name = "Trà Sữa"
    create_profile(name, FAKE_HTTP.key, {"shop": "tra-sua"}, {}, {"api_base": fake_pos.url},
                   lookup=lambda key: FAKE_HTTP)

    # Kill points: mid product pull (page 2 in flight); after the POS stored the batch of
    # customer creates but before the answer reached us; while the next run looks those
    # creates up again (third look-up); and late in the run, pulling orders.
    for prefix, skip in (("/pull/product", 1), ("/create/customer", 0),
                         ("/find/customer", 2), ("/pull/order", 0)):
        reached, release = fake_pos.arm(prefix, skip)
        process = _start(home, name)
        try:
            if not reached.wait(60):
                process.kill()
                pytest.fail(f"never reached {prefix}: {process.communicate()[1].decode()}")
            process.send_signal(signal.SIGKILL)
            process.wait(30)
        finally:
            release.set()
            if process.poll() is None:
                process.kill()
        assert process.returncode == -signal.SIGKILL

    process = _start(home, name)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()

    # No duplicate create reached the POS: each App customer was sent once, exists once.
    assert sorted(fake_pos.create_log) == sorted(c.key for c in app_customers)
    assert len(fake_pos.state.records[Entity.CUSTOMER]) == CUSTOMERS
    # Nothing lost or doubled in the App.
    assert catalog.count(Entity.PRODUCT) == PRODUCTS
    assert catalog.count(Entity.CUSTOMER) == CUSTOMERS
    assert m.WriteIntent.select().count() == 0
    links = {(l.entity, l.app_id): l.pos_id for l in m.Link.select()}
    assert all(("customer", c.key) in links for c in app_customers)
    # Every item ended with a result row (from whichever run handled it).
    ok = m.ItemResult.select().where(m.ItemResult.outcome == "ok")
    assert {r.pos_id for r in ok if r.entity == "product"} == set(
        fake_pos.state.records[Entity.PRODUCT])
    assert {r.app_id for r in ok if r.entity == "customer"} == {c.key for c in app_customers}
    assert m.Run.select().order_by(m.Run.id.desc()).first().status == "done"
