"""COM-08 as the user meets it (issue 18.6, issue 19 point 14): a long pause the POS asks for
is a CLI line (and an event the window counts down), and KiotViet's used-up hourly GET budget
stops the run with exit 4 and the time to come back instead of a silent hour."""
from __future__ import annotations

import asyncio
import io
import time
from datetime import datetime

from app.cli import EXIT_INTERRUPTED, Cli, _printer, build_parser, main
from app.secrets import MemoryKeyring, SecretStore
from app.store import models as m
from app.store.connection import open_store
from app.store.profiles import create_profile
from app.sync import events as ev
from connectors.http import ThrottleWait, throttle_listener
from connectors.registry import get_platform
from connectors.sandbox_base import serve


def test_com08_kiotviet_hourly_budget_used_up_stops_with_exit_4_and_the_time(home):
    platform = get_platform("kiotviet-fnb")
    sandbox = platform.sandbox(seed=2, products=5, rate_limits=True)
    now = time.time()
    sandbox.get_stamps.extend([now - 60] * 5000)   # another program used the hour's budget
    server = serve(sandbox)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        db = open_store(home)
        create_profile("KV", platform.key, fields=dict(platform.sandbox_settings),
                       hosts={"api_base": url, "token_url": f"{url}/identity/connect/token"},
                       secret_names=tuple(platform.sandbox_secrets))
        db.close()
        store = SecretStore(backend=MemoryKeyring())
        for field, value in platform.sandbox_secrets.items():
            store.set("KV", field, value)
        out, err = io.StringIO(), io.StringIO()
        started = time.monotonic()
        code = main(["--home", str(home.home), "--lang", "en", "sync", "KV"], secrets=store,
                    out=out, err=err, environ={}, stdin_is_tty=False)
        took = time.monotonic() - started
    finally:
        server.shutdown()
        server.server_close()
    assert code == EXIT_INTERRUPTED, out.getvalue() + err.getvalue()
    assert took < 30                                    # not an hour of silence
    # The budget frees up an hour after the oldest counted GET (a few seconds of slack).
    backs = {datetime.fromtimestamp(now - 60 + 3600 + d).astimezone().strftime("%H:%M")
             for d in range(-5, 40)}
    printed = out.getvalue() + err.getvalue()
    assert any(f"Sync again after {back}" in printed for back in backs), printed
    assert "hourly request budget" in printed
    gets = [r for r in sandbox.requests if r.method == "GET"]
    assert len(gets) == 1                               # nothing more sent during the pause
    db = open_store(home)
    run = m.Run.select().order_by(m.Run.id.desc()).first()
    assert run.status == "interrupted" and "Sync again after" in run.error
    db.close()


def test_com08_a_long_wait_reaches_the_cli_as_a_line_with_the_time_the_run_continues(home):
    out = io.StringIO()
    cli = Cli(build_parser().parse_args(["--home", str(home.home), "--lang", "en", "sync", "x"]),
              out=out, err=out)
    emit = _printer(cli, as_json=False)
    emit(ev.Waiting(1800.0, "2026-12-06T14:05:00+07:00", "14:05"))
    emit(ev.Waiting(900.0, "2026-12-06T14:05:00+07:00", "14:05", "pacing"))
    lines = out.getvalue().splitlines()
    assert "continues by itself at 14:05 (about 30 min)" in lines[0]
    assert "request limit" in lines[1] and "14:05" in lines[1]
    out_json = io.StringIO()
    cli.out_stream = out_json
    _printer(cli, as_json=True)(ev.Waiting(1800.0, "2026-12-06T14:05:00+07:00", "14:05"))
    assert '"event": "waiting"' in out_json.getvalue()


def test_com08_the_engine_turns_a_connectors_long_wait_into_a_waiting_event(catalog):
    from app.sync.engine import SyncEngine
    from tests.fakes import FakePos

    class WaitingPos(FakePos):
        async def test_connection(self):
            listener = throttle_listener.get()
            listener(ThrottleWait(120.0, datetime(2026, 12, 6, 14, 5).astimezone()))
            return await super().test_connection()

        def pull(self, entity, since, resume=None):
            listener = throttle_listener.get()
            listener(ThrottleWait(120.0, datetime(2026, 12, 6, 14, 5).astimezone()))
            return super().pull(entity, since, resume)

    pos = WaitingPos()
    profile = create_profile("W", pos.platform.key, lookup=lambda key: pos.platform)
    events: list = []
    engine = SyncEngine(catalog, profile, pos, events.append)
    asyncio.run(engine.run())
    waits = [e for e in events if isinstance(e, ev.Waiting)]
    assert waits and waits[0].seconds == 120.0 and waits[0].until_clock.startswith("14:05")
    assert throttle_listener.get() is None               # not left behind after the run
