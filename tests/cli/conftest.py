"""Command-line fixtures: a fake POS served on 127.0.0.1 and a `shopsync` runner in-process."""
from __future__ import annotations

import io

import pytest

from app.secrets import MemoryKeyring, SecretStore
from connectors.registry import EXTRA_ENV
from connectors.sandbox_base import serve
from tests.fakes import FakePosSandbox

SECRET = "s3cr3t-Fake-Key-42"


@pytest.fixture
def fake_pos(monkeypatch):
    monkeypatch.setenv(EXTRA_ENV, "tests.fakes:FAKE_HTTP")
    box = FakePosSandbox(seed=1)
    server = serve(box)
    box.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield box
    server.shutdown()


class Runner:
    def __init__(self, home, store) -> None:
        self.home, self.store = home, store
        self.keyring = SecretStore(backend=MemoryKeyring())
        self.transcript: list[str] = []

    def __call__(self, *argv: str, env: dict | None = None):
        from app.cli import main
        out, err = io.StringIO(), io.StringIO()
        code = main(["--home", str(self.home.home), *argv], secrets=self.keyring, out=out,
                    err=err, environ=env or {}, stdin_is_tty=False)
        # The command opened its own connection and bound the models to it, as a separate
        # process would; give the test's own connection back to the models.
        from app.store.models import database_proxy
        database_proxy.initialize(self.store)
        self.transcript += [out.getvalue(), err.getvalue()]
        return code, out.getvalue(), err.getvalue()


@pytest.fixture
def shopsync(home, store):
    return Runner(home, store)


@pytest.fixture
def fake_profile(shopsync, fake_pos):
    code, out, err = shopsync("profile", "add", "Quán Cà Phê", "--platform", "fake-http",
                              "--set", "shop=quan-ca-phe", "--set", f"api_base={fake_pos.url}",
                              env={"SHOPSYNC_SECRET_API_SECRET": SECRET})
    assert code == 0, err
    return "Quán Cà Phê"
