"""A `shopsync sync` process killed (SIGKILL) at random points, then run again (COM-09, COM-02).

The POS is the platform's sandbox served on 127.0.0.1 by the test; the kill is sent from inside
the sandbox right after it processed request number N (so the POS has done the work and the
process never hears back: the worst moment). N is drawn from a fixed seed. After the resumed
runs finish, the App and the POS agree with no duplicate and no lost item.

Fast by default (one seed per platform); many seeds under `-m soak`.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from contract.records import Customer, Entity
from app.sync.policy import policies, profile_options
from app.store.catalog import Catalog
from app.store.connection import open_store
from app.store.profiles import create_profile, get_profile
from contract.connector import ConnectionSettings
from connectors.registry import get_platform
from connectors.sandbox_base import serve
from tests.reliability.agreement import disagreements
from tests.reliability.harness import PLATFORM_KEYS, RealClock, connector_kwargs

ROOT = Path(__file__).resolve().parents[2]
PROFILE = "Cửa hàng thử"
KILLED = -signal.SIGKILL
# Requests a first sync of the 30-product sample shop makes (measured): the kill point is drawn
# below it so every kill lands inside a run.
APP_CUSTOMERS = 6
FIRST_SYNC_REQUESTS = {"sapo": 16, "kiotviet-fnb": 6, "kiotviet-retail": 6, "nhanh-v3": 5,
                       "nhanh-v2": 5}


@dataclass
class ServedShop:
    """A sandbox served over HTTP, a data home, and a profile pointing at the sandbox."""

    platform_key: str
    home: Path
    seed: int
    products: int = 30
    kill_at: int | None = None
    pid: int | None = None
    kills: int = 0
    env: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.platform = get_platform(self.platform_key)
        self.clock = RealClock()
        self.sandbox = self.platform.sandbox(seed=self.seed, products=self.products,
                                             rate_limits=False)
        original = self.sandbox.handle

        def handle(request):
            response = original(request)
            if self.kill_at is not None and len(self.sandbox.requests) >= self.kill_at \
                    and self.pid is not None:
                self.kill_at = None
                self.kills += 1
                os.kill(self.pid, signal.SIGKILL)
            return response
        self.sandbox.handle = handle                  # serve() calls the instance's handle
        self.server = serve(self.sandbox)
        url = f"http://127.0.0.1:{self.server.server_address[1]}"
        hosts = {"api_base": url}
        if "token_url" in self.platform.hosts:
            hosts["token_url"] = f"{url}/identity/connect/token"
        self.db = open_store(self._paths())
        self.catalog = Catalog(self.db)
        self.profile = create_profile(PROFILE, self.platform.key,
                                      fields=dict(self.platform.sandbox_settings), hosts=hosts)
        self.hosts = hosts
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "SHOPSYNC_KEYRING": "memory",
                    "SHOPSYNC_TEST_SECRETS": json.dumps(
                        {PROFILE: dict(self.platform.sandbox_secrets)})}

    def _paths(self):
        from app.config import get_paths
        return get_paths(self.home)

    def shopsync(self, *argv: str, kill_after: float | None = None) -> int:
        """Run the command line in a child process; the sandbox may kill it mid-run, or the
        test after `kill_after` seconds (a moment that may fall inside a database write)."""
        self.db.close()
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.cli_with_secrets", "--home",
             str(self.home), *argv], cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        self.pid = process.pid
        if kill_after is not None:
            try:
                process.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                self.kills += 1
        _, err = process.communicate(timeout=120)
        self.pid = None
        self.db.connect(reuse_if_open=True)
        if process.returncode not in (0, 1, KILLED):
            raise AssertionError(f"shopsync {argv} exited {process.returncode}: "
                                 f"{err.decode(errors='replace')[-2000:]}")
        return process.returncode

    def connector(self, transport=None):
        settings = ConnectionSettings(self.platform.key, dict(self.platform.sandbox_settings),
                                      self.platform.option_defaults(), {})
        return self.platform.connect(settings, dict(self.platform.sandbox_secrets),
                                     transport or self.sandbox.transport(),
                                     **connector_kwargs(self.platform, self.clock))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.db.close()


def crash_and_resume(tmp_path, platform_key: str, seed: int, kills: int = 2) -> ServedShop:
    shop = ServedShop(platform_key, tmp_path / f"home-{platform_key}-{seed}", seed)
    try:
        shop.profile = get_profile(PROFILE)
        pushes_customers = policies(shop.platform, profile_options(
            shop.profile, shop.platform))[Entity.CUSTOMER].pushes
        if pushes_customers:        # App-made customers go to the POS: creates to interrupt
            for i in range(APP_CUSTOMERS):
                shop.catalog.put(Entity.CUSTOMER, Customer(
                    key="", name=f"Khách App {seed}-{i}", phone=f"09{seed % 90:02d}{i:06d}"))
        rng = random.Random(seed)
        for _ in range(kills):
            shop.kill_at = len(shop.sandbox.requests) + rng.randint(
                1, FIRST_SYNC_REQUESTS[platform_key] + (APP_CUSTOMERS if pushes_customers else 0))
            code = shop.shopsync("sync", PROFILE)
            if code != KILLED:          # finished before reaching the kill point
                break
        for _ in range(4):
            shop.kill_at = None
            if shop.shopsync("sync", PROFILE) == 0:
                break
        problems = disagreements(shop)
    finally:
        shop.close()
    assert problems == [], problems
    return shop


@pytest.mark.slow
@pytest.mark.parametrize("platform_key", PLATFORM_KEYS)
def test_com09_sigkill_at_a_random_request_then_resume_loses_and_doubles_nothing(
        tmp_path, home, platform_key):
    shop = crash_and_resume(tmp_path, platform_key, seed=1)
    assert shop.kills >= 1


@pytest.mark.soak
@pytest.mark.parametrize("seed", range(2, 12))
@pytest.mark.parametrize("platform_key", PLATFORM_KEYS)
def test_com09_soak_sigkill_at_many_random_points(tmp_path, home, platform_key, seed):
    crash_and_resume(tmp_path, platform_key, seed=seed, kills=3)


@pytest.mark.soak
@pytest.mark.parametrize("seed", range(1, 9))
@pytest.mark.parametrize("platform_key", PLATFORM_KEYS)
def test_com09_soak_sigkill_at_random_moments_including_database_writes(tmp_path, home,
                                                                        platform_key, seed):
    """Killed after a random delay instead of a request count, with a slow POS (20 ms per
    answer) and 200 products, so kills also land while pages are being written."""
    shop = ServedShop(platform_key, tmp_path / f"home-{platform_key}-{seed}", seed,
                      products=200)
    shop.sandbox.latency = 0.02
    try:
        rng = random.Random(seed)
        for _ in range(3):
            if shop.shopsync("sync", PROFILE, kill_after=rng.uniform(0.8, 4.0)) != KILLED:
                break
        for _ in range(4):
            if shop.shopsync("sync", PROFILE) == 0:
                break
        problems = disagreements(shop)
    finally:
        shop.close()
    assert problems == [], problems
