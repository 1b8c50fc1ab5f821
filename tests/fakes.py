"""A fake POS for engine and command-line tests, reusable by every area.

`FakePos` implements the Connector protocol in memory over a fake `Platform` whose capabilities
each test sets (`fake_platform(...)`), so the engine's rules are tested without any real POS.
`FakePosSandbox` serves the same state over HTTP (SandboxBase) and `FAKE_HTTP` is a platform
whose connector talks to it: the command line can then run against it in a subprocess
(register it with SHOPSYNC_EXTRA_PLATFORMS=tests.fakes:FAKE_HTTP).
"""
from __future__ import annotations

import collections
import dataclasses
import json
import threading
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Mapping, Sequence

import httpx

from contract.records import (Branch, Category, Customer, Entity, Order, OrderStatus, Product, Record,
                        from_plain, text, to_plain)
from contract.connector import (ConnectionInfo, ConnectionSettings, CredentialField,
                             EntityCapability, Mode, OptionSpec, Page, Platform, PushOutcome,
                             TransientError)
from connectors.http import NoLimit, PosHttp, RetryPolicy
from connectors.sandbox_base import SandboxBase

def both(entity: Entity, **extra: Any) -> EntityCapability:
    return EntityCapability(entity, pull=Mode.FULL, push=Mode.FULL, **extra)


def pull_only(entity: Entity, mode: Mode = Mode.FULL, **extra: Any) -> EntityCapability:
    return EntityCapability(entity, pull=mode, **extra)


def default_capabilities() -> dict[Entity, EntityCapability]:
    return {
        Entity.BRANCH: pull_only(Entity.BRANCH),
        Entity.CATEGORY: pull_only(Entity.CATEGORY, rule="FAKE-CAT"),
        Entity.PRODUCT: both(Entity.PRODUCT, rule="FAKE-PROD"),
        Entity.CUSTOMER: both(Entity.CUSTOMER),
        Entity.ORDER: both(Entity.ORDER, rule="FAKE-ORD"),
        Entity.NEWS: pull_only(Entity.NEWS),
    }


def fake_platform(capabilities: Mapping[Entity, EntityCapability] | None = None,
                  options: Sequence[OptionSpec] = (), key: str = "fake", connect=None,
                  sandbox=None, **changes: EntityCapability) -> Platform:
    """A platform described only by the capabilities a test gives; `changes` replace single
    entities by name (product=pull_only(Entity.PRODUCT))."""
    caps = dict(default_capabilities() if capabilities is None else capabilities)
    for name, cap in changes.items():
        caps[Entity(name)] = cap
    return Platform(
        key=key, name_vi="POS giả", name_en="Fake POS",
        credential_fields=(CredentialField("shop", "Cửa hàng", "Shop"),
                           CredentialField("api_secret", "Mã bí mật", "API secret", secret=True,
                                           required=False)),
        options=tuple(options), hosts={"api_base": "http://127.0.0.1:9"}, entities=caps,
        connect=connect, sandbox=sandbox)


class FakePos:
    """In-memory POS. Records are stored as the POS would return them (POS ids inside)."""

    def __init__(self, platform: Platform | None = None, page_size: int = 2,
                 list_keys_supported: bool = True) -> None:
        self.platform = platform or fake_platform()
        self.page_size = page_size
        self.list_keys_supported = list_keys_supported
        self.records: dict[Entity, dict[str, Record]] = collections.defaultdict(dict)
        self.changed_at: dict[tuple[Entity, str], datetime] = {}
        self.deleted_keys: dict[Entity, list[str]] = collections.defaultdict(list)
        self.fixed_now: datetime | None = None   # None = the real clock, like a real POS
        self.calls: list[tuple[str, Any]] = []
        self.created: list[tuple[Entity, Record]] = []
        self.updated: list[tuple[Entity, str, Record]] = []
        self.statuses: list[tuple[str, OrderStatus]] = []
        self.faults: collections.deque[tuple[str, BaseException]] = collections.deque()
        self.lose_create_answer = False      # create reaches the POS, the answer is lost
        self.made_from: dict[str, str] = {}  # POS id → App id it says it was made from
        self._next = 1000
        self._requests = 0

    # -- test helpers ---------------------------------------------------------------------
    @property
    def now(self) -> datetime:
        return self.fixed_now or datetime.now(timezone.utc)

    def new_key(self) -> str:
        self._next += 1
        return str(self._next)

    def put(self, entity: Entity, record: Record) -> Record:
        """Add or change a record on the POS side (as a shop owner would in the POS)."""
        if not record.key:
            record = dataclasses.replace(record, key=self.new_key())
        self.records[entity][record.key] = record
        self.changed_at[(entity, record.key)] = self.now
        return record

    def remove(self, entity: Entity, key: str, report: bool = True) -> None:
        self.records[entity].pop(key, None)
        if report:
            self.deleted_keys[entity].append(key)

    def fail(self, method: str, error: BaseException, times: int = 1) -> None:
        for _ in range(times):
            self.faults.append((method, error))

    def _call(self, method: str, detail: Any = None) -> None:
        self._requests += 1
        self.calls.append((method, detail))
        if self.faults and self.faults[0][0] == method:
            raise self.faults.popleft()[1]

    # -- Connector protocol ---------------------------------------------------------------
    @property
    def request_count(self) -> int:
        return self._requests

    async def test_connection(self) -> ConnectionInfo:
        self._call("test_connection")
        return ConnectionInfo(shop_name="Cửa hàng giả")

    async def pull(self, entity: Entity, since: datetime | None,
                   resume: str | None = None) -> AsyncIterator[Page]:
        keys = sorted((k for k in self.records[entity]
                       if since is None or self.changed_at[(entity, k)] >= since),
                      key=lambda k: (self.changed_at[(entity, k)], k))
        start = int(resume or 0)
        deleted = tuple(self.deleted_keys[entity])
        while True:
            self._call("pull", (entity, start))
            chunk = keys[start:start + self.page_size]
            end = start + self.page_size
            last = end >= len(keys)
            yield Page(tuple(self.records[entity][k] for k in chunk if k in self.records[entity]),
                       resume=None if last else str(end), total=len(keys),
                       deleted_keys=deleted if last else (),
                       made_from={k: self.made_from[k] for k in chunk if k in self.made_from})
            if last:
                return
            start = end

    async def list_keys(self, entity: Entity) -> set[str] | None:
        self._call("list_keys", entity)
        return set(self.records[entity]) if self.list_keys_supported else None

    async def prepare_find(self, entity: Entity, records: Sequence[Record]) -> None:
        """Nothing to prepare: each find is one call."""

    def know_branches(self, branches: Sequence[Branch]) -> None:
        """Creates here do not depend on branches."""

    async def find(self, entity: Entity, record: Record) -> Record | None:
        self._call("find", (entity, record.key))
        return find_same(self.records[entity].values(), record)

    async def create(self, entity: Entity, records: Sequence[Record]) -> list[PushOutcome]:
        self._call("create", (entity, len(records)))
        outcomes = []
        for record in records:
            stored = dataclasses.replace(record, key=self.new_key())
            self.records[entity][stored.key] = stored
            self.changed_at[(entity, stored.key)] = self.now
            self.created.append((entity, stored))
            outcomes.append(PushOutcome(app_key=record.key, pos_key=stored.key, record=stored))
        if self.lose_create_answer:
            raise TransientError("Mất kết nối.", "Connection lost.")
        return outcomes

    async def update(self, entity: Entity, pos_key: str, record: Record) -> Record:
        self._call("update", (entity, pos_key))
        stored = dataclasses.replace(record, key=pos_key)
        self.records[entity][pos_key] = stored
        self.changed_at[(entity, pos_key)] = self.now
        self.updated.append((entity, pos_key, stored))
        return stored

    async def set_order_status(self, pos_key: str, status: OrderStatus) -> Record | None:
        self._call("set_order_status", (pos_key, status))
        self.statuses.append((pos_key, status))
        order = self.records[Entity.ORDER].get(pos_key)
        if order is None:
            return None
        order = dataclasses.replace(order, status=status)
        self.records[Entity.ORDER][pos_key] = order
        return order

    async def aclose(self) -> None:
        return None


def find_same(candidates, record: Record) -> Record | None:
    """The POS's natural-key lookup: SKU/barcode, phone/email, order number, category name."""
    for candidate in candidates:
        if isinstance(record, Product):
            skus = {v.sku for v in record.variants if v.sku}
            codes = {v.barcode for v in record.variants if v.barcode}
            if skus & {v.sku for v in candidate.variants} or codes & {
                    v.barcode for v in candidate.variants if v.barcode}:
                return candidate
        elif isinstance(record, Customer):
            if (record.phone and candidate.phone == record.phone) or (
                    record.email and candidate.email == record.email):
                return candidate
        elif isinstance(record, Order):
            if record.number and candidate.number == record.number:
                return candidate
        elif isinstance(record, Category):
            if text(candidate.name) == text(record.name):
                return candidate
    return None


# ----------------------------------------------------------------------------------------------
# The same fake POS over HTTP: for the command line in a subprocess
# ----------------------------------------------------------------------------------------------

@dataclasses.dataclass
class FakePosSandbox(SandboxBase):
    """Serves a FakePos state as a tiny JSON API. `hold_on_create` makes the Nth create wait
    (after storing) until released, so a test can kill the client at that exact point."""

    page_size: int = 2

    def __post_init__(self) -> None:
        super().__post_init__()
        self.state = FakePos(page_size=self.page_size)
        self.create_log: list[str] = []          # App keys received in creates, in order
        self.armed: list[list] = []
        self.refusals: list[tuple[str, int]] = []

    def arm(self, path_prefix: str, skip: int = 0) -> tuple[threading.Event, threading.Event]:
        """Hold the answer to the (skip+1)-th next request whose path starts with
        `path_prefix`, after its effect is applied (a create is stored). Returns (reached,
        release): `reached` is set when the request is being held; set `release` to answer."""
        reached, release = threading.Event(), threading.Event()
        self.armed.append([path_prefix, skip, reached, release])
        return reached, release

    def refuse(self, path_prefix: str, status: int = 422, times: int = 1) -> None:
        """Answer the next `times` requests under `path_prefix` with `status`, doing nothing."""
        self.refusals.extend([(path_prefix, status)] * times)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        with self.lock:
            refusal = next((r for r in self.refusals if path.startswith(r[0])), None)
            if refusal is not None:
                self.refusals.remove(refusal)
                self.requests.append(request)
                return httpx.Response(refusal[1], json={"error": "refused by the test"})
        response = super().handle(request)
        hold = None
        with self.lock:
            for entry in self.armed:
                if path.startswith(entry[0]):
                    if entry[1] == 0:
                        hold = entry
                        self.armed.remove(entry)
                    else:
                        entry[1] -= 1
                    break
        if hold is not None:
            hold[2].set()
            hold[3].wait(60)
        return response

    def route(self, request: httpx.Request) -> httpx.Response:
        import asyncio
        body = self.body(request) or {}
        path = request.url.path.strip("/").split("/")
        entity = Entity(path[1]) if len(path) > 1 else None
        state = self.state
        if path[0] == "pull":
            keys = sorted(state.records[entity], key=lambda k: (state.changed_at[(entity, k)], k))
            since = request.url.params.get("since")
            if since:
                keys = [k for k in keys if state.changed_at[(entity, k)] >= datetime.fromisoformat(since)]
            start = int(request.url.params.get("resume") or 0)
            end = start + self.page_size
            return httpx.Response(200, json={
                "records": [to_plain(state.records[entity][k]) for k in keys[start:end]],
                "resume": None if end >= len(keys) else str(end), "total": len(keys)})
        if path[0] == "keys":
            return httpx.Response(200, json=sorted(state.records[entity]))
        if path[0] == "find":
            found = find_same(state.records[entity].values(), from_plain(entity, body))
            return _json(to_plain(found) if found else None)
        if path[0] == "create":
            records = [from_plain(entity, item) for item in body]
            self.create_log.extend(r.key for r in records)
            outcomes = asyncio.run(state.create(entity, records))
            return httpx.Response(200, json=[{"app_key": o.app_key, "pos_key": o.pos_key,
                                              "record": to_plain(o.record)} for o in outcomes])
        if path[0] == "update":
            record = asyncio.run(state.update(entity, path[2], from_plain(entity, body)))
            return httpx.Response(200, json=to_plain(record))
        if path[0] == "status":
            order = asyncio.run(state.set_order_status(path[1], OrderStatus(body["status"])))
            return _json(to_plain(order) if order else None)
        if path[0] == "hello":
            if request.headers.get("x-secret") != "s3cr3t-Fake-Key-42":
                return httpx.Response(401, json={"error": "bad key"})
            return httpx.Response(200, json={"shop": "Cửa hàng giả"})
        return httpx.Response(404, json={"error": "no such path"})


def _json(value: Any) -> httpx.Response:
    # httpx.Response(json=None) sends no body at all; a "not found" answer is a JSON null.
    return httpx.Response(200, content=json.dumps(value).encode(),
                          headers={"content-type": "application/json"})


class HttpFakeConnector:
    """A connector for FakePosSandbox, built like a real one from settings and secrets."""

    def __init__(self, platform: Platform, settings: ConnectionSettings,
                 secrets: Mapping[str, str], transport: httpx.AsyncBaseTransport | None,
                 sleep=None) -> None:
        self.platform = platform
        extra = {}
        if sleep is not None:   # a test clock: sleeping moves it, nothing really waits
            clock = [0.0]

            async def fake_sleep(seconds: float) -> None:
                clock[0] += seconds
                await sleep(seconds)
            extra = {"sleep": fake_sleep,
                     "limiter": NoLimit(clock=lambda: clock[0], sleep=fake_sleep)}
        self.http = PosHttp(settings.hosts["api_base"], transport=transport,
                            headers={"x-secret": secrets.get("api_secret", "")},
                            retry=RetryPolicy(attempts=2, base_delay=0.01), **extra)

    @property
    def request_count(self) -> int:
        return self.http.request_count

    async def test_connection(self) -> ConnectionInfo:
        data = await self.http.json("GET", "/hello")
        return ConnectionInfo(shop_name=data["shop"])

    async def pull(self, entity: Entity, since: datetime | None,
                   resume: str | None = None) -> AsyncIterator[Page]:
        while True:
            params = {"resume": resume or ""}
            if since is not None:
                params["since"] = since.isoformat()
            data = await self.http.json("GET", f"/pull/{entity.value}", params=params)
            yield Page(tuple(from_plain(entity, item) for item in data["records"]),
                       resume=data["resume"], total=data["total"])
            if data["resume"] is None:
                return
            resume = data["resume"]

    async def list_keys(self, entity: Entity) -> set[str] | None:
        return set(await self.http.json("GET", f"/keys/{entity.value}"))

    async def prepare_find(self, entity: Entity, records: Sequence[Record]) -> None:
        """Nothing to prepare: each find is one call."""

    def know_branches(self, branches: Sequence[Branch]) -> None:
        """Creates here do not depend on branches."""

    async def find(self, entity: Entity, record: Record) -> Record | None:
        # A read sent as POST: safe to repeat after a lost answer (COM-02).
        data = await self.http.json("POST", f"/find/{entity.value}", json=to_plain(record),
                                    idempotent=True)
        return from_plain(entity, data) if data else None

    async def create(self, entity: Entity, records: Sequence[Record]) -> list[PushOutcome]:
        data = await self.http.json("POST", f"/create/{entity.value}",
                                    json=[to_plain(r) for r in records])
        return [PushOutcome(item["app_key"], item["pos_key"], from_plain(entity, item["record"]))
                for item in data]

    async def update(self, entity: Entity, pos_key: str, record: Record) -> Record:
        data = await self.http.json("POST", f"/update/{entity.value}/{pos_key}",
                                    json=to_plain(record))
        return from_plain(entity, data)

    async def set_order_status(self, pos_key: str, status: OrderStatus) -> Record | None:
        data = await self.http.json("POST", f"/status/{pos_key}", json={"status": status.value})
        return from_plain(Entity.ORDER, data) if data else None

    async def aclose(self) -> None:
        await self.http.aclose()


def _connect(settings, secrets, transport):
    return HttpFakeConnector(FAKE_HTTP, settings, secrets, transport)


# Customers are push-only here so a killed run's creates can only be recovered through the
# write intents (a pull would otherwise link them by phone first).
FAKE_HTTP = dataclasses.replace(
    fake_platform(key="fake-http",
                  customer=EntityCapability(Entity.CUSTOMER, push=Mode.FULL)), connect=_connect,
    sandbox=lambda seed=1, products=0, **_: _seeded_sandbox(seed, products),
    sandbox_secrets={"api_secret": "s3cr3t-Fake-Key-42"})


def _seeded_sandbox(seed: int, products: int) -> FakePosSandbox:
    from decimal import Decimal
    from contract.records import Variant
    box = FakePosSandbox(seed=seed)
    for n in range(products):
        box.state.put(Entity.PRODUCT, Product(
            key="", name=f"Cà phê sữa {n}",
            variants=(Variant(key=f"v{n}", sku=f"CF-{n:03d}", price=Decimal(25000 + n)),)))
    return box
