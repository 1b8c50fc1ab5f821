"""Engine fixtures: a profile on a fake platform and a factory for engines over a FakePos."""
from __future__ import annotations

import asyncio

import pytest

from app.store.profiles import create_profile, get_profile, update_profile
from app.sync.engine import SyncEngine
from tests.fakes import FakePos, fake_platform


class Shop:
    """One test shop: catalog + profile + fake POS + collected events."""

    def __init__(self, catalog, pos: FakePos, options=None) -> None:
        self.catalog, self.pos = catalog, pos
        platform = pos.platform
        self.profile = create_profile("Cửa hàng thử", platform.key, options=options or {},
                                      lookup=lambda key: platform)
        self.events: list = []

    def set_options(self, **options) -> None:
        platform = self.pos.platform
        update_profile(self.profile.name, options=options, lookup=lambda key: platform)
        self.profile = get_profile(self.profile.name)

    def engine(self, **kwargs) -> SyncEngine:
        # The fake POS's pages (2 records) are the engine's pages here, so tests can speak
        # of "page 2"; grouping small pages has its own tests.
        kwargs.setdefault("page_records", 1)
        return SyncEngine(self.catalog, self.profile, self.pos, self.events.append, **kwargs)

    def sync(self, entities=None, dry_run=False, full=False, **kwargs):
        return asyncio.run(self.engine(**kwargs).run(entities, dry_run=dry_run, full=full))

    def items(self, **match):
        from app.sync.events import ItemResult
        return [e for e in self.events if isinstance(e, ItemResult)
                and all(getattr(e, k) == v for k, v in match.items())]


@pytest.fixture
def shop(catalog):
    return Shop(catalog, FakePos())


@pytest.fixture
def make_shop(catalog):
    def build(platform=None, options=None, **pos_kwargs) -> Shop:
        return Shop(catalog, FakePos(platform or fake_platform(), **pos_kwargs), options)
    return build
