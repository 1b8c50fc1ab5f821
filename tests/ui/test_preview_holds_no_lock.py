"""COM-03: the wizard's preview is a dry run that writes nothing and holds no write
transaction while it waits for the POS, so a sync in another process is never held up."""
from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
import threading
from decimal import Decimal

from app.store import models as m
from contract.records import Entity, Product, Variant
from tests.fakes import FAKE_HTTP
from ui.controllers.shop import ShopServices
from ui.wizard.state import WizardState

# Another process writes with a 1 s busy timeout (a scheduled sync waits 5 s, then fails).
WRITER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=1.0, isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("CREATE TABLE IF NOT EXISTS other_process (x)")
db.execute("COMMIT")
print("wrote")
"""


def test_com03_preview_waiting_for_the_pos_blocks_no_sync_in_another_process(
        home, store, secrets, tmp_path):
    services = ShopServices(home, store, secrets, platform_lookup=lambda key: FAKE_HTTP)
    box = services.sandbox_for(FAKE_HTTP)
    for n in range(3):
        box.state.put(Entity.PRODUCT, Product(key="", name=f"Trà đào {n}", variants=(
            Variant(key=f"v{n}", sku=f"TD-{n}", price=Decimal(30000)),)))
    reached, release = box.arm("/pull/product")
    state = WizardState(sample=True, platform_key="fake-http", profile_name="Xem trước",
                        secrets=dict(FAKE_HTTP.sandbox_secrets), entities=["product"])
    outcome: dict = {}

    def preview() -> None:
        try:
            outcome["counts"] = asyncio.run(services.preview(state))
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome["error"] = exc

    worker = threading.Thread(target=preview)
    worker.start()
    try:
        assert reached.wait(30), "the preview never asked the POS"
        # The preview is now waiting for the POS's answer.
        writer = subprocess.run([sys.executable, "-c", WRITER, str(home.database)],
                                capture_output=True, text=True, timeout=60)
    finally:
        release.set()
        worker.join(60)
    assert writer.returncode == 0 and "wrote" in writer.stdout, writer.stderr
    assert "error" not in outcome, outcome.get("error")
    assert outcome["counts"]["product"]["create"] == 3
    # Nothing of the preview was kept: no profile, no run, no result rows.
    assert m.Profile.select().count() == 0
    assert m.Run.select().count() == 0 and m.ItemResult.select().count() == 0
