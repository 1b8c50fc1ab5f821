"""From a profile to a connector: keyring secrets, the sample shop (B-01), rate limits (COM-08),
and the test-only platform hook of the registry."""
from __future__ import annotations

import asyncio

import pytest

from contract.records import Entity
from app.store.profiles import create_profile
from app.sync.connect import MissingSecret, open_connector, redactor_for
from app.sync.engine import SyncEngine
from contract.connector import ConnectionSettings
from connectors.registry import EXTRA_ENV, UnknownPlatform, get_platform, platform_keys
from connectors.sandbox_base import Fault
from tests.fakes import FAKE_HTTP, FakePosSandbox, HttpFakeConnector

SECRET = "s3cr3t-Fake-Key-42"


def lookup(key):
    return FAKE_HTTP


def test_registry_honours_the_extra_platforms_hook(monkeypatch):
    with pytest.raises(UnknownPlatform):
        get_platform("fake-http")
    monkeypatch.setenv(EXTRA_ENV, "tests.fakes:FAKE_HTTP")
    assert get_platform("fake-http") is FAKE_HTTP and "fake-http" in platform_keys()


def test_open_connector_takes_secrets_from_the_keyring(store, secrets):
    profile = create_profile("Quán", "fake-http", {"shop": "q"}, hosts={"api_base": "https://x"},
                             secret_names=["api_secret"], lookup=lookup)
    secrets.set("Quán", "api_secret", SECRET)
    connector = open_connector(profile, secrets, lookup=lookup)
    assert connector.http._client.headers["x-secret"] == SECRET
    assert redactor_for(profile, secrets, lookup)(f"key={SECRET}") == "key=***"
    asyncio.run(connector.aclose())


def test_missing_required_secret_says_what_to_do(store, secrets):
    import dataclasses
    from contract.connector import CredentialField
    strict = dataclasses.replace(FAKE_HTTP, credential_fields=(
        CredentialField("api_secret", "Mã bí mật", "API secret", secret=True),))
    profile = create_profile("Quán", "fake-http", lookup=lambda key: strict)
    with pytest.raises(MissingSecret) as caught:
        open_connector(profile, secrets, lookup=lambda key: strict)
    assert "enter it again" in caught.value.message_en


def test_b01_sample_shop_profile_syncs_against_the_in_process_sandbox(store, catalog, secrets):
    """B-01."""
    profile = create_profile("Cửa hàng mẫu", "fake-http", options={"sandbox": True},
                             lookup=lookup)
    sandboxes: dict = {}
    original = FAKE_HTTP.sandbox

    def seeded(seed=1, **kwargs):
        return original(seed=seed, products=3)
    import dataclasses
    platform = dataclasses.replace(FAKE_HTTP, sandbox=seeded)
    connector = open_connector(profile, None, lookup=lambda key: platform, sandboxes=sandboxes)
    finished = asyncio.run(SyncEngine(catalog, profile, connector).run([Entity.PRODUCT]))
    assert finished.status == "done" and catalog.count(Entity.PRODUCT) == 3
    # The same process keeps the sample shop's state between runs.
    again = open_connector(profile, None, lookup=lambda key: platform, sandboxes=sandboxes)
    assert list(sandboxes) == ["Cửa hàng mẫu"]
    asyncio.run(again.aclose())


def test_com08_throttled_run_waits_what_the_pos_says_and_sends_nothing_meanwhile(store,
                                                                                 catalog):
    """COM-08."""
    box = FakePosSandbox()
    box.inject(Fault.THROTTLE)                 # 429 with Retry-After: 1
    waits: list[float] = []
    sent_during_wait: list[int] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        sent_during_wait.append(len(box.requests))

    settings = ConnectionSettings("fake-http", {}, {}, {"api_base": "http://fake"})
    connector = HttpFakeConnector(FAKE_HTTP, settings, {}, box.transport(), sleep=sleep)
    profile = create_profile("Quán", "fake-http", lookup=lookup)
    finished = asyncio.run(SyncEngine(catalog, profile, connector).run([Entity.BRANCH]))
    assert finished.status == "done"
    assert waits == [1.0]
    assert sent_during_wait == [1]             # only the throttled request, none during the wait
    assert len(box.requests) == 2 and finished.request_count == 2
