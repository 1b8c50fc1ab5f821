"""SapoConnector: the Sapo Web / Omni Admin REST API behind the Connector protocol.

Every call goes to `https://{shop}.mysapo.net/admin/{resource}.json` with the private app's key
and secret as HTTP Basic, paced by Sapo's 40-call bucket (leak 2/s) so a normal run never meets
a 429. Sapo quirks live here and in mapping.py, nowhere else.
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import time
from datetime import datetime, timedelta
from typing import Any, AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence

import httpx

from contract.records import (Branch, Customer, Entity, Order, OrderLine, OrderStatus, Product, Record,
                        StockLevel, now_utc, quantity, text)
from contract.connector import (ConnectionInfo, InvalidData, NotFound, NotSupported, Page,
                             PermissionDenied, Platform, PushOutcome, TransientError)
from connectors.http import Clock, LeakyBucket, PosHttp, Redactor, RetryPolicy, Sleep
from connectors.sapo import mapping
from connectors.sapo.finding import KEY_FIELDS, ProductIndex, has_key
from connectors.sapo.errors import classify, permission_group, sku_taken

LIMIT = 250                      # Sapo's maximum page size
BUCKET_SIZE, LEAK_PER_SECOND = 40, 2.0
CALL_LIMIT_HEADER = "X-Sapo-Api-Call-Limit"
# UNVERIFIED (the one setting): how many inventory_item_ids one inventory_levels call accepts.
# Sapo documents pages of up to 250 rows, so 250 ids fill one page per location; the only
# client seen sends 40 (INVENTORY_IDS_SEEN). Items missing from a bigger batch's answer are
# asked again 40 at a time: a store that reads fewer ids costs calls, never stock.
INVENTORY_IDS_PER_REQUEST = 250
INVENTORY_IDS_SEEN = 40
ORDER_STATUSES = ("open", "closed", "cancelled")   # never status=any: Sapo answers []
# Per-product collect look-ups beat a whole collects scan only for a handful of products.
FEW_PRODUCTS = 3
CREATE_ATTEMPTS = 3
# In a run without a whole order pull of its own (a resumed pull, a push without a pull), the
# orders ShopSync created are read once for the duplicate check (COM-02/COM-09): those created
# from a few days before the oldest App order asked about. An App order older than the
# longest window is looked up on its own (three calls) instead of reading months of orders.
FIND_ORDER_LOOKBACK = timedelta(days=3)
FIND_ORDER_MAX_SPAN = timedelta(days=62)
CLOCK_MARGIN = timedelta(hours=1)
# Entities ShopSync pushes, read one at a time by id (`get`): resource and answer root.
_READ_BY_ID: dict[Entity, tuple[str, str]] = {
    Entity.PRODUCT: ("products", "product"),
    Entity.CUSTOMER: ("customers", "customer"),
    Entity.ORDER: ("orders", "order"),
}

# What the connection test reads to tell the owner which permissions the key has.
_PROBES: tuple[tuple[str, str], ...] = (
    ("/admin/custom_collections.json", "custom_collections"),
    ("/admin/products.json", "products"),
    ("/admin/customers.json", "customers"),
    ("/admin/orders.json", "orders"),
    ("/admin/blogs.json", "blogs"),
    ("/admin/locations.json", "locations"),
)


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _orders_made_from(rows: list[dict]) -> dict[str, str]:
    """Sapo order id → the App order ShopSync created it from (its note attribute)."""
    return {str(row["id"]): key for row in rows if (key := mapping.app_order_key(row))}


class SapoConnector:
    def __init__(self, platform: Platform, *, shop: str, api_key: str, api_secret: str,
                 base_url: str, options: Mapping[str, Any] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep,
                 now: Callable[[], datetime] = now_utc, headroom: int = 0) -> None:
        self.platform = platform
        self.shop = shop
        self.options = {**platform.option_defaults(), **(options or {})}
        self.limiter = LeakyBucket(BUCKET_SIZE, LEAK_PER_SECOND, header=CALL_LIMIT_HEADER,
                                   clock=clock, sleep=sleep, headroom=headroom)
        self.http = PosHttp(
            base_url=base_url, limiter=self.limiter, classify=classify,
            auth=httpx.BasicAuth(api_key, api_secret), transport=transport,
            headers={"Accept": "application/json"},
            redact=Redactor([api_key, api_secret, f"{api_key}:{api_secret}"]),
            sleep=sleep, retry=RetryPolicy(default_throttle_wait=1.5))
        # Creating POSTs are never re-sent blind: after a lost answer the record is looked up
        # first (COM-02), so this client raises at the first transient error (429s still wait).
        self.http_once = PosHttp(
            base_url=base_url, limiter=self.limiter, classify=classify,
            auth=httpx.BasicAuth(api_key, api_secret), transport=transport,
            headers={"Accept": "application/json"}, redact=self.http.redact, sleep=sleep,
            retry=RetryPolicy(attempts=1, default_throttle_wait=1.5))
        self._now = now
        self._locations: list[dict] | None = None
        self._location_rows: list[dict] | None = None
        self._known_branches: list[str] = []     # see know_branches
        self._blogs: list[dict] | None = None
        # Run caches for the look-ups before creating: see prepare_find and _find_order.
        self._product_index: ProductIndex | None = None
        self._orders_by_app: dict[str, dict] = {}
        self._orders_since: datetime | None = None
        self._orders_pulled = False
        # Order lines → Sapo variants (SAPO-04): linked products' variants, read by `ids=` in
        # batches, and the shop's SKUs/barcodes from one product list read, both kept for the run.
        self._variants_of: dict[str, list[dict]] = {}
        self._shop_keys: dict[tuple[str, str], tuple[int, int]] | None = None
        self._phase_total = 0            # rows of the list phase being converted (see _pull_phases)
        self._collections: list[dict] | None = None

    @property
    def request_count(self) -> int:
        return self.http.request_count + self.http_once.request_count

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.http_once.aclose()

    # -- plumbing --------------------------------------------------------------------------
    async def _get(self, path: str, params: Mapping[str, Any] | None = None) -> dict:
        return await self.http.json("GET", path, params=dict(params or {}))

    async def _send(self, method: str, path: str, body: Any, *, once: bool = False) -> dict:
        """A write, never repeated by the HTTP layer (which repeats only reads). A POST
        creates or changes state: it is sent once, and its caller looks the result up after a
        lost answer (COM-02). A PUT sets absolute values (the product as it should be, one
        stock level) and a DELETE of what is gone is a 404: Sapo doing either twice changes
        nothing, so they are sent again here after a lost answer or a cut-off body."""
        attempts = 1 if once or method == "POST" else CREATE_ATTEMPTS
        for attempt in range(attempts):
            try:
                response = await self.http_once.request(method, path, json=body)
                if not response.content:
                    return {}
                try:
                    return response.json()
                except ValueError:
                    raise TransientError(
                        "Sapo trả lời không trọn vẹn sau khi ghi; ShopSync sẽ kiểm tra lại trước "
                        "khi gửi lại.",
                        "Sapo's answer to a write was cut off; ShopSync checks before sending "
                        "again.", detail=f"unreadable body after {method} {path}",
                        status=response.status_code) from None
            except TransientError:
                if attempt + 1 >= attempts:
                    raise
                await self.http.sleep(min(8.0, 1.0 * 2 ** attempt))
        raise AssertionError("unreachable")

    async def _post_create(self, path: str, root: str, body: Any,
                           lookup: Callable[[], Awaitable[dict | None]] | None
                           ) -> tuple[dict, bool]:
        """POST a new record. When the answer is lost (timeout, reset, 5xx, cut-off body) Sapo
        may have created it anyway: look it up by its natural key before sending again (a
        customer or an order would otherwise exist twice; a product's SKU would be refused as
        taken); without a key, stop rather than risk a copy (COM-02)."""
        error: TransientError | None = None
        for attempt in range(CREATE_ATTEMPTS):
            try:
                return (await self._send("POST", path, body, once=True))[root], False
            except TransientError as lost:
                error = lost
            if lookup is None:
                break
            await self.http.sleep(min(8.0, 1.0 * 2 ** attempt))
            found = await lookup()
            if found is not None:
                return found, True
        assert error is not None
        raise error

    async def _count(self, path: str, params: Mapping[str, Any]) -> int:
        data = await self._get(path.removesuffix(".json") + "/count.json", params)
        return int(data.get("count") or 0)

    async def _pages(self, path: str, root: str, params: Mapping[str, Any],
                     first_page: int = 1) -> AsyncIterator[list[dict]]:
        """Each page of a list endpoint, in order, until a short one."""
        page = first_page
        while True:
            items = (await self._get(path, {**params, "limit": LIMIT, "page": page})).get(root) or []
            yield items
            if len(items) < LIMIT:
                return
            page += 1

    async def _scan(self, path: str, root: str, params: Mapping[str, Any]) -> list[dict]:
        """Every row of a list endpoint (small resources: collections, blogs, collects)."""
        return [row async for rows in self._pages(path, root, params) for row in rows]

    async def _all_locations(self, fresh: bool = False) -> list[dict]:
        """Locations change rarely; one read serves the whole run (the connector lives for one)."""
        if self._location_rows is None or fresh:
            self._location_rows = (await self._get("/admin/locations.json", {"limit": LIMIT})
                                   ).get("locations") or []
            self._locations = [row for row in self._location_rows
                               if row.get("active", True) is not False]
        return self._location_rows

    async def active_locations(self) -> list[dict]:
        if self._locations is None:
            await self._all_locations()
        return self._locations or []

    def know_branches(self, branches: Sequence[Branch]) -> None:
        self._known_branches = [b.key for b in branches if b.active]

    async def _branches_for_create(self, product: Product) -> list[str]:
        """Active location ids for a product create. Stock to place needs today's list: a
        wrong guess would put real stock on the wrong branch. Without stock the list only
        shapes how ShopSync records the new product (a single location's quantity is its
        stock), so the branches of the last branch pull do, and save the read in a push-only
        run; if a location changed since, the next pull brings the product's stock as Sapo
        has it."""
        if self._locations is None and self._known_branches \
                and not any(variant.stock for variant in product.variants):
            return self._known_branches
        return [str(location["id"]) for location in await self.active_locations()]

    async def _all_blogs(self) -> list[dict]:
        if self._blogs is None:
            self._blogs = await self._scan("/admin/blogs.json", "blogs", {})
        return self._blogs

    async def _single_branch(self) -> str | None:
        """With one location the variant's own quantity is that branch's stock: no
        inventory_levels calls are needed at all."""
        locations = await self.active_locations()
        return str(locations[0]["id"]) if len(locations) == 1 else None

    # -- connection test --------------------------------------------------------------------
    async def test_connection(self) -> ConnectionInfo:
        """Reads store.json (403 on some stores even with every permission, so a collection
        read is the fallback), then reads one row of each resource to list what the key may do."""
        shop_name = self.shop
        try:
            data = await self._get("/admin/store.json")
            store = data.get("store") or data.get("shop") or {}
            shop_name = text(store.get("name")) or self.shop
        except (PermissionDenied, NotSupported):
            await self._get("/admin/custom_collections.json", {"limit": 1})
        permissions, warnings_vi, warnings_en = [], [], []
        checked: set[str] = set()
        for path, resource in _PROBES:
            vi, en = permission_group(path)
            if vi in checked:   # one permission group covers several resources
                continue
            checked.add(vi)
            try:
                await self._get(path, {"limit": 1})
                permissions.append(f"{vi} / {en}: ✓")
            except (PermissionDenied, NotSupported):
                permissions.append(f"{vi} / {en}: ✗")
                warnings_vi.append(f"Thiếu quyền “{vi}”: trong Sapo → Ứng dụng riêng, chọn “Đọc và ghi”.")
                warnings_en.append(f"Missing the “{en}” permission: in Sapo → Private apps, set "
                                   "“Read and write”.")
        warnings_vi.append("ShopSync chỉ kiểm tra được quyền đọc; hãy chắc chắn các quyền trên là "
                           "“Đọc và ghi”.")
        warnings_en.append("ShopSync can only check read access; make sure the permissions above "
                           "are “Read and write”.")
        branches: tuple = ()
        try:
            branches = tuple(mapping.branch_from_sapo(row) for row in await self.active_locations())
        except (PermissionDenied, NotSupported):
            pass
        return ConnectionInfo(shop_name=shop_name, branches=branches, permissions=tuple(permissions),
                              warnings_vi=tuple(warnings_vi), warnings_en=tuple(warnings_en))

    # -- pulling ----------------------------------------------------------------------------
    def _since(self, since: datetime | None) -> dict[str, str]:
        return {"modified_on_min": mapping.sapo_time(since)} if since is not None else {}

    async def pull(self, entity: Entity, since: datetime | None,
                   resume: str | None = None) -> AsyncIterator[Page]:
        state = json.loads(resume) if resume else {}
        made_from: Callable[[list[dict]], dict[str, str]] | None = None
        if entity is Entity.BRANCH:
            rows = await self._all_locations(fresh=True)
            yield Page(tuple(mapping.branch_from_sapo(r) for r in rows), None, len(rows))
            return
        if entity is Entity.CATEGORY:
            phases = [("", "/admin/custom_collections.json", "custom_collections", self._since(since),
                       self._convert_rows(mapping.category_from_sapo))]
        elif entity is Entity.PRODUCT:
            cache: dict[str, Any] = {}

            async def products(rows: list[dict]) -> tuple[Record, ...]:
                return await self._products(rows, since, cache)
            phases = [("", "/admin/products.json", "products", self._since(since), products)]
        elif entity is Entity.CUSTOMER:
            phases = [("", "/admin/customers.json", "customers", self._since(since),
                       self._convert_rows(mapping.customer_from_sapo))]
        elif entity is Entity.ORDER:
            phases = [(status, "/admin/orders.json", "orders", {"status": status, **self._since(since)},
                       self._orders_seen) for status in ORDER_STATUSES]
            made_from = _orders_made_from
        elif entity is Entity.NEWS:
            # A blog's modified_on does not move when its articles change: always list blogs,
            # then read each blog's articles with the date filter.
            blogs = await self._all_blogs()
            phases = [(str(blog["id"]), f"/admin/blogs/{blog['id']}/articles.json", "articles",
                       self._since(since), self._convert_rows(
                           lambda row, blog=blog: mapping.article_from_sapo(row, blog)))
                      for blog in blogs]
        else:
            raise NotSupported("Sapo không có mục này.", "Sapo has no such entity.")
        async for page in self._pull_phases(phases, state, made_from):
            yield page
        if entity is Entity.ORDER and not state:
            self._orders_pulled = True   # a whole order pull, not a resumed one: _find_order

    @staticmethod
    def _convert_rows(convert: Callable[[dict], Record]) -> Callable[[list[dict]], Awaitable[tuple]]:
        async def run(rows: list[dict]) -> tuple[Record, ...]:
            return tuple(convert(row) for row in rows)
        return run

    async def _orders_seen(self, rows: list[dict]) -> tuple[Record, ...]:
        """Pulled orders, and the ones ShopSync created remembered for _find_order."""
        self._remember_orders(rows)
        return tuple(mapping.order_from_sapo(row) for row in rows)

    def _remember_orders(self, rows: Iterable[dict]) -> None:
        for row in rows:
            key = mapping.app_order_key(row)
            if key:
                self._orders_by_app.setdefault(key, row)

    async def _pull_phases(self, phases: list, state: Mapping[str, Any],
                           made_from: Callable[[list[dict]], dict[str, str]] | None = None
                           ) -> AsyncIterator[Page]:
        """Page through each phase (order status, blog) in turn. The resume token names the
        phase and page to read next, so an interrupted run continues there (COM-09).
        `made_from` names the App record each row was created from (Page.made_from)."""
        names = [phase[0] for phase in phases]
        start = names.index(state["phase"]) if state.get("phase") in names else 0
        known_total = 0
        for index in range(start, len(phases)):
            name, path, root, params, convert = phases[index]
            page = int(state.get("page", 1)) if index == start and state.get("phase", "") == name else 1
            total: int | None = None
            while True:
                rows = (await self._get(path, {**params, "limit": LIMIT, "page": page})).get(root) or []
                if total is None:
                    total = (len(rows) if page == 1 and len(rows) < LIMIT
                             else await self._count(path, params))
                    known_total += total
                self._phase_total = total
                records = await convert(rows)
                last_of_phase = len(rows) < LIMIT or page * LIMIT >= total
                if not last_of_phase:
                    resume: str | None = json.dumps({"phase": name, "page": page + 1})
                elif index + 1 < len(phases):
                    resume = json.dumps({"phase": phases[index + 1][0], "page": 1})
                else:
                    resume = None
                if records or resume is None:
                    yield Page(records, resume, known_total,
                               made_from=made_from(rows) if made_from is not None else {})
                if last_of_phase:
                    break
                page += 1

    async def _products(self, rows: list[dict], since: datetime | None,
                        cache: dict[str, Any]) -> tuple[Record, ...]:
        if not rows:
            return ()
        categories = await self._product_categories(rows, since, cache)
        single = await self._single_branch()
        stock = None if single is not None or not await self.active_locations() \
            else await self._stock_levels(rows)
        return tuple(mapping.product_from_sapo(row, categories.get(str(row["id"]), ()), stock, single)
                     for row in rows)

    async def _product_categories(self, rows: list[dict], since: datetime | None,
                                  cache: dict[str, Any]) -> dict[str, list[str]]:
        """Product → collection ids. A full pull scans every collect once. An incremental
        pull knows how many products changed (k, the phase's count) and takes the cheapest
        way for all of them, decided once: a handful are looked up one by one
        (`collects.json?product_id=`, one call each); more are read per collection
        (`products.json?collection_id=&modified_on_min=`, documented filters: one call per
        collection and 250 changed products), or by one scan of every collect in a small
        shop, whichever costs fewest calls."""
        if "all" not in cache and since is not None:
            changed = max(self._phase_total, len(rows))
            if "plan" not in cache:
                cache["plan"] = "each"
                if changed > FEW_PRODUCTS:
                    collections = await self._custom_collections()
                    by_collection = len(collections) + math.ceil(changed / LIMIT)
                    scan = math.ceil(await self._count("/admin/collects.json", {}) / LIMIT)
                    if scan < min(changed, by_collection):
                        cache["plan"] = "scan"
                    elif by_collection < changed:
                        cache["plan"] = "by_collection"
                        cache["all"] = await self._changed_by_collection(collections, since)
            if cache["plan"] == "each":
                result: dict[str, list[str]] = {}
                for row in rows:
                    result.update(await self._collects_of(row))
                return result
        if "all" not in cache:
            mapping_: dict[str, list[str]] = {}
            for collect in await self._scan("/admin/collects.json", "collects", {}):
                mapping_.setdefault(str(collect["product_id"]), []).append(str(collect["collection_id"]))
            cache["all"] = mapping_
        return cache["all"]

    async def _custom_collections(self) -> list[dict]:
        if self._collections is None:
            self._collections = await self._scan("/admin/custom_collections.json",
                                                 "custom_collections", {"fields": "id"})
        return self._collections

    async def _changed_by_collection(self, collections: list[dict],
                                     since: datetime) -> dict[str, list[str]]:
        """Changed product → its collections, read per collection with the pull's own date
        filter. A product changed after this read (during the pull) and absent here keeps the
        App's categories this run (nothing is blanked, COM-05) and is read again next run."""
        memberships: dict[str, list[str]] = {}
        for collection in collections:
            params = {"collection_id": collection["id"], "fields": "id", **self._since(since)}
            async for page in self._pages("/admin/products.json", "products", params):
                for row in page:
                    memberships.setdefault(str(row["id"]), []).append(str(collection["id"]))
        return memberships

    async def _stock_levels(self, rows: list[dict]) -> dict[str, tuple[StockLevel, ...]]:
        items = [str(v["inventory_item_id"]) for row in rows for v in row.get("variants") or []
                 if v.get("inventory_item_id")]
        levels: dict[str, list[StockLevel]] = {}
        for location in await self.active_locations():
            branch = str(location["id"])
            for batch in _chunks(items, INVENTORY_IDS_PER_REQUEST):
                read = await self._levels_at(location["id"], batch)
                missing = [item for item in batch if item not in read]
                if missing and len(batch) > INVENTORY_IDS_SEEN:
                    # Perhaps the store reads fewer ids per call than the setting: ask again.
                    for small in _chunks(missing, INVENTORY_IDS_SEEN):
                        read.update(await self._levels_at(location["id"], small))
                for item in batch:
                    if item in read:
                        levels.setdefault(item, []).append(StockLevel(branch, read[item]))
        return {item: tuple(found) for item, found in levels.items()}

    async def _levels_at(self, location_id: Any, batch: Sequence[str]) -> dict[str, Any]:
        """Available stock of these items at one location. One level per item and location:
        a page holding a level for every item asked is the last, even when it is full."""
        read: dict[str, Any] = {}
        page = 1
        while True:
            found = (await self._get("/admin/inventory_levels.json", {
                "location_id": location_id, "inventory_item_ids": ",".join(batch),
                "limit": LIMIT, "page": page})).get("inventory_levels") or []
            for level in found:
                read[str(level["inventory_item_id"])] = quantity(level.get("available"))
            if len(found) < LIMIT or len(read) >= len(batch):
                return read
            page += 1

    # -- deletion detection -----------------------------------------------------------------
    async def list_keys(self, entity: Entity) -> set[str] | None:
        """Every Sapo id of `entity`. Sapo keeps no tombstones, so deletions are found by
        comparing this set with the links (SAPO-07, COM-01). A scan during which the count
        changed is repeated: a deletion mid-scan shifts pages and would hide a live id."""
        if entity is Entity.BRANCH:
            return {str(r["id"]) for r in await self._all_locations()}
        if entity is Entity.NEWS:
            keys: set[str] = set()
            for blog in await self._all_blogs():
                keys |= await self._stable_ids(f"/admin/blogs/{blog['id']}/articles.json", "articles", {})
            return keys
        if entity is Entity.ORDER:
            keys = set()
            for status in ORDER_STATUSES:
                keys |= await self._stable_ids("/admin/orders.json", "orders", {"status": status})
            return keys
        path, root = {Entity.CATEGORY: ("/admin/custom_collections.json", "custom_collections"),
                      Entity.PRODUCT: ("/admin/products.json", "products"),
                      Entity.CUSTOMER: ("/admin/customers.json", "customers")}[entity]
        return await self._stable_ids(path, root, {})

    async def _stable_ids(self, path: str, root: str, params: Mapping[str, Any]) -> set[str]:
        """Ids of a paged scan. A single page is one answer and cannot shift. Over several
        pages a deletion between two reads shifts a live id onto a page already read, so the
        count is taken before and after, and the scan repeated until both agree with it."""
        scan = {**params, "fields": "id"}
        first = (await self._get(path, {**scan, "limit": LIMIT, "page": 1})).get(root) or []
        ids = {str(row["id"]) for row in first}
        if len(first) < LIMIT:
            return ids
        for _ in range(3):
            before = await self._count(path, params)
            ids = {str(row["id"]) for row in await self._scan(path, root, scan)}
            if len(ids) == before == await self._count(path, params):
                return ids
        return ids

    # -- finding (COM-02) -------------------------------------------------------------------
    async def find(self, entity: Entity, record: Record) -> Record | None:
        if entity is Entity.PRODUCT and isinstance(record, Product):
            return await self._find_product(record)
        if entity is Entity.CUSTOMER and isinstance(record, Customer):
            return await self._find_customer(record)
        if entity is Entity.ORDER and isinstance(record, Order):
            return await self._find_order(record)
        if entity is Entity.CATEGORY:
            name = text(getattr(record, "name", "")).casefold()
            for row in await self._scan("/admin/custom_collections.json", "custom_collections", {}):
                if text(row.get("name")).casefold() == name:
                    return mapping.category_from_sapo(row)
        return None

    async def prepare_find(self, entity: Entity, records: Sequence[Record]) -> None:
        """The engine is about to look these records up before creating them. When searching
        Sapo for each product would cost more calls than reading the product list once, the
        list is read now and the look-ups are answered from it (finding.py)."""
        if entity is not Entity.PRODUCT:
            return
        self._product_index = None
        products = [r for r in records if isinstance(r, Product) and has_key(r)]
        # At least one search per product, against a count plus the list's pages.
        if len(products) <= FEW_PRODUCTS:
            return
        path = "/admin/products.json"
        index = ProductIndex(products)
        # The first page says it all for a shop of up to LIMIT products (no count needed).
        first = (await self._get(path, {"limit": LIMIT, "page": 1})).get("products") or []
        index.add(first)
        keys: dict[tuple[str, str], tuple[int, int]] = {}
        _index_keys(first, keys)
        if len(first) == LIMIT:
            if math.ceil(await self._count(path, {}) / LIMIT) - 1 >= len(products):
                return   # the remaining pages would cost more calls than one search each
            async for rows in self._pages(path, "products", {}, first_page=2):
                index.add(rows)
                _index_keys(rows, keys)
        self._product_index = index
        self._shop_keys = keys   # the whole list was read: order lines' SKUs are answered too

    async def _find_product(self, record: Product) -> Product | None:
        served, row = self._product_index.take(record) if self._product_index else (False, None)
        if not served:
            row = await self._product_row(record)
        return await self._product_from_row(row) if row is not None else None

    async def _product_from_row(self, row: dict) -> Record:
        """One product as a pull maps it: its collections, and its stock per branch."""
        return (await self._products([row], None, {"all": await self._collects_of(row)}))[0]

    async def _product_row(self, record: Product) -> dict | None:
        """The Sapo product with the App product's name holding one of its SKUs (then
        barcodes). Sapo's `query` filters by product name (its docs: "Lọc theo tên product"),
        not by SKU, so the SKUs are compared here. A product Sapo holds under another name is
        found when Sapo refuses the create for a taken SKU (`_shop_product`)."""
        name = text(record.name)
        if not name:
            return None
        rows = (await self._get("/admin/products.json", {"query": name, "limit": LIMIT})
                ).get("products") or []
        for attribute in KEY_FIELDS:
            for value in dict.fromkeys(getattr(v, attribute) for v in record.variants):
                for row in rows if value else ():
                    if any(text(v.get(attribute)) == value for v in row.get("variants") or []):
                        return row
        return None

    async def _collects_of(self, row: Mapping[str, Any]) -> dict[str, list[str]]:
        collects = (await self._get("/admin/collects.json", {"product_id": row["id"], "limit": LIMIT})
                    ).get("collects") or []
        return {str(row["id"]): [str(c["collection_id"]) for c in collects]}

    async def _find_customer(self, record: Customer) -> Customer | None:
        row = await self._customer_row(record)
        return mapping.customer_from_sapo(row) if row is not None else None

    async def _customer_row(self, record: Customer) -> dict | None:
        wanted = mapping.phone_digits(record.phone)
        if wanted:
            rows = (await self._get("/admin/customers.json",
                                    {"query": mapping.phone_query(record.phone), "limit": LIMIT})
                    ).get("customers") or []
            for row in rows:   # Sapo stores +84… and 0…, and its search is a substring match
                if mapping.phone_digits(row.get("phone")) == wanted:
                    return row
        if record.email:
            rows = (await self._get("/admin/customers.json", {"query": record.email, "limit": LIMIT})
                    ).get("customers") or []
            for row in rows:
                if text(row.get("email")).casefold() == record.email.casefold():
                    return row
        return None

    async def _find_order(self, record: Order) -> Order | None:
        """The Sapo order ShopSync created for this App order, if any. After this run's whole
        order pull, the orders it read answer (see below). Otherwise orders ShopSync created
        (tag `shopsync`) are read into an index once per run, reaching back to shortly before
        the oldest App order asked about; an App order older than FIND_ORDER_MAX_SPAN is looked
        up on its own."""
        if not record.key:
            return None
        if self._orders_pulled:
            # No read is needed. Each complete order pull reads every order modified since
            # the previous complete one began (less the overlap; runs never overlap), so an
            # order ShopSync created at T is read by the first complete pull that begins
            # after T (created_on <= modified_on), and that pull links it to the App order it
            # names (Page.made_from, COM-02): that App order is never asked about again. An
            # App order still unlinked whose Sapo twin exists is therefore one whose twin no
            # complete pull has read yet, and this run's pull, beginning after it was made,
            # has just read it into the index.
            row = self._orders_by_app.get(record.key)
            return mapping.order_from_sapo(row) if row is not None else None
        now = self._now()
        start = now - FIND_ORDER_LOOKBACK
        if record.created_at is not None:
            start = min(start, record.created_at - CLOCK_MARGIN)
        if start < now - FIND_ORDER_MAX_SPAN:
            row = await self._order_row(record.key)
        else:
            await self._index_orders(start)
            row = self._orders_by_app.get(record.key)
        return mapping.order_from_sapo(row) if row is not None else None

    async def _index_orders(self, start: datetime) -> None:
        """Extend the index back to `start` (only the part not read yet)."""
        if self._orders_since is not None and start >= self._orders_since:
            return
        params = {"tag": mapping.SHOPSYNC_ORDER_TAG, "created_on_min": mapping.sapo_time(start)}
        if self._orders_since is not None:
            params["created_on_max"] = mapping.sapo_time(self._orders_since)
        for status in ORDER_STATUSES:
            self._remember_orders(
                await self._scan("/admin/orders.json", "orders", {**params, "status": status}))
        self._orders_since = start

    async def _order_row(self, app_key: str) -> dict | None:
        """A Sapo order ShopSync created for this App order: found by the exact tag (`tags=`
        is ignored by Sapo, `tag=` works), confirmed by the note attribute."""
        if not app_key:
            return None
        for status in ORDER_STATUSES:
            rows = (await self._get("/admin/orders.json", {"status": status,
                                                           "tag": mapping.app_order_tag(app_key),
                                                           "limit": LIMIT})).get("orders") or []
            for row in rows:
                if mapping.app_order_key(row) == app_key:
                    return row
        return None

    # -- reading one record by its Sapo id --------------------------------------------------
    async def get(self, entity: Entity, pos_key: str) -> Record | None:
        """The record Sapo holds under `pos_key` (`GET /admin/{resource}/{id}.json`), mapped
        as the pull maps it; None when Sapo answers 404. Unlike `_find_order`, this does not
        depend on what this run's order pull happened to read."""
        if entity not in _READ_BY_ID:
            raise NotSupported("ShopSync không đọc mục này theo mã trên Sapo.",
                               "ShopSync does not read this by its Sapo id.")
        resource, root = _READ_BY_ID[entity]
        try:
            row = (await self._get(f"/admin/{resource}/{pos_key}.json"))[root]
        except NotFound as error:
            if error.status == 404:
                return None
            raise   # an HTML page or a redirect: the shop address is wrong, not the record
        if entity is Entity.PRODUCT:
            return await self._product_from_row(row)
        if entity is Entity.CUSTOMER:
            return mapping.customer_from_sapo(row)
        return mapping.order_from_sapo(row)

    # -- writing ----------------------------------------------------------------------------
    async def create(self, entity: Entity, records: Sequence[Record]) -> list[PushOutcome]:
        """Sapo creates one record per call. An item Sapo refuses (or SAPO-08 blocks before any
        request) gets its error in the outcome; auth/permission/network errors stop the batch."""
        outcomes = []
        if entity is Entity.ORDER:
            await self._read_linked_variants([r for r in records if isinstance(r, Order)])
        for record in records:
            try:
                validate_create(entity, record)
                outcomes.append(await self._create_one(entity, record))
            except (InvalidData, NotFound, NotSupported) as error:
                outcomes.append(PushOutcome(app_key=record.key, error=error))
        return outcomes

    async def _create_one(self, entity: Entity, record: Record) -> PushOutcome:
        if entity is Entity.PRODUCT and isinstance(record, Product):
            return await self._create_product(record)
        if entity is Entity.CUSTOMER and isinstance(record, Customer):
            lookup = (lambda: self._customer_row(record)) if (record.phone or record.email) else None
            row, _ = await self._post_create("/admin/customers.json", "customer",
                                          {"customer": mapping.customer_to_sapo(record)}, lookup)
            created = mapping.customer_from_sapo(row)
            return PushOutcome(record.key, created.key, created)
        if entity is Entity.ORDER and isinstance(record, Order):
            record = await self._with_variant_ids(record)
            body = mapping.order_to_sapo(record, inventory_behaviour=str(
                self.options.get("inventory_behaviour") or "decrement_obeying_policy"))
            row, _ = await self._post_create("/admin/orders.json", "order", {"order": body},
                                          lambda: self._order_row(record.key))
            self._orders_by_app[record.key] = row   # the run's index stays true (_find_order)
            created = mapping.order_from_sapo(row)
            return PushOutcome(record.key, created.key, created)
        raise NotSupported("ShopSync không tạo mục này trên Sapo (chỉ lấy từ Sapo về).",
                           "ShopSync does not create this on Sapo (it only comes from Sapo).",
                           rule={Entity.CATEGORY: "SAPO-02", Entity.NEWS: "SAPO-06"}.get(entity, ""))

    async def _read_linked_variants(self, orders: Sequence[Order]) -> None:
        """The variants of every linked Sapo product these orders name and this run has not
        read yet: `GET products.json?ids=…` (documented), 250 products per call (SAPO-04).
        Only the products asked for are kept: if a store ignored `ids`, a line stays
        unresolved and is reported, never matched to another product."""
        wanted = list(dict.fromkeys(line.product_key for order in orders for line in order.lines
                                    if line.product_key.isdigit()
                                    and line.product_key not in self._variants_of))
        for batch in _chunks(wanted, LIMIT):
            rows = (await self._get("/admin/products.json", {"ids": ",".join(batch),
                                                             "limit": LIMIT})).get("products") or []
            asked = set(batch)
            for row in rows:
                if str(row.get("id")) in asked:
                    self._variants_of[str(row["id"])] = list(row.get("variants") or [])
            for key in batch:
                self._variants_of.setdefault(key, [])

    async def _with_variant_ids(self, order: Order) -> Order:
        """Every product line gets its Sapo variant (and product) id, without which Sapo
        treats it as a custom item and moves no stock (SAPO-04). A linked line's variant is its
        product's variant with that SKU, or the product's only one; an unlinked line's SKU is
        looked up in the shop's SKUs (one product list read per run: Sapo's `query` matches
        names, not SKUs). A product line still without a variant stops the order with a
        message; a line with neither SKU nor product (a fee) stays a custom line."""
        lines, unresolved = [], []
        for line in order.lines:
            if not line.variant_key.isdigit() and (line.product_key.isdigit() or line.sku):
                match: tuple[str, str] | None = None
                if line.product_key.isdigit():
                    variant = _variant_for(line, self._variants_of.get(line.product_key, []))
                    if variant is not None:
                        match = (line.product_key, str(variant["id"]))
                else:
                    hit = (await self._shop_key_index()).get(("sku", line.sku))
                    if hit is not None:
                        match = (str(hit[0]), str(hit[1]))
                if match is None:
                    unresolved.append(line)
                else:
                    line = dataclasses.replace(line, product_key=match[0], variant_key=match[1])
            lines.append(line)
        if unresolved:
            names = ", ".join(f"“{line.name or line.sku}”" + (f" (SKU {line.sku})" if line.sku else "")
                              for line in unresolved)
            raise InvalidData(
                f"Đơn chưa được gửi: {names} chưa có phiên bản tương ứng trên Sapo, nên Sapo sẽ "
                "không trừ tồn kho cho dòng đó. Hãy đồng bộ hoặc đẩy sản phẩm này lên Sapo rồi "
                "gửi lại đơn.",
                f"Order not sent: {names} has no matching variant on Sapo, so Sapo would not "
                "deduct its stock. Sync or push this product to Sapo, then send the order again.",
                rule="SAPO-04", detail=f"unresolved order lines: {names}")
        return dataclasses.replace(order, lines=tuple(lines))

    async def _shop_key_index(self, fresh: bool = False) -> dict[tuple[str, str], tuple[int, int]]:
        """Every SKU and barcode of the shop → (product id, variant id), from one read of the
        product list per run (or the one `prepare_find` made); products this run creates are
        added as they are made (`_remember_keys`)."""
        if self._shop_keys is None or fresh:
            keys: dict[tuple[str, str], tuple[int, int]] = {}
            async for rows in self._pages("/admin/products.json", "products", {}):
                _index_keys(rows, keys)
            self._shop_keys = keys
        return self._shop_keys

    def _remember_keys(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self._variants_of[str(row["id"])] = list(row.get("variants") or [])
        if self._shop_keys is not None:
            _index_keys(rows, self._shop_keys)

    async def _shop_product(self, record: Product) -> dict | None:
        """The Sapo product holding one of `record`'s SKUs/barcodes, from the shop's key index
        (read again once if it was read before this product appeared on Sapo)."""
        read_before = self._shop_keys is not None
        for fresh in (False, True) if read_before else (False,):
            keys = await self._shop_key_index(fresh=fresh)
            for field in KEY_FIELDS:
                for value in dict.fromkeys(getattr(v, field) for v in record.variants):
                    if value and (field, value) in keys:
                        pid = keys[(field, value)][0]
                        try:
                            return (await self._get(f"/admin/products/{pid}.json"))["product"]
                        except NotFound:
                            continue
        return None

    async def _create_product(self, record: Product) -> PushOutcome:
        branches = await self._branches_for_create(record)
        single = branches[0] if len(branches) == 1 else None
        body = mapping.product_to_sapo(record, published_on=mapping.sapo_time(self._now()),
                                       initial_stock_branch=single)
        try:
            created, found = await self._post_create(
                "/admin/products.json", "product", {"product": body},
                (lambda: self._product_row(record)) if has_key(record) else None)
        except InvalidData as refused:
            if not sku_taken(refused):
                raise
            existing = await self._shop_product(record)
            if existing is None:
                raise
            # COM-02: Sapo already has this product (under another name, so the look-up by
            # name missed it). It is linked as Sapo holds it; nothing on it is changed.
            self._remember_keys([existing])
            return PushOutcome(record.key, str(existing["id"]), await self._product_from_row(existing))
        self._remember_keys([created])
        pos_key = str(created["id"])
        category = record.category_keys[0]
        stock: dict[str, tuple[StockLevel, ...]] | None = None
        try:
            already = (await self._collects_of(created))[pos_key] if found else []
            if category not in already:
                await self._add_collect(created["id"], int(category))
            if single is None:
                stock = await self._set_initial_stock(record, created, branches)
        except (InvalidData, NotFound, TransientError) as error:
            # The product exists on Sapo now: its id is reported with the error so the owner
            # knows it is there (the engine's SKU look-up links it next time, never a copy).
            error = InvalidData(
                f"Sản phẩm đã được tạo trên Sapo nhưng chưa gán được danh mục/tồn kho: "
                f"{error.message_vi} Hãy kiểm tra sản phẩm này trong Sapo.",
                f"The product was created on Sapo but its category/stock could not be set: "
                f"{error.message_en} Check this product in Sapo.", rule=error.rule,
                detail=error.detail, status=error.status)
            return PushOutcome(record.key, pos_key,
                               mapping.product_from_sapo(created, (), stock, single), error)
        return PushOutcome(record.key, pos_key,
                           mapping.product_from_sapo(created, (category,), stock, single))

    async def _set_initial_stock(self, record: Product, created: Mapping[str, Any],
                                 branches: list[str]) -> dict[str, tuple[StockLevel, ...]]:
        """Several branches: each level is written with the wrapped PUT set.json, the one stock
        write Sapo accepts (POST → 405, PUT by id → 403). Returns each item's levels as a pull
        will read them."""
        stock: dict[str, tuple[StockLevel, ...]] = {}
        for variant, sapo_variant in zip(record.variants, created.get("variants") or []):
            item = sapo_variant.get("inventory_item_id")
            written = {level.branch_key: level.available for level in variant.stock
                       if level.branch_key in branches}
            for branch, available in written.items():
                await self._send("PUT", "/admin/inventory_levels/set.json", {"inventory_level": {
                    "location_id": int(branch), "inventory_item_id": item,
                    "available": mapping.number(available)}})
            if item is not None:
                stock[str(item)] = mapping.new_variant_levels(branches, written)
        return stock

    async def update(self, entity: Entity, pos_key: str, record: Record) -> Record:
        if entity is Entity.PRODUCT and isinstance(record, Product):
            return await self._update_product(pos_key, record)
        if entity is Entity.CUSTOMER and isinstance(record, Customer):
            current = (await self._get(f"/admin/customers/{pos_key}.json"))["customer"]
            body = mapping.customer_to_sapo(record, mapping.customer_from_sapo(current))
            data = await self._send("PUT", f"/admin/customers/{pos_key}.json",
                                    {"customer": {"id": int(pos_key), **body}})
            return mapping.customer_from_sapo(data["customer"])
        if entity is Entity.ORDER:
            raise InvalidData("Đơn đã đồng bộ sang Sapo không được sửa từ App; hãy xử lý đơn trong Sapo.",
                              "An order already synced to Sapo must not be edited from the App; "
                              "process it in Sapo.", rule="SAPO-09")
        raise NotSupported("ShopSync không sửa mục này trên Sapo (chỉ lấy từ Sapo về).",
                           "ShopSync does not edit this on Sapo (it only comes from Sapo).",
                           rule={Entity.CATEGORY: "SAPO-02", Entity.NEWS: "SAPO-06"}.get(entity, ""))

    async def _update_product(self, pos_key: str, record: Product) -> Product:
        """Name, description, visibility, options, variants and prices go to Sapo. Stock is
        not: after creation Sapo owns it (its sales move it), and an App value read before
        those sales would overwrite them."""
        current = (await self._get(f"/admin/products/{pos_key}.json"))["product"]
        body = mapping.product_to_sapo(record, existing=current,
                                       published_on=mapping.sapo_time(self._now()))
        updated = (await self._send("PUT", f"/admin/products/{pos_key}.json",
                                    {"product": {"id": int(pos_key), **body}}))["product"]
        collects = (await self._get("/admin/collects.json", {"product_id": pos_key, "limit": LIMIT})
                    ).get("collects") or []
        keys = [str(c["collection_id"]) for c in collects]
        wanted = [k for k in record.category_keys if k.isdigit()]
        if wanted:   # an App product without categories never empties Sapo's (COM-05)
            for key in wanted:
                if key not in keys:
                    await self._add_collect(int(pos_key), int(key))
            for collect in collects:
                if str(collect["collection_id"]) not in wanted:
                    try:
                        await self._send("DELETE", f"/admin/collects/{collect['id']}.json", None)
                    except NotFound as gone:   # a repeat after a lost answer: already removed
                        if gone.status != 404:
                            raise
            keys = wanted
        return (await self._products([updated], None, {"all": {pos_key: keys}}))[0]

    async def set_order_status(self, pos_key: str, status: OrderStatus) -> Record | None:
        """Close (archive, SAPO-10), cancel (body wrapped in `order_cancel`, else 400) or
        reopen a Sapo order; other statuses are worked in Sapo itself (SAPO-04)."""
        path = f"/admin/orders/{pos_key}"
        if status in (OrderStatus.ARCHIVED, OrderStatus.COMPLETED):
            action, body, reached = "close", {}, "closed"
        elif status is OrderStatus.CANCELLED:
            action, body, reached = "cancel", {"order_cancel": {"reason": "other",
                                                                "note": "ShopSync"}}, "cancelled"
        elif status is OrderStatus.PLACED:
            action, body, reached = "open", {}, "open"
        else:
            raise NotSupported("Trạng thái này được xử lý trong Sapo, không gửi từ App.",
                               "This status is worked in Sapo, not sent from the App.",
                               rule="SAPO-04")
        try:
            await self._send("POST", f"{path}/{action}.json", body)
        except TransientError:
            # Sapo may have done it before the answer was lost (a second cancel is a 422):
            # read the order, and send again only if it is not in that state.
            if text((await self._get(f"{path}.json"))["order"].get("status")) != reached:
                await self._send("POST", f"{path}/{action}.json", body)
        data = await self._get(f"{path}.json")
        return mapping.order_from_sapo(data["order"])

    async def _add_collect(self, product_id: int, collection_id: int) -> None:
        """Put a product in a collection. After a lost answer Sapo may hold the collect
        already (a second POST is a 422): the product's collects are read first (COM-02)."""
        body = {"collect": {"product_id": product_id, "collection_id": collection_id}}
        try:
            await self._send("POST", "/admin/collects.json", body)
        except TransientError:
            if str(collection_id) not in (await self._collects_of({"id": product_id}))[str(product_id)]:
                await self._send("POST", "/admin/collects.json", body)


def _index_keys(rows: Iterable[Mapping[str, Any]],
                keys: dict[tuple[str, str], tuple[int, int]]) -> None:
    for row in rows:
        for variant in row.get("variants") or []:
            for field in KEY_FIELDS:
                value = text(variant.get(field))
                if value:
                    keys.setdefault((field, value), (int(row["id"]), int(variant["id"])))


def _variant_for(line: OrderLine, variants: list[dict]) -> dict | None:
    """The variant of a linked product an order line stands for: the one with its SKU, else
    the product's only base variant (pack sizes aside)."""
    if line.sku:
        for variant in variants:
            if text(variant.get("sku")) == line.sku:
                return variant
    bases = [v for v in variants if not mapping.is_pack_size(v)]
    return bases[0] if len(bases) == 1 else None


def validate_create(entity: Entity, record: Record) -> None:
    """Checks before any request: SAPO-08 and Sapo's limits, plus the category must already be
    a Sapo collection (categories come from Sapo, SAPO-02)."""
    mapping.validate_push(entity, record)
    if entity is Entity.PRODUCT and isinstance(record, Product) \
            and not record.category_keys[0].isdigit():
        raise InvalidData(
            "Danh mục của sản phẩm chưa có trên Sapo. Danh mục được lấy từ Sapo về: hãy chọn một "
            "danh mục đã đồng bộ từ Sapo.",
            "The product's category is not on Sapo. Categories come from Sapo: pick one that was "
            "synced from Sapo.", rule="SAPO-02")
