"""Shared fixtures. Kept stable: every area's tests build on `home`, `store`, `catalog`
and `secrets`."""
from __future__ import annotations

import pytest

from app.config import HOME_ENV, Paths, get_paths
from app.secrets import KEYRING_ENV, MemoryKeyring, SecretStore
from app.store.catalog import Catalog
from app.store.connection import open_store


@pytest.fixture(autouse=True)
def fresh_process_redactor():
    """COM-07's redactor is process-wide (app.redaction): each test starts as a new process
    would, knowing no secret, so one test's "secret" never masks another test's text."""
    from app.redaction import forget_all
    forget_all()
    yield


@pytest.fixture
def home(tmp_path, monkeypatch) -> Paths:
    """A fresh data home; SHOPSYNC_HOME points at it and the keyring is in-memory, so nothing
    a test does reaches the real user folder or the real keyring."""
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    monkeypatch.setenv(KEYRING_ENV, "memory")
    return get_paths(tmp_path / "home")


@pytest.fixture
def store(home):
    """The migrated database of `home`, bound to the models."""
    db = open_store(home)
    yield db
    db.close()


@pytest.fixture
def catalog(store) -> Catalog:
    return Catalog(store)


@pytest.fixture
def secrets() -> SecretStore:
    return SecretStore(backend=MemoryKeyring())
