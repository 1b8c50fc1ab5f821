"""The KiotViet connector (FnB and Retail): one class, the account type decides the few
differences (scope, hosts, order body casing, FnB products read-only)."""
from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, AsyncIterator, Awaitable, Callable, Mapping, Sequence

import httpx
import orjson

from contract.records import (Branch, Category, Customer, Entity, Order, OrderStatus, Product, Record,
                        now_utc, text)
from contract.connector import (ConnectionInfo, ConnectionSettings, InvalidData, KnownRecords,
                             NotFound, NotSupported, Page, Platform, PosError, PushOutcome,
                             TransientError, is_on, nothing_known)
from connectors.http import Clock, PosHttp, Redactor, RetryPolicy, Sleep
from connectors.kiotviet import mapping, payload
from connectors.kiotviet.dates import vietnam_wall_clock
from connectors.kiotviet.errors import (BranchNotInShop, RetailerNotFound, TokenRejected,
                                       classify, classify_token)
from connectors.kiotviet.limits import GetBudget, limiter_key
from connectors.kiotviet.token import TokenKeeper, token_fingerprint

PAGE_SIZE = 100                       # KiotViet's maximum
OVERLAP = timedelta(minutes=2)        # re-read a little before the watermark; de-dup by id
ORDER_LOOKBACK = timedelta(days=2)    # how far back `find` looks for a crashed order create
FNB_ORDER_PATHS = ("/orders", "/orders/create")   # UNVERIFIED which one a store accepts
FAMILIES_PER_PAGE = 1000            # held families given out per page after the last one
CREATE_ATTEMPTS = 4                   # a create whose answer got lost: look up, then retry
CLOCK_SKEW = timedelta(minutes=5)     # this computer's clock against KiotViet's


def _compact(row: Mapping[str, Any]) -> bytes:
    """A row kept for later as its JSON bytes, in a buffer of its own size: orjson's result
    sits in a 4 KB allocation, as large as the parsed row it replaces."""
    return bytes(memoryview(orjson.dumps(row)))


def _by_number(key: str) -> tuple[int, str]:
    """KiotViet ids in numeric order."""
    return len(key), key


def _resume(offset: int, held: Sequence[str] = ()) -> str:
    return json.dumps({"at": offset, "held": list(held)} if held else {"at": offset})


def _read_resume(resume: str | None) -> tuple[int, list[str]]:
    if not resume:
        return 0, []
    try:
        state = json.loads(resume)
        return int(state.get("at", 0)), [str(k) for k in state.get("held", [])]
    except (ValueError, AttributeError, TypeError):
        return int(resume) if resume.isdigit() else 0, []


@dataclass
class KiotVietConnector:
    platform: Platform
    kind: str                                  # "fnb" | "retail"
    retailer: str
    branch_id: str
    api: PosHttp
    tokens: TokenKeeper
    # Creates go through a client that never repeats a POST by itself: after a timeout the
    # record may already exist, so it is looked up first (COM-02) — see `_create_once`.
    creates: PosHttp | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    fnb_order_path: str = "/orders"
    now: Callable[[], datetime] = now_utc      # the push moment (KVF-07) — injectable
    # Seen during this connector's life: SKU → KiotViet row id (order lines need row ids) and
    # row id → family key (invoice lines name rows, App products are families).
    _product_ids: dict[str, str] = field(default_factory=dict)
    _families: dict[str, str] = field(default_factory=dict)
    # Orders already in KiotViet by App order id, read back from their description.
    _orders_by_app_key: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    _orders_since: datetime | None = None
    _recent_orders: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    # Customers this connector created or found, by phone digits: an order pushed after its
    # customer was created in the same run needs no second phone look-up (issue 19/17).
    _customers_by_phone: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    # Family roots whose rows were read this run (their SKUs are in `_product_ids`).
    _families_read: set[str] = field(default_factory=set)
    # What the App holds of linked products (the engine tells it before a pull, issue 21).
    _known: KnownRecords = nothing_known
    _rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.api.before_send = self._authorize
        if self.creates is not None:
            self.creates.before_send = self._authorize

    # -- plumbing ------------------------------------------------------------------------
    def keep_token_on(self, shelf: Any) -> None:
        """Reuse the access token across runs while it is valid (issue 19 point 13): the
        app hands over the profile's keyring slot; without one a token lives one process."""
        self.tokens.shelf = shelf

    @property
    def request_count(self) -> int:
        return self.api.request_count + self.tokens.http.request_count + (
            self.creates.request_count if self.creates is not None else 0)

    @property
    def keep_app_product_status(self) -> bool:
        """KVF-03: always on for FnB (locked); a choice for Retail, which returns isActive."""
        return self.kind == "fnb" or bool(self.options.get("keep_app_product_status", True))

    async def _authorize(self, request: httpx.Request) -> None:
        request.headers["Retailer"] = self.retailer
        request.headers["Authorization"] = f"Bearer {await self.tokens.token()}"

    async def call(self, method: str, path: str, *, http: PosHttp | None = None,
                   **kwargs: Any) -> Any:
        """One API call; a token KiotViet rejects is renewed once and the call repeated (a
        refused token means nothing was written, so repeating is safe for writes too)."""
        client = http or self.api
        try:
            return await client.json(method, path, **kwargs)
        except TokenRejected as rejected:
            self.tokens.invalidate(getattr(rejected, "token_fingerprint", ""))
        issued_before = self.tokens.refreshes
        try:
            return await client.json(method, path, **kwargs)
        except TokenRejected as again:
            if self.tokens.refreshes > issued_before:
                # A token KiotViet issued a moment ago is refused too: nothing expired, the
                # store named in `Retailer` is not the one the Client ID belongs to (KVF-14).
                raise RetailerNotFound(self.retailer, detail=again.detail,
                                       status=again.status) from None
            raise

    async def _create_once(self, path: str, body: Any,
                           already_there: Callable[[], Awaitable[Any]]) -> Any:
        """POST a new record without ever making it twice: when the answer is lost (timeout,
        reset, 5xx) KiotViet may have saved it anyway, so it is looked up before trying
        again (COM-02). Returns KiotViet's answer or the record found."""
        for attempt in range(CREATE_ATTEMPTS):
            try:
                return await self.call("POST", path, json=body, http=self.creates)
            except TransientError:
                found = await already_there()
                if found is not None:
                    return found
                if attempt == CREATE_ATTEMPTS - 1:
                    raise
                await self.api.sleep(self.api.retry.backoff(attempt, self._rng))
        raise AssertionError("unreachable")

    async def _pages(self, path: str, params: Mapping[str, Any], start: int = 0
                     ) -> AsyncIterator[tuple[list[Mapping[str, Any]], Any, int, int | None, bool]]:
        """(rows, body, next offset, total, last) for each page: pageSize 100, `currentItem`
        offsets until a page is empty or the offset reaches `total`."""
        offset = start
        while True:
            body = await self.call("GET", path, params={**params, "pageSize": PAGE_SIZE,
                                                        "currentItem": offset})
            rows = payload.items(body)
            total = payload.as_int(payload.get(body, "total"))
            offset += len(rows)
            last = not rows or (total is not None and offset >= total)
            yield rows, body, offset, total, last
            if last:
                return

    @staticmethod
    def _since(since: datetime | None) -> dict[str, str]:
        return {"lastModifiedFrom": vietnam_wall_clock(since - OVERLAP)} if since else {}

    # -- connection test -----------------------------------------------------------------
    async def test_connection(self) -> ConnectionInfo:
        branches: list[Branch] = []
        async for rows, *_ in self._pages("/branches", {}):
            branches.extend(mapping.branch_from(row) for row in rows)
        warnings_vi: list[str] = []
        warnings_en: list[str] = []
        if not branches:
            warnings_vi.append("Cửa hàng chưa có chi nhánh nào đang hoạt động trên KiotViet.")
            warnings_en.append("The KiotViet store has no active branch.")
        elif self.branch_id and self.branch_id not in {branch.key for branch in branches}:
            # KVF-14: a branch of another store (or a typo) would only fail at the first
            # order push, far from where it was typed; refuse it here with the real list.
            raise BranchNotInShop(self.branch_id, [(b.key, b.name) for b in branches])
        if self.kind == "fnb":
            warnings_vi.append("API đơn hàng KiotViet FnB chỉ chạy với giao diện FnB cũ; cần "
                               "liên hệ KiotViet để chuyển về (KVF-09).")
            warnings_en.append("The KiotViet FnB order API works only with the old FnB "
                               "interface; ask KiotViet to switch back (KVF-09).")
        return ConnectionInfo(
            shop_name=self.retailer, branches=tuple(branches),
            permissions=("Đọc danh mục, sản phẩm, khách hàng, hoá đơn; tạo khách hàng và đơn "
                         "hàng",),
            warnings_vi=tuple(warnings_vi), warnings_en=tuple(warnings_en),
            token_expires_at=self.tokens.expires_at)

    # -- pull ------------------------------------------------------------------------------
    async def pull(self, entity: Entity, since: datetime | None,
                   resume: str | None = None) -> AsyncIterator[Page]:
        if entity is Entity.PRODUCT:
            async for page in self._pull_products(since, resume):
                yield page
            return
        endpoints: dict[Entity, tuple[str, dict[str, Any], Callable[[Any], Record]]] = {
            Entity.BRANCH: ("/branches", {"includeRemoveIds": "true"}, mapping.branch_from),
            Entity.CATEGORY: ("/categories", {"hierachicalData": "false",
                                              "orderBy": "categoryId", "orderDirection": "Asc"},
                              mapping.category_from),
            Entity.CUSTOMER: ("/customers", {"includeRemoveIds": "true", "orderBy": "id",
                                             "orderDirection": "Asc"}, mapping.customer_from),
            # KVF-08: invoices, completed only; KiotViet orders are never pulled.
            Entity.ORDER: ("/invoices", {"status": mapping.INVOICE_COMPLETED, "orderBy": "id",
                                         "orderDirection": "Asc"}, mapping.order_from_invoice),
        }
        if entity not in endpoints:
            raise NotSupported(f"KiotViet không có dữ liệu «{entity.value}» để đồng bộ.",
                               f"KiotViet has no «{entity.value}» to sync.")
        path, params, build = endpoints[entity]
        start, _ = _read_resume(resume)
        seen_deleted: set[str] = set()
        async for rows, body, offset, total, last in self._pages(
                path, {**params, **self._since(since)}, start):
            if entity is Entity.ORDER:
                rows = [row for row in rows if mapping.invoice_is_completed(row)]
            deleted = tuple(k for k in payload.removed_ids(body) if k not in seen_deleted)
            seen_deleted.update(deleted)
            built = [build(row) for row in rows]
            if entity is Entity.ORDER:
                built = [self._lines_on_families(order) for order in built]
            yield Page(records=tuple(built),
                       resume=None if last else _resume(offset), total=total,
                       deleted_keys=deleted)

    def _remember(self, rows: Sequence[Mapping[str, Any]]) -> None:
        by_id = {text(payload.get(row, "id")): row for row in rows}
        for row_id, row in by_id.items():
            self._families[row_id] = mapping.family_key(row, by_id)
            code = text(payload.get(row, "code"))
            if code:
                self._product_ids[code] = row_id

    def _lines_on_families(self, order: Order) -> Order:
        lines = tuple(dataclasses.replace(line, product_key=self._families.get(
            line.product_key, line.product_key)) for line in order.lines)
        return dataclasses.replace(order, lines=lines)

    async def _pull_products(self, since: datetime | None, resume: str | None
                             ) -> AsyncIterator[Page]:
        """Rows of one family may sit on different pages (a variant added later has a later
        id), so families with siblings are held until the last page; an incremental pull
        only sees the changed rows: a family the App holds as last synced is completed from
        the App's copy, any other is re-read whole. Held families travel in the resume token
        and are re-read after a crash.

        A first pull holds a big shop's family rows (two in five here): they are kept as their
        JSON bytes (a quarter of the memory of parsed rows) and given out after the last page in pages of
        FAMILIES_PER_PAGE, so the peak does not grow with a page of every held product."""
        start, carried = _read_resume(resume)
        refetch = set(carried)
        held: dict[str, list[bytes]] = {}
        seen_deleted: set[str] = set()
        params = {"includeInventory": "true", "orderBy": "id", "orderDirection": "Asc",
                  **({"includeRemoveIds": "true"} if since else {}), **self._since(since)}
        keep = self.keep_app_product_status
        families_seen: set[str] = set()
        emitted = rows_seen = 0
        if refetch and len(refetch) > -(-start // PAGE_SIZE):
            # A resumed pull (issue 21/3): the held families' rows sit on the pages before
            # `start`; reading those pages again costs start/100 requests, reading the
            # families one by one costs one each (≈20,000 at 100k products). An incremental
            # pull's pages hold only the changed rows: the App's copy completes those
            # families below, as in an uninterrupted run.
            await self._hold_again(params, start, refetch, held)
            refetch -= held.keys()
        async for rows, body, offset, total, last in self._pages("/products", params, start):
            records: list[Record] = []
            self._remember(rows)
            rows_seen += len(rows)
            for root, family in mapping.group_families(rows).items():
                if root in held or any(mapping.has_family(row) for row in family):
                    held.setdefault(root, []).extend(_compact(row) for row in family)
                else:
                    records.append(mapping.product_from_family(family, keep))
            deleted = tuple(k for k in payload.removed_ids(body) if k not in seen_deleted)
            seen_deleted.update(deleted)
            families_seen.update(mapping.group_families(rows))
            if not last:
                emitted += len(records)
                yield Page(records=tuple(records),
                           resume=_resume(offset, [*held, *(refetch - held.keys())]),
                           total=self._products_total(total, rows_seen, len(families_seen),
                                                      emitted, False),
                           deleted_keys=deleted)
                continue
            roots = sorted(set(held) | refetch, key=_by_number)
            # An incremental pull lists only the rows that changed: a family the App holds as
            # it was at the last sync is those rows plus the App's copy of the others, not a
            # masterProductId read per family (issue 21). New families are read whole.
            known = (self._known(Entity.PRODUCT, [r for r in roots if r in held
                                                  and r not in refetch])
                     if since is not None else {})
            for first in range(0, max(len(roots), 1), FAMILIES_PER_PAGE):
                for root in roots[first:first + FAMILIES_PER_PAGE]:
                    product = None
                    if since is None and root in held and root not in refetch:
                        family = [orjson.loads(row) for row in held.pop(root)]
                    elif root in known and known[root].as_last_synced and \
                            isinstance(known[root].record, Product):
                        family = [orjson.loads(row) for row in held.pop(root)]
                        product = mapping.family_from_known(family, known[root].record,
                                                            seen_deleted, keep)
                        if product is None:
                            family = await self._family_rows(root)
                    else:
                        family = await self._family_rows(root)
                    if product is not None:
                        records.append(product)
                    elif family:
                        records.append(mapping.product_from_family(family, keep))
                rest = roots[first + FAMILIES_PER_PAGE:]
                emitted += len(records)
                # A crash between these pages re-reads only the families not yet given out.
                yield Page(records=tuple(records), resume=_resume(offset, rest) if rest else None,
                           total=self._products_total(total, rows_seen, len(families_seen),
                                                      emitted, not rest),
                           deleted_keys=deleted)
                records, deleted = [], ()

    async def _hold_again(self, params: Mapping[str, Any], end: int, roots: set[str],
                          held: dict[str, list[bytes]]) -> None:
        """The rows of the families `roots` from the pages before offset `end`."""
        async for rows, _body, offset, _total, last in self._pages("/products", params, 0):
            rows = rows[:max(0, end - (offset - len(rows)))]     # the main loop reads on
            self._remember(rows)
            for root, family in mapping.group_families(rows).items():
                if root in roots:
                    held.setdefault(root, []).extend(_compact(row) for row in family)
            if last or offset >= end:
                return

    @staticmethod
    def _products_total(rows_total: int | None, rows_seen: int, families_seen: int,
                        emitted: int, last: bool) -> int | None:
        """KVF-15: KiotViet counts rows, the App counts products (families), so the total the
        progress bar and its time-left use is estimated from the share of rows that were
        families so far; exact on the last page."""
        if last:
            return emitted
        if rows_total is None or not rows_seen:
            return rows_total
        return max(families_seen, round(rows_total * families_seen / rows_seen))

    async def _family_rows(self, root: str) -> list[Mapping[str, Any]]:
        """Every row of one product family. UNVERIFIED: that `masterProductId=<id>` lists the
        master with its variants and units; the master is fetched alone if it is missing."""
        rows: list[Mapping[str, Any]] = []
        async for page, *_ in self._pages("/products", {"masterProductId": root,
                                                        "includeInventory": "true"}):
            rows.extend(page)
        self._remember(rows)
        if not any(text(payload.get(row, "id")) == root for row in rows):
            try:
                master = payload.unwrap(await self.call("GET", f"/products/{root}"))
            except NotFound:
                return rows
            if isinstance(master, Mapping):
                rows.insert(0, master)
        return rows

    async def list_keys(self, entity: Entity) -> set[str] | None:
        """None: KiotViet reports deletions itself (`removedIds`/`removeId` on incremental
        pulls), and an id scan after every scheduled run would spend the 5,000 GET/hour
        budget on a big menu (100 GETs per 10,000 products each time)."""
        return None

    # -- find (COM-02) -------------------------------------------------------------------
    async def prepare_find(self, entity: Entity, records: Sequence[Record]) -> None:
        """KiotViet looks each record up by its code or phone in one call: nothing to prepare."""

    def know_branches(self, branches: Sequence[Branch]) -> None:
        """KiotViet's creates name their branch from the connection's settings."""

    def know_records(self, known: KnownRecords) -> None:
        """Used by an incremental product pull: a changed row of a family the App holds as
        last synced completes that family from the App's copy (see `_pull_products`)."""
        self._known = known

    async def find(self, entity: Entity, record: Record) -> Record | None:
        if entity is Entity.CUSTOMER and isinstance(record, Customer):
            row = await self._customer_by_phone(record.phone)
            return mapping.customer_from(row) if row is not None else None
        if entity is Entity.PRODUCT and isinstance(record, Product):
            for variant in record.variants:
                if variant.sku:
                    row = await self._product_by_code(variant.sku)
                    if row is not None:
                        family = await self._family_rows(mapping.family_key(row))
                        return mapping.product_from_family(family or [row],
                                                           self.keep_app_product_status)
            return None
        if entity is Entity.CATEGORY and isinstance(record, Category):
            async for rows, *_ in self._pages("/categories", {"hierachicalData": "false"}):
                for row in rows:
                    found = mapping.category_from(row)
                    if found.name.casefold() == record.name.casefold() and \
                            (found.parent_key or None) == (record.parent_key or None):
                        return found
            return None
        if entity is Entity.ORDER and isinstance(record, Order):
            return await self._order_by_marker(record)
        return None

    async def _customer_by_phone(self, phone: str) -> Mapping[str, Any] | None:
        """KiotViet filters by `contactNumber` loosely and may leave the number out of the
        answer: digits are compared here, and a lone answer without a number is accepted only
        for a full-length phone (as KiotViet's own plugin does)."""
        wanted = mapping.phone_query(phone)
        if len(wanted) < 9:
            return None
        if wanted in self._customers_by_phone:
            return self._customers_by_phone[wanted]
        body = await self.call("GET", "/customers", params={"contactNumber": wanted,
                                                            "pageSize": PAGE_SIZE,
                                                            "currentItem": 0})
        rows = payload.items(body)
        for row in rows:
            if mapping.same_phone(payload.get(row, "contactNumber"), wanted):
                self._customers_by_phone[wanted] = row
                return row
        unnumbered = [row for row in rows if not text(payload.get(row, "contactNumber"))]
        if len(rows) == 1 and unnumbered and len(wanted) >= 10:
            self._customers_by_phone[wanted] = rows[0]
            return rows[0]
        return None

    async def _product_by_code(self, code: str) -> Mapping[str, Any] | None:
        try:
            row = payload.unwrap(await self.call("GET", f"/products/code/{code}"))
        except NotFound:
            return None
        return row if isinstance(row, Mapping) and payload.get(row, "id") is not None else None

    async def _order_by_marker(self, order: Order) -> Order | None:
        row = await self._order_row_by_marker(order)
        return mapping.order_from(row) if row is not None else None

    async def _order_row_by_marker(self, order: Order, fresh: bool = False
                                   ) -> Mapping[str, Any] | None:
        """KiotViet cannot search orders by description, so recent orders are read once and
        indexed by the App id in their description; the engine asks before every order
        create (COM-02), which must not cost a scan each time (`fresh` forces one)."""
        since = (order.created_at or self.now()) - ORDER_LOOKBACK
        if fresh or self._orders_since is None or since < self._orders_since:
            async for rows, *_ in self._pages("/orders", {"lastModifiedFrom":
                                                          vietnam_wall_clock(since)}):
                for row in rows:
                    app_key = mapping.row_marker_key(row)
                    if app_key:
                        self._orders_by_app_key[app_key] = row
                    self._recent_orders[text(payload.get(row, "id"))] = row
            self._orders_since = since if self._orders_since is None else \
                min(since, self._orders_since)
        return self._orders_by_app_key.get(order.key)

    # -- push ------------------------------------------------------------------------------
    async def create(self, entity: Entity, records: Sequence[Record]) -> list[PushOutcome]:
        """KiotViet has no batch create for these: one call per record. What is wrong with
        one record fails that record; what is wrong with the connection or the store (a
        refused token, a store setting switched off, the network) stops the batch so the
        engine can stop the run with one clear message."""
        outcomes = []
        for record in records:
            try:
                outcomes.append(await self._create_one(entity, record))
            except (InvalidData, NotFound, NotSupported) as error:
                outcomes.append(PushOutcome(app_key=record.key, error=error))
        return outcomes

    async def _create_one(self, entity: Entity, record: Record) -> PushOutcome:
        if entity is Entity.CUSTOMER and isinstance(record, Customer):
            async def same_phone() -> Any:
                return await self._customer_by_phone(record.phone) if record.phone else None
            body = await self._create_once("/customers",
                                           mapping.customer_body(record, self.branch_id),
                                           same_phone)
            row = payload.unwrap(body)
            if record.phone and isinstance(row, Mapping):
                self._customers_by_phone[mapping.phone_query(record.phone)] = row
            created = mapping.customer_from(row)
            return PushOutcome(app_key=record.key, pos_key=created.key, record=created)
        if entity is Entity.ORDER and isinstance(record, Order):
            created_order = await self._create_order(record)
            return PushOutcome(app_key=record.key, pos_key=created_order.key,
                               record=created_order)
        if entity is Entity.PRODUCT and isinstance(record, Product) and self.kind == "retail":
            product = await self._create_product(record)
            return PushOutcome(app_key=record.key, pos_key=product.key, record=product)
        raise self._not_offered(entity)

    def _not_offered(self, entity: Entity) -> NotSupported:
        if entity is Entity.PRODUCT:
            return NotSupported(
                "KiotViet FnB không cho tạo món qua API: hãy tạo món trong KiotViet FnB, món sẽ "
                "tự về App ở lần đồng bộ sau.",
                "KiotViet FnB does not allow creating items through its API: create the item "
                "in KiotViet FnB and it comes to the App on the next sync.", rule="KVF-01")
        return NotSupported(f"Không đẩy «{entity.value}» từ App sang KiotViet.",
                            f"«{entity.value}» is not pushed from the App to KiotViet.",
                            rule="KVF-01")

    async def _line_product_id(self, sku: str, fallback: str, name: str) -> str:
        """KiotViet needs its own row id per line (a variant or unit is a row of its own).
        Rows seen this run are known by SKU; a line of a linked product (its key is the
        family's KiotViet id) reads its family once for all its variants; only an unlinked
        line is looked up by its code (issue 19/17)."""
        if sku and sku not in self._product_ids and fallback.isdigit() \
                and fallback not in self._families_read:
            self._families_read.add(fallback)
            await self._family_rows(fallback)
        if sku:
            if sku not in self._product_ids:
                row = await self._product_by_code(sku)
                if row is not None:
                    self._product_ids[sku] = text(payload.get(row, "id"))
            if sku in self._product_ids:
                return self._product_ids[sku]
        if fallback.isdigit():
            return fallback
        raise InvalidData(
            f"Sản phẩm «{name}» (mã {sku or '—'}) chưa có trên KiotViet nên không đẩy được đơn. "
            "Hãy tạo sản phẩm cùng mã trong KiotViet rồi đồng bộ lại.",
            f"Product «{name}» (code {sku or '—'}) is not in KiotViet, so the order cannot be "
            "pushed. Create it in KiotViet with the same code, then sync again.")

    async def _create_order(self, order: Order) -> Order:
        if order.status not in self.platform.capability(Entity.ORDER).push_statuses:
            raise InvalidData(
                f"Đơn ở trạng thái «{order.status.value}» không được đẩy sang KiotViet (KVF-04).",
                f"Orders in status «{order.status.value}» are not pushed to KiotViet (KVF-04).",
                rule="KVF-04")
        product_ids = [await self._line_product_id(line.sku, line.variant_key or
                                                   line.product_key, line.name)
                       for line in order.lines]
        with_delivery = mapping.has_delivery(order) and is_on(self.options.get("uses_delivery"))
        # The engine hands over POS ids (translated through links); an unlinked customer is
        # looked up by phone so the KiotViet order still names the right person (COM-02).
        customer_id = order.customer_key if order.customer_key.isdigit() else ""
        if not customer_id and order.customer_phone:
            customer = await self._customer_by_phone(order.customer_phone)
            customer_id = text(payload.get(customer, "id")) if customer is not None else ""
        build = mapping.fnb_order_body if self.kind == "fnb" else mapping.retail_order_body
        pushed_at = self.now()
        body = build(order, branch_id=order.branch_key or self.branch_id,
                     product_ids=product_ids, customer_id=customer_id, pushed_at=pushed_at,
                     with_delivery=with_delivery)
        path = self.fnb_order_path if self.kind == "fnb" else "/orders"
        sent = mapping.content_of(mapping.sent_as_row(body))

        async def already_there() -> Mapping[str, Any] | None:
            """By marker; else (the marker fields may not be kept) the one unclaimed order
            with exactly this content made since this create started (COM-02)."""
            found = await self._order_row_by_marker(order, fresh=True)
            if found is not None:
                return found
            claimed = {text(payload.get(row, "id")) for row in self._orders_by_app_key.values()}
            new = [row for key, row in self._recent_orders.items()
                   if key not in claimed and not mapping.row_marker_key(row)
                   and mapping.content_of(row) == sent
                   and (mapping.made_at(row) or pushed_at) >= pushed_at - CLOCK_SKEW]
            return new[0] if len(new) == 1 else None
        answer = await self._create_once(path, body, already_there)
        if isinstance(answer, str):          # /orders/create answers the new order's uuid
            answer = await self.call("GET", f"/orders/uuid/{answer}")
        row = payload.unwrap(answer)
        self._orders_by_app_key[order.key] = row
        self._recent_orders[text(payload.get(row, "id"))] = row
        return mapping.order_from(row)

    async def _create_product(self, product: Product) -> Product:
        category = product.category_keys[0] if product.category_keys else ""
        bodies = mapping.product_rows_for_push(product, category, self.branch_id)
        rows: list[Mapping[str, Any]] = []
        for body in bodies:
            if rows:
                body["masterProductId"] = payload.get(rows[0], "id")
            code = str(body.get("code") or "")

            async def same_code(code: str = code) -> Any:
                return await self._product_by_code(code) if code else None
            rows.append(payload.unwrap(await self._create_once("/products", body, same_code)))
        return mapping.product_from_family(rows, self.keep_app_product_status)

    async def _update_product(self, pos_key: str, product: Product) -> Product:
        """Retail (B-06): each App variant is matched to its KiotViet row by SKU — variant ids
        are not linked one by one — and a variant KiotViet lacks is added to the family."""
        rows = await self._family_rows(pos_key)
        if not rows:
            raise NotFound("Sản phẩm này không còn trên KiotViet (có thể đã bị xoá).",
                           "This product is no longer in KiotViet (it may have been deleted).")
        by_code = {text(payload.get(row, "code")): row for row in rows}
        category = product.category_keys[0] if product.category_keys else ""
        for variant, body in zip(product.variants,
                                 mapping.product_rows_for_push(product, category)):
            row = by_code.get(variant.sku)
            if row is not None:
                body.pop("inventories", None)
                await self.call("PUT", f"/products/{payload.get(row, 'id')}", json=body)
            elif variant.sku:
                body["masterProductId"] = payload.as_int(pos_key) or pos_key

                async def same_code(code: str = variant.sku) -> Any:
                    return await self._product_by_code(code)
                await self._create_once("/products", body, same_code)
        return mapping.product_from_family(await self._family_rows(pos_key),
                                           self.keep_app_product_status)

    async def update(self, entity: Entity, pos_key: str, record: Record) -> Record:
        if entity is Entity.CUSTOMER and isinstance(record, Customer):
            body = await self.call("PUT", f"/customers/{pos_key}",
                                   json=mapping.customer_body(record))
            answer = payload.unwrap(body)
            if isinstance(answer, Mapping) and payload.get(answer, "id") is not None:
                return mapping.customer_from(answer)
            return record
        if entity is Entity.PRODUCT and isinstance(record, Product) and self.kind == "retail":
            return await self._update_product(pos_key, record)
        if entity is Entity.ORDER:
            raise NotSupported(
                "Không sửa đơn đã đẩy sang KiotViet từ App: hãy sửa trong KiotViet rồi xuất hoá "
                "đơn, đơn sẽ tự cập nhật về App.",
                "Orders already in KiotViet are not edited from the App: edit it in KiotViet "
                "and issue the invoice; it then syncs back.", rule="KVF-10")
        raise self._not_offered(entity)

    async def set_order_status(self, pos_key: str, status: OrderStatus) -> Record | None:
        if status is OrderStatus.CANCELLED:
            raise NotSupported(
                f"KiotViet không nhận huỷ đơn qua API: hãy tự huỷ đơn {pos_key} trong KiotViet.",
                f"KiotViet does not take cancellations by API: cancel order {pos_key} in "
                "KiotViet yourself.", rule="KVF-05")
        raise NotSupported(
            "Trạng thái đơn do KiotViet quản lý; hoá đơn hoàn thành sẽ tự về App.",
            "KiotViet owns the order status; the completed invoice comes back to the App.",
            rule="KVF-10")

    async def aclose(self) -> None:
        await self.api.aclose()
        if self.creates is not None:
            await self.creates.aclose()
        await self.tokens.http.aclose()


def connect(settings: ConnectionSettings, secrets: Mapping[str, str],
            transport: httpx.AsyncBaseTransport | None = None, *, kind: str,
            platform: Platform, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep,
            now: Callable[[], datetime] = now_utc) -> KiotVietConnector:
    """A connector for a saved profile. Hosts come from the profile (real ones by default) so
    the same code runs against the sandbox."""
    fields = settings.fields
    hosts = {**platform.hosts, **{k: v for k, v in settings.hosts.items() if v}}
    token_url = text(fields.get("token_url")) or hosts["token_url"]
    secret = secrets.get("client_secret", "")
    redact = Redactor([secret])
    # One budget for both clients, so a 429 on the token call is waited out too (COM-08).
    budget = GetBudget(clock=clock, sleep=sleep)
    api = PosHttp(base_url=hosts["api_base"], limiter=budget, limiter_key=limiter_key,
                  classify=classify_with_token, transport=transport, redact=redact, sleep=sleep)
    creates = PosHttp(base_url=hosts["api_base"], limiter=budget, limiter_key=limiter_key,
                      classify=classify_with_token, transport=transport, redact=redact,
                      sleep=sleep, retry=RetryPolicy(attempts=1))
    token_http = PosHttp(base_url="", limiter=budget, limiter_key=limiter_key,
                         classify=classify_token, transport=transport, redact=redact,
                         sleep=sleep)
    tokens = TokenKeeper(http=token_http, token_url=token_url, kind=kind,
                         client_id=text(fields.get("client_id")), client_secret=secret,
                         clock=clock)
    order_path = str(settings.options.get("fnb_order_path") or "/orders")
    return KiotVietConnector(platform=platform, kind=kind,
                             retailer=text(fields.get("retailer")),
                             branch_id=text(fields.get("branch")), api=api, tokens=tokens,
                             creates=creates,
                             options=dict(settings.options),
                             fnb_order_path=order_path if order_path in FNB_ORDER_PATHS
                             else "/orders", now=now)


def classify_with_token(response: httpx.Response) -> PosError | None:
    """`classify`, plus which token was refused, so exactly that one is renewed."""
    error = classify(response)
    if isinstance(error, TokenRejected):
        auth = response.request.headers.get("authorization", "")
        error.token_fingerprint = token_fingerprint(  # type: ignore[attr-defined]
            auth.removeprefix("Bearer ").strip() or None)
    return error
