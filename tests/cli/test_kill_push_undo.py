"""B-02 / COM-09 for real: a `shopsync push` process killed with SIGKILL while the POS holds
its create leaves a run row that the next start marks interrupted (it stayed "running"
forever before issue 18), and the push that follows creates nothing twice."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from contract.records import Entity, Product, Variant
from app.store import models as m
from app.store.profiles import create_profile
from connectors.registry import EXTRA_ENV
from tests.fakes import FAKE_HTTP

ROOT = Path(__file__).resolve().parents[2]


def _start(home, *argv):
    env = dict(os.environ, PYTHONPATH=str(ROOT), SHOPSYNC_KEYRING="memory")
    env[EXTRA_ENV] = "tests.fakes:FAKE_HTTP"
    return subprocess.Popen([sys.executable, "-m", "app.cli", "--home", str(home.home),
                             *argv], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_b02_a_killed_push_is_marked_interrupted_at_the_next_start(home, store, catalog,
                                                                   fake_pos):
    """B-02 (issue 18 §1, last bullet) with COM-09."""
    product = catalog.put(Entity.PRODUCT, Product(key="", name="Bánh mì", variants=(
        Variant(key="a", sku="BM-1", price=Decimal(15000)),)))
    name = "Bánh Mì"
    create_profile(name, FAKE_HTTP.key, {"shop": "banh-mi"}, {}, {"api_base": fake_pos.url},
                   lookup=lambda key: FAKE_HTTP)
    reached, release = fake_pos.arm("/create/product")
    process = _start(home, "push", name, "--product", product.key)
    try:
        if not reached.wait(60):
            process.kill()
            pytest.fail(f"push never reached the POS: {process.communicate()[1].decode()}")
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        release.set()
        if process.poll() is None:
            process.kill()
    [killed] = m.Run.select().where(m.Run.kind == "push")
    assert killed.status == "running"          # nobody could say otherwise yet

    again = _start(home, "push", name, "--product", product.key)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err.decode()
    assert m.Run.get_by_id(killed.id).status == "interrupted"
    assert "Stopped before finishing" in m.Run.get_by_id(killed.id).error
    assert len(fake_pos.state.records[Entity.PRODUCT]) == 1      # created once (COM-09)
