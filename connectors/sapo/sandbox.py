"""SapoSandbox: a stateful emulator of the Sapo Admin REST API, quirks included.

It reproduces what platforms/sapo.md §8 lists: ignored filters (naive dates, Shopify names,
`tags=`, `fields=` on orders), `status=any` → [], the 40-call bucket draining 2/s with its
`X-Sapo-Api-Call-Limit` header and 429 + Retry-After, `access_denied` 403s, 422 bodies as dict
or string, `source_name` refused, cancel needing `order_cancel`, stock written only by the
wrapped `PUT inventory_levels/set.json`, deletions visible only as 404s. Beyond §8: product
`query` matches names only (Sapo's docs: "Lọc theo tên product"), a SKU the shop already has is
refused with 422, an order moves stock only for lines naming a variant, and any write can be
committed and then lose its answer (`lose_answer_after`).
"""
from __future__ import annotations

import base64
import bisect
import json
import math
import random
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable
from urllib.parse import parse_qsl

import httpx

from connectors.sandbox_base import Fault, SandboxBase, json_response
from connectors.sapo import sample_shop as shop
from connectors.sapo.errors import resource_of
from connectors.sapo.mapping import phone_digits
from connectors.sapo.platform import SANDBOX_KEY, SANDBOX_SECRET, SANDBOX_SHOP

CAPACITY, LEAK = 40, 2.0
# Customer genders as Sapo's docs list them. UNVERIFIED: that another spelling is refused
# (the sandbox refuses it, so a connector sending lowercase fails here, not silently).
GENDERS = ("Male", "Female", "Other")
MAX_LIMIT, DEFAULT_LIMIT = 250, 50
NEW_IDS = 20_000_000


def _aware_epoch(value: str) -> float | None:
    """A filter date Sapo honours; None when it has no zone (Sapo then ignores the filter)."""
    raw = value.strip().replace(" ", "T", 1)
    if raw.endswith("Z"):
        raw = raw[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()


def _epoch(stamp: str | None) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() if stamp else 0.0


class _Refused(Exception):
    def __init__(self, response: httpx.Response) -> None:
        self.response = response


def _unprocessable(errors: Any) -> _Refused:
    return _Refused(json_response(422, {"errors": errors}))


@dataclass
class SapoSandbox(SandboxBase):
    product_count: int = 200
    location_count: int = 2
    shop: str = SANDBOX_SHOP
    api_key: str = SANDBOX_KEY
    api_secret: str = SANDBOX_SECRET
    denied: set[str] = field(default_factory=set)   # resources answering 403 access_denied
    # How many inventory_item_ids one inventory_levels call reads (None: all it is sent).
    # UNVERIFIED on a real store; a smaller number silently drops the rest, as a store that
    # caps the list would.
    inventory_ids_read: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.bucket_level, self.bucket_stamp = 0.0, self.clock()
        self.throttled = 0
        self._next_id = NEW_IDS
        now = self.clock()
        self.base_time, self.span = now - 30 * 86400, 20 * 86400
        self.locations = [{
            "id": shop.LOCATION_BASE + k, "name": name, "address1": street, "address2": None,
            "city": city, "province": city, "country": "Vietnam", "zip": None, "phone": phone,
            "active": True, "created_on": shop.iso(self.base_time), "modified_on": shop.iso(self.base_time)}
            for k, (name, street, city, phone) in enumerate(shop.LOCATIONS[: self.location_count])]
        self.collections: dict[int, dict] = {}
        for k, group in enumerate(shop.GROUPS):
            stamp = shop.iso(self.base_time + k)
            self.collections[shop.COLLECTION_BASE + k] = {
                "id": shop.COLLECTION_BASE + k, "name": group.name, "alias": f"nhom-{k + 1}",
                "description": f"<p>Nhóm {group.name}</p>", "image": None, "published_on": stamp,
                "sort_order": "manual", "template_layout": "collection", "meta_title": None,
                "meta_description": None, "created_on": stamp, "modified_on": stamp}
        self.product_ids: list[int] = [shop.PRODUCT_BASE + i for i in range(self.product_count)]
        self.products: dict[int, dict] = {}            # written products (generated ones on demand)
        self.variant_owner: dict[int, int] = {}        # variant id of a written product → product
        self.item_owner: dict[int, int] = {}
        self.collects: list[tuple[int, int, int, str]] = [   # (id, product_id, collection_id, stamp)
            (shop.COLLECT_BASE + i, shop.PRODUCT_BASE + i,
             shop.COLLECTION_BASE + shop.category_index(i, self.seed), shop.iso(self.base_time))
            for i in range(self.product_count)]
        self.stock: dict[tuple[int, int], float] = {}  # (inventory_item_id, location_id) → available
        self.customers: dict[int, dict] = {}
        self.orders: dict[int, dict] = {}
        self.blogs: dict[int, dict] = {}
        self.articles: dict[int, dict] = {}
        # (method, path) of writes to commit and then answer with a fault (timeout, 5xx, …).
        self.lost_answers: list[tuple[str, str, str]] = []
        self.write_loss_rate = 0.0   # chance that any committed write loses its answer
        self._seed_people_orders_news()

    def lose_answer_after(self, method: str, path: str, fault: str = "timeout") -> None:
        """The next `method path` is carried out, then its answer is lost (the fault's
        rendering): what a reset or a gateway 502 after Sapo committed looks like."""
        self.lost_answers.append((method, path, fault))

    # -- ids and time -------------------------------------------------------------------------
    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def now(self) -> str:
        return shop.iso(self.clock())

    # -- sample data --------------------------------------------------------------------------
    def _seed_people_orders_news(self) -> None:
        rng = random.Random(self.seed)
        for k in range(60):
            name, phone = shop.person(rng)
            province, district, ward, street = rng.choice(shop.ADDRESSES)
            stamp = shop.iso(self.base_time + 3600 * k)
            cid = 600_000 + k
            address = {"id": 650_000 + k, "customer_id": cid, "address1": street, "address2": None,
                       "city": None, "company": None, "country": "Vietnam", "country_code": "VN",
                       "province": province, "province_code": None, "district": district,
                       "district_code": None, "ward": ward, "ward_code": None, "first_name": name,
                       "last_name": None, "phone": phone, "zip": None, "default": True}
            self.customers[cid] = {
                "id": cid, "state": "enabled",
                "email": f"khach{k + 1}@example.vn" if rng.random() < 0.6 else None,
                "verified_email": False, "phone": phone, "first_name": name, "last_name": None,
                "gender": rng.choice(GENDERS + (None,)), "dob": None,
                "accepts_marketing": False, "orders_count": 0, "total_spent": 0.0, "tags": "",
                "note": None, "created_on": stamp, "modified_on": stamp,
                "addresses": [address], "default_address": address}
        shapes = (("open", "pending", None), ("open", "paid", None), ("open", "paid", "partial"),
                  ("open", "paid", "fulfilled"), ("closed", "paid", "fulfilled"),
                  ("cancelled", "voided", None))
        customer_ids = sorted(self.customers)
        for k in range(48):
            status, financial, fulfillment = shapes[k % len(shapes)]
            customer = self.customers[rng.choice(customer_ids)]
            lines = []
            for _ in range(rng.randint(1, 3)):
                product = self.product(rng.choice(self.product_ids[: min(50, len(self.product_ids))]))
                if product is None:
                    continue
                variant = rng.choice(product["variants"])
                qty = rng.randint(1, 3)
                # Some lines carry their own discount (a promotion on the item).
                discount = 5000 * qty if rng.random() < 0.3 else 0
                lines.append((product, variant, qty, discount))
            created = self.base_time + 86400 * 10 + 1800 * k
            extras: dict[str, Any] = {}
            if rng.random() < 0.3:
                extras["discount_codes"] = [{"code": "KM10K", "amount": 10000.0,
                                             "type": "fixed_amount"}]
            if rng.random() < 0.4:
                extras["shipping_lines"] = [{"title": "Giao hàng nhanh", "code": "GHN",
                                             "price": float(rng.choice((15000, 22000, 30000))),
                                             "source": "manual"}]
            order = self._build_order(
                {"financial_status": financial, "note": rng.choice(("", "Giao giờ hành chính",
                                                                    "Ít đá, ít đường")), **extras},
                lines, customer, created)
            order["status"] = status
            order["fulfillment_status"] = fulfillment
            if status == "closed":
                order["closed_on"] = shop.iso(created + 7200)
            if status == "cancelled":
                order["cancelled_on"] = shop.iso(created + 600)
                order["cancel_reason"] = "customer"
            order["source_name"] = rng.choice(("web", "pos", "facebook"))
            self.orders[order["id"]] = order
        for b, (blog_name, titles) in enumerate(shop.BLOGS):
            bid = 900 + b
            stamp = shop.iso(self.base_time + b)
            self.blogs[bid] = {"id": bid, "name": blog_name, "alias": f"blog-{b + 1}",
                               "commentable": "no", "template_layout": "blog", "meta_title": None,
                               "meta_description": None, "created_on": stamp, "modified_on": stamp}
            for t, title in enumerate(titles):
                aid = 950_000 + b * 100 + t
                astamp = shop.iso(self.base_time + 86400 * (t + 1) + b)
                self.articles[aid] = {
                    "id": aid, "blog_id": bid, "title": title,
                    "content": f"<p>{title}. Mời bạn ghé cửa hàng!</p>", "summary": title,
                    "author": "Quản trị viên", "user_id": 1, "tags": blog_name, "alias": f"bai-{aid}",
                    "template_layout": "article", "image": None, "created_on": astamp,
                    "modified_on": astamp, "published_on": None if t == len(titles) - 1 else astamp}

    # -- products -----------------------------------------------------------------------------
    def _generated_index(self, pid: int) -> int | None:
        """The sample-shop index of a generated product that still exists (not deleted)."""
        index = pid - shop.PRODUCT_BASE
        if not 0 <= index < self.product_count:
            return None
        position = bisect.bisect_left(self.product_ids, pid)
        if position >= len(self.product_ids) or self.product_ids[position] != pid:
            return None
        return index

    def product(self, pid: int) -> dict | None:
        if pid in self.products:
            return self.products[pid]
        index = self._generated_index(pid)
        if index is None:
            return None
        return self._with_stock(shop.generate_product(index, self.seed, self.base_time, self.span,
                                                      len(self.locations)))

    def _with_stock(self, product: dict) -> dict:
        """Generated stock changed through set.json or orders shows in inventory_quantity."""
        for variant in product["variants"]:
            item = variant["inventory_item_id"]
            if any((item, loc["id"]) in self.stock for loc in self.locations):
                variant["inventory_quantity"] = float(sum(self.available(item, loc["id"])
                                                          for loc in self.locations))
        return product

    def _written(self, pid: int) -> dict:
        """A product about to change is kept as a dict from then on."""
        product = self.product(pid)
        if product is None:
            raise _Refused(json_response(404, {"errors": "Not Found"}))
        self.products[pid] = product
        for variant in product["variants"]:
            self.variant_owner[variant["id"]] = pid
            self.item_owner[variant["inventory_item_id"]] = pid
        return product

    def _owner_of_item(self, item: int) -> int | None:
        if item in self.item_owner:
            return self.item_owner[item]
        index = (item - shop.ITEM_BASE) // shop.SLOTS
        if 0 <= item - shop.ITEM_BASE and index < self.product_count:
            return shop.PRODUCT_BASE + index
        return None

    def variant(self, vid: int) -> tuple[dict, dict] | None:
        pid = self.variant_owner.get(vid)
        if pid is None and vid >= shop.VARIANT_BASE:
            pid = shop.PRODUCT_BASE + (vid - shop.VARIANT_BASE) // shop.SLOTS
        product = self.product(pid) if pid is not None else None
        if product is None:
            return None
        for variant in product["variants"]:
            if variant["id"] == vid:
                return product, variant
        return None

    def available(self, item: int, location: int) -> float:
        if (item, location) in self.stock:
            return self.stock[(item, location)]
        if item - shop.ITEM_BASE >= 0 and item in range(shop.ITEM_BASE, shop.ITEM_BASE + shop.SLOTS * self.product_count):
            k = next((n for n, loc in enumerate(self.locations) if loc["id"] == location), None)
            return float(shop.generated_stock(item - shop.ITEM_BASE, k)) if k is not None else 0.0
        return 0.0

    def _product_modified(self, pid: int) -> float:
        if pid in self.products:
            return _epoch(self.products[pid]["modified_on"])
        index = pid - shop.PRODUCT_BASE
        return _epoch(shop.iso(self.base_time + self.span * (index + 1) / 100_000 % self.span))

    # -- the API ----------------------------------------------------------------------------
    def fault_response(self, fault: str, request: httpx.Request) -> httpx.Response:
        if fault == Fault.THROTTLE:
            return json_response(429, {"errors": "Exceeded 40 calls per second for api client. Reduce "
                                         "request rates to resume uninterrupted service."},
                         {"retry-after": "1.0", "x-sapo-api-call-limit": f"{CAPACITY}/{CAPACITY}",
                          "x-bizweb-api-call-limit": f"{CAPACITY}/{CAPACITY}"})
        return super().fault_response(fault, request)

    def route(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host or ""
        path = request.url.path
        if host.endswith(".mysapo.net"):
            if host[: -len(".mysapo.net")] != self.shop:
                return httpx.Response(404, content=b"<html><body>Shop not found</body></html>",
                                      headers={"content-type": "text/html"})
        elif host not in ("127.0.0.1", "localhost", "testserver", "::1"):
            # A custom domain: Sapo redirects the admin API to the mysapo.net host.
            return httpx.Response(302, headers={
                "location": f"https://{self.shop}.mysapo.net{request.url.raw_path.decode()}"})
        if not path.startswith("/admin/") or not path.endswith(".json"):
            return httpx.Response(404, content=b"<html><body>Not Found</body></html>",
                                  headers={"content-type": "text/html"})
        if not self._authorised(request):
            return json_response(401, {"errors": "[API] Invalid API key or access token (unrecognized "
                                         "login or wrong password)"})
        limit_header = self._take_call()
        if limit_header is None:
            self.throttled += 1
            wait = (self.bucket_level + 1 - CAPACITY) / LEAK
            return json_response(429, {"errors": "Exceeded 40 calls per second for api client."},
                         {"retry-after": f"{wait:.3f}", **self._limit_headers()})
        resource = resource_of(path)
        if resource in self.denied or resource == "shop":
            return json_response(403, {"errors": "access_denied", "error": "access_denied",
                               "error_description": f"[API] This action requires merchant approval "
                                                    f"for {resource} scope."}, self._limit_headers())
        try:
            response = self._dispatch(request.method, path, dict(parse_qsl(request.url.query.decode()
                                                                            if isinstance(request.url.query, bytes)
                                                                            else request.url.query)),
                                      request)
        except _Refused as refused:
            response = refused.response
        for lost in self.lost_answers:
            if lost[:2] == (request.method, path) and response.status_code < 300:
                self.lost_answers.remove(lost)
                return self.fault_response(lost[2], request)
        if (self.write_loss_rate and request.method != "GET" and response.status_code < 300
                and self.rng.random() < self.write_loss_rate):
            return self.fault_response(self.rng.choice(
                (Fault.TIMEOUT, Fault.SERVER_ERROR, Fault.RESET, Fault.MALFORMED)), request)
        response.headers.update(self._limit_headers())
        return response

    def _authorised(self, request: httpx.Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == self.api_key and password == self.api_secret

    def _take_call(self) -> str | None:
        if not self.rate_limits:
            return ""
        now = self.clock()
        self.bucket_level = max(0.0, self.bucket_level - (now - self.bucket_stamp) * LEAK)
        self.bucket_stamp = now
        if self.bucket_level + 1 > CAPACITY + 1e-9:
            return None
        self.bucket_level += 1
        return ""

    def _limit_headers(self) -> dict[str, str]:
        used = min(CAPACITY, math.ceil(self.bucket_level - 1e-9)) if self.rate_limits else 1
        value = f"{used}/{CAPACITY}"
        return {"x-sapo-api-call-limit": value, "x-bizweb-api-call-limit": value}

    _ROUTES: tuple[tuple[str, str, str], ...] = (
        ("GET", r"/admin/store", "store"),
        ("GET", r"/admin/locations", "locations"),
        ("GET", r"/admin/locations/(\d+)", "location"),
        ("GET", r"/admin/custom_collections", "list_collections"),
        ("GET", r"/admin/custom_collections/count", "count_collections"),
        ("GET", r"/admin/custom_collections/(\d+)", "get_collection"),
        ("POST", r"/admin/custom_collections", "create_collection"),
        ("PUT", r"/admin/custom_collections/(\d+)", "update_collection"),
        ("DELETE", r"/admin/custom_collections/(\d+)", "delete_collection"),
        ("GET", r"/admin/collects", "list_collects"),
        ("GET", r"/admin/collects/count", "count_collects"),
        ("POST", r"/admin/collects", "create_collect"),
        ("DELETE", r"/admin/collects/(\d+)", "delete_collect"),
        ("GET", r"/admin/products", "list_products"),
        ("GET", r"/admin/products/count", "count_products"),
        ("GET", r"/admin/products/(\d+)", "get_product"),
        ("POST", r"/admin/products", "create_product"),
        ("PUT", r"/admin/products/(\d+)", "update_product"),
        ("DELETE", r"/admin/products/(\d+)", "delete_product"),
        ("GET", r"/admin/inventory_levels", "list_levels"),
        ("PUT", r"/admin/inventory_levels/set", "set_level"),
        ("GET", r"/admin/customers", "list_customers"),
        ("GET", r"/admin/customers/count", "count_customers"),
        ("GET", r"/admin/customers/(\d+)", "get_customer"),
        ("POST", r"/admin/customers", "create_customer"),
        ("PUT", r"/admin/customers/(\d+)", "update_customer"),
        ("DELETE", r"/admin/customers/(\d+)", "delete_customer"),
        ("GET", r"/admin/orders", "list_orders"),
        ("GET", r"/admin/orders/count", "count_orders"),
        ("GET", r"/admin/orders/(\d+)", "get_order"),
        ("POST", r"/admin/orders", "create_order"),
        ("PUT", r"/admin/orders/(\d+)", "update_order"),
        ("DELETE", r"/admin/orders/(\d+)", "delete_order"),
        ("POST", r"/admin/orders/(\d+)/close", "close_order"),
        ("POST", r"/admin/orders/(\d+)/open", "open_order"),
        ("POST", r"/admin/orders/(\d+)/cancel", "cancel_order"),
        ("GET", r"/admin/blogs", "list_blogs"),
        ("GET", r"/admin/blogs/(\d+)/articles", "list_articles"),
        ("GET", r"/admin/blogs/(\d+)/articles/count", "count_articles"),
        ("GET", r"/admin/blogs/(\d+)/articles/(\d+)", "get_article"),
    )

    def _dispatch(self, method: str, path: str, query: dict[str, str],
                  request: httpx.Request) -> httpx.Response:
        bare = path.removesuffix(".json")
        known_path = False
        for route_method, pattern, name in self._ROUTES:
            match = re.fullmatch(pattern, bare)
            if match is None:
                continue
            known_path = True
            if route_method == method:
                args = [int(group) for group in match.groups()]
                if method in ("POST", "PUT"):
                    try:
                        body = self.body(request) or {}
                    except ValueError:
                        return json_response(400, {"errors": "Invalid JSON"})
                    return getattr(self, "_" + name)(*args, body=body, query=query)
                return getattr(self, "_" + name)(*args, query=query)
        if bare == "/admin/inventory_levels/set" or known_path:
            return json_response(405, {"errors": "Method Not Allowed"})
        if re.fullmatch(r"/admin/inventory_levels/\d+", bare):
            return json_response(403, {"errors": "access_denied"})
        # A path that is no route: Sapo answers an HTML page echoing it.
        return httpx.Response(403, content=f"<html><body>{path}</body></html>".encode(),
                              headers={"content-type": "text/html"})

    # -- list helpers ---------------------------------------------------------------------
    @staticmethod
    def _page(rows: list, query: dict[str, str]) -> list:
        try:
            limit = min(MAX_LIMIT, max(1, int(query.get("limit", DEFAULT_LIMIT))))
            page = max(1, int(query.get("page", 1)))
        except ValueError:
            raise _unprocessable({"limit": ["phải là số"]}) from None
        return rows[(page - 1) * limit: page * limit]

    @staticmethod
    def _date_filters(query: dict[str, str]) -> list[tuple[str, str, float]]:
        """(field, 'min'|'max', epoch) for the zone-aware *_on_min/max params only."""
        found = []
        for name, value in query.items():
            match = re.fullmatch(r"(created|modified|published)_on_(min|max)", name)
            if match:
                epoch = _aware_epoch(value)
                if epoch is not None:
                    found.append((f"{match.group(1)}_on", match.group(2), epoch))
        return found

    def _keep(self, row: dict, query: dict[str, str]) -> bool:
        for field_name, side, bound in self._date_filters(query):
            stamp = row.get(field_name)
            if stamp is None:
                return False
            value = _epoch(stamp)
            if (side == "min" and value < bound) or (side == "max" and value > bound):
                return False
        if "ids" in query:
            if str(row["id"]) not in query["ids"].split(","):
                return False
        if "since_id" in query and query["since_id"].isdigit() and row["id"] <= int(query["since_id"]):
            return False
        published = query.get("published_status")
        if published == "published" and row.get("published_on") is None:
            return False
        if published == "unpublished" and row.get("published_on") is not None:
            return False
        return True

    @staticmethod
    def _fields(rows: list[dict], query: dict[str, str]) -> list[dict]:
        if not query.get("fields"):
            return rows
        wanted = [f.strip() for f in query["fields"].split(",") if f.strip()]
        return [{k: row.get(k) for k in wanted} for row in rows]

    def _listing(self, root: str, rows: list[dict], query: dict[str, str],
                 project: bool = True) -> httpx.Response:
        page = self._page([row for row in rows if self._keep(row, query)], query)
        return json_response(200, {root: self._fields(page, query) if project else page})

    def _counting(self, rows: list[dict], query: dict[str, str]) -> httpx.Response:
        return json_response(200, {"count": sum(1 for row in rows if self._keep(row, query))})

    def _get_one(self, root: str, table: dict[int, dict], key: int) -> httpx.Response:
        if key not in table:
            return json_response(404, {"errors": "Not Found"})
        return json_response(200, {root: table[key]})

    # -- store, locations --------------------------------------------------------------------
    def _store(self, query: dict) -> httpx.Response:
        return json_response(200, {"store": {"id": 123456, "name": "Cửa hàng mẫu ShopSync",
                                     "domain": f"{self.shop}.mysapo.net",
                                     "email": "cuahang@example.vn", "currency": "VND",
                                     "timezone": "Asia/Ho_Chi_Minh", "country": "Vietnam"}})

    def _locations(self, query: dict) -> httpx.Response:
        return json_response(200, {"locations": self.locations})

    def _location(self, key: int, query: dict) -> httpx.Response:
        return self._get_one("location", {loc["id"]: loc for loc in self.locations}, key)

    # -- collections and collects -----------------------------------------------------------
    def _list_collections(self, query: dict) -> httpx.Response:
        rows = list(self.collections.values())
        if query.get("product_id", "").isdigit():
            member = {c for _, p, c, _ in self.collects if p == int(query["product_id"])}
            rows = [row for row in rows if row["id"] in member]
        return self._listing("custom_collections", rows, query)

    def _count_collections(self, query: dict) -> httpx.Response:
        return self._counting(list(self.collections.values()), query)

    def _get_collection(self, key: int, query: dict) -> httpx.Response:
        return self._get_one("custom_collection", self.collections, key)

    def _create_collection(self, body: dict, query: dict) -> httpx.Response:
        data = body.get("custom_collection")
        if not isinstance(data, dict) or not str(data.get("name") or "").strip():
            raise _unprocessable({"name": ["không được để trống"]})
        stamp = self.now()
        row = {"id": self.new_id(), "alias": None, "description": None, "image": None,
               "published_on": stamp, "sort_order": "manual", "template_layout": "collection",
               "meta_title": None, "meta_description": None, **data,
               "created_on": stamp, "modified_on": stamp}
        self.collections[row["id"]] = row
        return json_response(201, {"custom_collection": row})

    def _update_collection(self, key: int, body: dict, query: dict) -> httpx.Response:
        if key not in self.collections:
            return json_response(404, {"errors": "Not Found"})
        self.collections[key].update({k: v for k, v in (body.get("custom_collection") or {}).items()
                                      if k not in ("id", "created_on", "modified_on")})
        self.collections[key]["modified_on"] = self.now()
        return json_response(200, {"custom_collection": self.collections[key]})

    def _delete_collection(self, key: int, query: dict) -> httpx.Response:
        if self.collections.pop(key, None) is None:
            return json_response(404, {"errors": "Not Found"})
        self.collects = [c for c in self.collects if c[2] != key]
        return json_response(200, {})

    @staticmethod
    def _collect_row(collect: tuple[int, int, int, str]) -> dict:
        cid, pid, coll, stamp = collect
        return {"id": cid, "collection_id": coll, "product_id": pid, "position": 1,
                "featured": False, "sort_value": None, "created_on": stamp, "modified_on": stamp}

    def _collects_matching(self, query: dict) -> list[tuple[int, int, int, str]]:
        rows = self.collects
        if query.get("product_id", "").isdigit():
            rows = [c for c in rows if c[1] == int(query["product_id"])]
        if query.get("collection_id", "").isdigit():
            rows = [c for c in rows if c[2] == int(query["collection_id"])]
        return rows

    def _list_collects(self, query: dict) -> httpx.Response:
        rows = self._page(self._collects_matching(query), query)
        return json_response(200, {"collects": [self._collect_row(c) for c in rows]})

    def _count_collects(self, query: dict) -> httpx.Response:
        return json_response(200, {"count": len(self._collects_matching(query))})

    def _create_collect(self, body: dict, query: dict) -> httpx.Response:
        data = body.get("collect") or {}
        pid, coll = data.get("product_id"), data.get("collection_id")
        if not isinstance(pid, int) or self.product(pid) is None:
            raise _unprocessable({"product_id": ["không tồn tại"]})
        if coll not in self.collections:
            raise _unprocessable({"collection_id": ["không tồn tại"]})
        if any(c[1] == pid and c[2] == coll for c in self.collects):
            raise _unprocessable({"product_id": ["đã có trong nhóm sản phẩm này"]})
        collect = (self.new_id(), pid, coll, self.now())
        self.collects.append(collect)
        return json_response(201, {"collect": self._collect_row(collect)})

    def _delete_collect(self, key: int, query: dict) -> httpx.Response:
        before = len(self.collects)
        self.collects = [c for c in self.collects if c[0] != key]
        return json_response(200, {}) if len(self.collects) < before else json_response(404, {"errors": "Not Found"})

    # -- products ---------------------------------------------------------------------------
    def _product_ids_matching(self, query: dict) -> list[int]:
        ids = self.product_ids
        if query.get("collection_id", "").isdigit():
            member = {c[1] for c in self.collects if c[2] == int(query["collection_id"])}
            ids = [pid for pid in ids if pid in member]
        if "ids" in query:
            wanted = {int(x) for x in query["ids"].split(",") if x.strip().isdigit()}
            ids = [pid for pid in ids if pid in wanted]
        if query.get("since_id", "").isdigit():
            ids = ids[bisect.bisect_right(ids, int(query["since_id"])):]
        for field_name, side, bound in self._date_filters(query):
            if field_name == "modified_on" and side == "min" and bound >= self.base_time + self.span:
                # Generated products are all stamped before base_time + span: only edited or
                # created ones can match (a scheduled run of a 100k shop dated every one).
                ids = [pid for pid in ids if pid in self.products]
            if field_name == "modified_on":
                ids = [pid for pid in ids if (self._product_modified(pid) >= bound if side == "min"
                                              else self._product_modified(pid) <= bound)]
            else:
                ids = [pid for pid in ids if self._product_date_ok(pid, field_name, side, bound)]
        if query.get("published_status") in ("published", "unpublished") or query.get("query"):
            ids = [pid for pid in ids if self._product_visible_match(pid, query)]
        return ids

    def _product_date_ok(self, pid: int, field_name: str, side: str, bound: float) -> bool:
        stamp = (self.product(pid) or {}).get(field_name)
        if stamp is None:
            return False
        return _epoch(stamp) >= bound if side == "min" else _epoch(stamp) <= bound

    def _product_visible_match(self, pid: int, query: dict) -> bool:
        product = self.product(pid) or {}
        status = query.get("published_status")
        if status == "published" and product.get("published_on") is None:
            return False
        if status == "unpublished" and product.get("published_on") is not None:
            return False
        needle = query.get("query", "").casefold()
        if needle:   # the product name only: Sapo's docs say "Lọc theo tên product"
            return needle in (product.get("name") or "").casefold()
        return True

    def _list_products(self, query: dict) -> httpx.Response:
        ids = self._page(self._product_ids_matching(query), query)
        rows = [row for row in (self.product(pid) for pid in ids) if row is not None]
        return json_response(200, {"products": self._fields(rows, query)})

    def _count_products(self, query: dict) -> httpx.Response:
        return json_response(200, {"count": len(self._product_ids_matching(query))})

    def _get_product(self, key: int, query: dict) -> httpx.Response:
        product = self.product(key)
        return json_response(200, {"product": product}) if product else json_response(404, {"errors": "Not Found"})

    def _check_product(self, data: dict, creating: bool) -> None:
        if creating and not str(data.get("name") or "").strip():
            raise _unprocessable({"name": ["không được để trống"]})
        if len(data.get("variants") or []) > 100:
            raise _unprocessable({"variants": ["tối đa 100 phiên bản"]})
        if len(data.get("options") or []) > 3:
            raise _unprocessable({"options": ["tối đa 3 thuộc tính"]})

    def _sku_owner(self, sku: str) -> int | None:
        """The product already holding `sku`, if any. Generated SKUs are "SP000123[-j]"."""
        for pid, product in self.products.items():
            if any(v.get("sku") == sku for v in product["variants"]):
                return pid
        match = re.fullmatch(r"SP(\d{6})(?:-\w+)?", sku)
        if match:
            pid = shop.PRODUCT_BASE + int(match.group(1)) - 1
            if pid not in self.products:
                product = self.product(pid)
                if product is not None and any(v.get("sku") == sku for v in product["variants"]):
                    return pid
        return None

    def _refuse_taken_skus(self, variants: list[dict], pid: int | None) -> None:
        """Sapo keeps a SKU unique per shop: a new variant with one already used is a 422."""
        for data in variants:
            sku = str(data.get("sku") or "").strip()
            if sku and data.get("id") is None:
                owner = self._sku_owner(sku)
                if owner is not None and owner != pid:
                    raise _unprocessable({"sku": [f"{sku} has already been taken"]})

    def _new_variant(self, pid: int, data: dict, position: int, stamp: str) -> dict:
        variant = {"id": self.new_id(), "product_id": pid, "inventory_item_id": self.new_id(),
                   "sku": None, "barcode": None, "price": 0.0, "compare_at_price": 0.0,
                   "option1": "Default Title", "option2": None, "option3": None, "taxable": False,
                   "inventory_management": "bizweb", "inventory_policy": "deny",
                   "inventory_quantity": 0.0, "requires_shipping": True, "weight": 0.0,
                   "weight_unit": "g", "grams": 0, "unit": None, "image_id": None,
                   "position": position, "type": "normal", "requires_components": False,
                   "created_on": stamp, "modified_on": stamp}
        self._apply_variant(variant, data)
        self.variant_owner[variant["id"]] = pid
        self.item_owner[variant["inventory_item_id"]] = pid
        initial = float(data.get("inventory_quantity") or 0)
        for k, location in enumerate(self.locations):
            self.stock[(variant["inventory_item_id"], location["id"])] = initial if k == 0 else 0.0
        variant["inventory_quantity"] = initial
        return variant

    @staticmethod
    def _apply_variant(variant: dict, data: dict) -> None:
        for name in ("sku", "barcode", "option1", "option2", "option3", "unit", "taxable",
                     "inventory_management", "inventory_policy", "weight", "requires_shipping"):
            if name in data:
                variant[name] = data[name]
        for name in ("price", "compare_at_price"):
            if name in data and data[name] is not None:
                variant[name] = float(Decimal(str(data[name])))
        variant["title"] = " / ".join(str(variant[f"option{k}"]) for k in (1, 2, 3)
                                      if variant.get(f"option{k}"))

    def _set_variants(self, product: dict, variants: list[dict], stamp: str) -> None:
        old = {v["id"]: v for v in product["variants"]}
        result = []
        for position, data in enumerate(variants, start=1):
            if data.get("id") in old:
                variant = old[data["id"]]
                self._apply_variant(variant, data)
                variant["position"], variant["modified_on"] = position, stamp
            elif data.get("id") is not None:
                raise _unprocessable({"variants": [f"phiên bản {data['id']} không thuộc sản phẩm"]})
            else:
                variant = self._new_variant(product["id"], data, position, stamp)
            result.append(variant)
        product["variants"] = result

    def _options_from(self, data: dict, product: dict) -> None:
        names = [str(o.get("name")) for o in data.get("options") or [] if o.get("name")]
        if not names:
            names = [o["name"] for o in product.get("options") or []] or ["Tiêu đề"]
        product["options"] = [{"id": self.new_id(), "name": name, "position": k + 1,
                               "values": list(dict.fromkeys(
                                   v.get(f"option{k + 1}") for v in product["variants"]
                                   if v.get(f"option{k + 1}") is not None))}
                              for k, name in enumerate(names)]

    def _images_from(self, data: dict, product: dict) -> None:
        product["images"] = [{"id": self.new_id(), "product_id": product["id"], "position": k + 1,
                              "variant_ids": [], "src": image.get("src"), "alt": None,
                              "filename": str(image.get("src") or "").rsplit("/", 1)[-1],
                              "width": None, "height": None}
                             for k, image in enumerate(data.get("images") or [])]
        product["image"] = product["images"][0] if product["images"] else None

    def _create_product(self, body: dict, query: dict) -> httpx.Response:
        data = body.get("product")
        if not isinstance(data, dict):
            raise _unprocessable("product is required")
        self._check_product(data, creating=True)
        self._refuse_taken_skus(data.get("variants") or [], None)
        stamp, pid = self.now(), self.new_id()
        product = {"id": pid, "name": data["name"], "alias": None, "vendor": data.get("vendor"),
                   "product_type": data.get("product_type"), "summary": data.get("summary"),
                   "content": data.get("content"), "tags": data.get("tags") or "",
                   "status": "active", "type": "normal",
                   "published_on": data["published_on"] if "published_on" in data else stamp,
                   "template_layout": "product", "meta_title": None, "meta_description": None,
                   "created_on": stamp, "modified_on": stamp, "variants": []}
        self._set_variants(product, data.get("variants") or [{}], stamp)
        self._options_from(data, product)
        self._images_from(data, product)
        self.products[pid] = product
        self.product_ids.append(pid)
        return json_response(201, {"product": product})

    def _update_product(self, key: int, body: dict, query: dict) -> httpx.Response:
        data = body.get("product")
        if not isinstance(data, dict):
            raise _unprocessable("product is required")
        product = self._written(key)
        self._check_product(data, creating=False)
        stamp = self.now()
        for name in ("name", "content", "summary", "vendor", "product_type", "tags",
                     "published_on", "template_layout", "meta_title", "meta_description", "alias"):
            if name in data:
                product[name] = data[name]
        if "variants" in data:
            self._refuse_taken_skus(data["variants"], key)
            self._set_variants(product, data["variants"], stamp)
        if "options" in data or "variants" in data:
            self._options_from(data, product)
        if "images" in data:
            self._images_from(data, product)
        product["modified_on"] = stamp
        return json_response(200, {"product": product})

    def _delete_product(self, key: int, query: dict) -> httpx.Response:
        if self.product(key) is None:
            return json_response(404, {"errors": "Not Found"})
        self.products.pop(key, None)
        position = bisect.bisect_left(self.product_ids, key)
        del self.product_ids[position]
        self.collects = [c for c in self.collects if c[1] != key]
        return json_response(200, {})

    # -- stock --------------------------------------------------------------------------------
    def _variant_of_item(self, item: int, seen: dict[int, int] | None = None) -> int | None:
        """The id of the variant holding inventory item `item`; None if there is none. A
        generated product answers from its numbering and variant count: building the whole
        product for every stock row was most of this sandbox's time in a 100,000-product pull.
        `seen` keeps variant counts for one request (40 item ids share a few products)."""
        owner = self._owner_of_item(item)
        if owner is None:
            return None
        if owner in self.products:
            return next((v["id"] for v in self.products[owner]["variants"]
                         if v["inventory_item_id"] == item), None)
        index = self._generated_index(owner)
        if index is None:
            return None
        if seen is None:
            seen = {}
        if owner not in seen:
            seen[owner] = shop.variant_count(index, self.seed)
        item_index = item - shop.ITEM_BASE
        if item_index - index * shop.SLOTS >= seen[owner]:
            return None
        return shop.VARIANT_BASE + item_index

    def _level_row(self, item: int, location: int, variant_id: int | None) -> dict:
        available = self.available(item, location)
        stamp = shop.iso(self.base_time)
        return {"id": item * 1000 + location % 1000, "variant_id": variant_id, "store_id": 123456,
                "inventory_item_id": item, "location_id": location, "on_hand": available,
                "available": available, "committed": 0.0, "incoming": 0.0, "incoming_owned": 0.0,
                "incoming_not_owned": 0.0, "packed": 0.0, "reserved": 0.0, "unavailable": 0.0,
                "created_at": stamp, "updated_at": stamp}

    def _list_levels(self, query: dict) -> httpx.Response:
        items = [int(x) for x in query.get("inventory_item_ids", "").split(",") if x.strip().isdigit()]
        if self.inventory_ids_read is not None:
            items = items[: self.inventory_ids_read]
        locations = [loc["id"] for loc in self.locations]
        if query.get("location_id", "").isdigit():
            locations = [int(query["location_id"])] if int(query["location_id"]) in locations else []
        seen: dict[int, int] = {}
        variants = {item: self._variant_of_item(item, seen) for item in items}
        rows = [self._level_row(item, loc, variants[item]) for item in items
                if variants[item] is not None for loc in locations]
        return json_response(200, {"inventory_levels": self._page(rows, query)})

    def _set_level(self, body: dict, query: dict) -> httpx.Response:
        data = body.get("inventory_level")
        if not isinstance(data, dict):
            return json_response(400, {"errors": "inventory_level is required"})
        item, location = data.get("inventory_item_id"), data.get("location_id")
        variant_id = self._variant_of_item(item) if isinstance(item, int) else None
        if variant_id is None:
            raise _unprocessable({"inventory_item_id": ["không tồn tại"]})
        if location not in {loc["id"] for loc in self.locations}:
            raise _unprocessable({"location_id": ["không tồn tại"]})
        try:
            self.stock[(item, location)] = float(Decimal(str(data.get("available"))))
        except ArithmeticError:
            raise _unprocessable({"available": ["phải là số"]}) from None
        return json_response(200, {"inventory_level": self._level_row(item, location, variant_id)})

    # -- customers ----------------------------------------------------------------------------
    def _customer_rows(self, query: dict) -> list[dict]:
        rows = list(self.customers.values())
        needle = query.get("query", "").casefold()
        if needle:
            rows = [row for row in rows if any(
                needle in str(row.get(k) or "").casefold() for k in ("first_name", "last_name",
                                                                      "email", "phone"))]
        return rows

    def _list_customers(self, query: dict) -> httpx.Response:
        return self._listing("customers", self._customer_rows(query), query)

    def _count_customers(self, query: dict) -> httpx.Response:
        return self._counting(self._customer_rows(query), query)

    def _get_customer(self, key: int, query: dict) -> httpx.Response:
        return self._get_one("customer", self.customers, key)

    def _apply_customer(self, row: dict, data: dict) -> None:
        if data.get("gender") is not None and data["gender"] not in GENDERS:
            raise _unprocessable({"gender": ["is not included in the list"]})
        for name in ("first_name", "last_name", "email", "phone", "note", "gender", "dob", "tags",
                     "accepts_marketing"):
            if name in data:
                row[name] = data[name]
        phone = phone_digits(row.get("phone"))
        if phone and any(phone_digits(other.get("phone")) == phone for other in self.customers.values()
                         if other["id"] != row["id"]):
            raise _unprocessable({"phone": ["đã được sử dụng"]})
        if data.get("addresses"):
            address = {"id": self.new_id(), "customer_id": row["id"], "address1": None,
                       "address2": None, "city": None, "company": None, "country": "Vietnam",
                       "country_code": "VN", "province": None, "province_code": None,
                       "district": None, "district_code": None, "ward": None, "ward_code": None,
                       "first_name": row.get("first_name"), "last_name": row.get("last_name"),
                       "phone": row.get("phone"), "zip": None, "default": True}
            address.update({k: v for k, v in data["addresses"][0].items() if k in address})
            row["addresses"] = [address]
            row["default_address"] = address

    def _create_customer(self, body: dict, query: dict) -> httpx.Response:
        data = body.get("customer")
        if not isinstance(data, dict):
            raise _unprocessable("customer is required")
        if not any(data.get(k) for k in ("first_name", "last_name", "email", "phone")):
            raise _unprocessable({"base": ["cần tên, email hoặc số điện thoại"]})
        stamp = self.now()
        row = {"id": self.new_id(), "state": "enabled", "email": None, "verified_email": False,
               "phone": None, "first_name": None, "last_name": None, "gender": None, "dob": None,
               "accepts_marketing": False, "orders_count": 0, "total_spent": 0.0, "tags": "",
               "note": None, "created_on": stamp, "modified_on": stamp, "addresses": [],
               "default_address": None}
        self._apply_customer(row, data)
        self.customers[row["id"]] = row
        return json_response(201, {"customer": row})

    def _update_customer(self, key: int, body: dict, query: dict) -> httpx.Response:
        if key not in self.customers:
            return json_response(404, {"errors": "Not Found"})
        row = json.loads(json.dumps(self.customers[key]))
        self._apply_customer(row, body.get("customer") or {})
        row["modified_on"] = self.now()
        self.customers[key] = row
        return json_response(200, {"customer": row})

    def _delete_customer(self, key: int, query: dict) -> httpx.Response:
        return json_response(200, {}) if self.customers.pop(key, None) else json_response(404, {"errors": "Not Found"})

    # -- orders -------------------------------------------------------------------------------
    @staticmethod
    def _order_discount(codes: list[dict], after_lines: Decimal) -> Decimal:
        """Discount codes on the whole order: fixed amounts, or a percentage of the lines."""
        total = Decimal(0)
        for code in codes or []:
            amount = Decimal(str(code.get("amount") or 0))
            if code.get("type") == "percentage":
                amount = (after_lines * amount / 100).quantize(Decimal(1))
            total += amount
        return min(total, after_lines)

    def _build_order(self, data: dict, lines: list[tuple], customer: dict | None,
                     created: float) -> dict:
        """Totals as Sapo's order fields spell them: total_line_items_price = Σ price × qty;
        total_discounts = line discounts + discount codes; subtotal_price = lines less
        discounts; total_price = subtotal + shipping lines (VND prices include VAT)."""
        oid = self.new_id()
        number = 1001 + len(self.orders)
        stamp = shop.iso(created)
        items, gross, line_discounts = [], Decimal(0), Decimal(0)
        for product, variant, qty, *rest in lines:
            price = Decimal(str(variant.get("price") or 0))
            discount = Decimal(str(rest[0])) if rest else Decimal(0)
            gross += price * Decimal(str(qty))
            line_discounts += discount
            items.append({"id": self.new_id(), "variant_id": variant.get("id"),
                          "product_id": product.get("id"), "inventory_item_id": variant.get("inventory_item_id"),
                          "sku": variant.get("sku"), "title": product.get("name"),
                          "variant_title": variant.get("title"), "quantity": qty,
                          "current_quantity": qty, "price": float(price),
                          "total_discount": float(discount),
                          "fulfillment_status": None, "product_exists": bool(product.get("id"))})
        order_discount = self._order_discount(data.get("discount_codes") or [],
                                              gross - line_discounts)
        shipping = [{"title": line.get("title"), "code": line.get("code"),
                     "price": float(Decimal(str(line.get("price") or 0))),
                     "source": line.get("source") or "api"}
                    for line in data.get("shipping_lines") or []]
        fees = sum((Decimal(str(line["price"])) for line in shipping), Decimal(0))
        subtotal = gross - line_discounts - order_discount
        total = subtotal + fees
        summary = None
        if customer is not None:
            summary = {k: customer.get(k) for k in ("id", "email", "phone", "first_name", "last_name")}
        return {"id": oid, "name": f"#{number}", "order_number": number,
                "email": (customer or {}).get("email"), "phone": data.get("phone") or (customer or {}).get("phone"),
                "currency": "VND", "status": "open",
                "financial_status": data.get("financial_status") or "pending",
                "fulfillment_status": None, "cancel_reason": None, "cancelled_on": None,
                "closed_on": None, "created_on": stamp, "modified_on": stamp, "source_name": "api",
                "tags": data.get("tags") or "", "note": data.get("note") or None,
                "note_attributes": data.get("note_attributes") or [],
                "total_price": float(total), "subtotal_price": float(subtotal),
                "sub_total_price": float(subtotal), "total_line_items_price": float(gross),
                "total_discounts": float(line_discounts + order_discount), "total_tax": 0.0,
                "total_shipping_price": float(fees), "total_outstanding": float(total),
                "location_id": data.get("location_id") or self.locations[0]["id"],
                "user_id": None, "assignee_id": None, "billing_address": None,
                "shipping_address": data.get("shipping_address"), "customer": summary,
                "line_items": items, "shipping_lines": shipping, "fulfillments": [], "refunds": [],
                "discount_codes": [{"code": c.get("code"), "amount": float(order_discount),
                                    "type": c.get("type") or "fixed_amount"}
                                   for c in (data.get("discount_codes") or [])[:1]]}

    def _order_rows(self, query: dict) -> list[dict]:
        status = query.get("status", "open")
        if status == "any":
            return []                                # the live quirk: "any" answers nothing
        rows = [o for o in self.orders.values() if o["status"] == status]
        for name in ("financial_status", "fulfillment_status"):
            if name in query:
                rows = [o for o in rows if (o.get(name) or "unfulfilled" if name == "fulfillment_status"
                                            else o.get(name)) == query[name]]
        if "tag" in query:
            rows = [o for o in rows if query["tag"] in [t.strip() for t in (o.get("tags") or "").split(",")]]
        return sorted(rows, key=lambda o: o["id"], reverse=True)     # newest first

    def _list_orders(self, query: dict) -> httpx.Response:
        return self._listing("orders", self._order_rows(query), query, project=False)

    def _count_orders(self, query: dict) -> httpx.Response:
        return self._counting(self._order_rows(query), query)

    def _get_order(self, key: int, query: dict) -> httpx.Response:
        return self._get_one("order", self.orders, key)

    def _create_order(self, body: dict, query: dict) -> httpx.Response:
        data = body.get("order")
        if not isinstance(data, dict):
            raise _unprocessable("order is required")
        if "source_name" in data:
            raise _unprocessable({"source_name": ["cannot be set to a protected value by an "
                                                  "untrusted API client."]})
        if not data.get("line_items"):
            raise _unprocessable({"line_items": ["không được để trống"]})
        lines = []
        for item in data["line_items"]:
            qty = float(item.get("quantity") or 0)
            if qty <= 0:
                raise _unprocessable({"line_items": ["số lượng phải lớn hơn 0"]})
            if item.get("variant_id") is not None:
                found = self.variant(int(item["variant_id"]))
                if found is None:
                    raise _unprocessable({"line_items": [f"phiên bản {item['variant_id']} không tồn tại"]})
                product, variant = found
                if item.get("product_id") is not None and item["product_id"] != product["id"]:
                    raise _unprocessable({"line_items": [f"phiên bản {item['variant_id']} không "
                                                         f"thuộc sản phẩm {item['product_id']}"]})
                variant = {**variant, "price": item.get("price", variant["price"])}
            else:
                product = {"id": None, "name": item.get("title") or ""}
                variant = {"id": None, "sku": item.get("sku"), "price": item.get("price") or 0,
                           "title": None, "inventory_item_id": None}
            lines.append((product, variant, qty))
        location = data.get("location_id") or self.locations[0]["id"]
        behaviour = data.get("inventory_behaviour") or "bypass"
        if behaviour == "decrement_obeying_policy":
            for product, variant, qty in lines:
                item = variant.get("inventory_item_id")
                if item is not None and self.available(item, location) < qty:
                    raise _unprocessable({"line_items": [f"“{product['name']}” không đủ tồn kho"]})
        if behaviour.startswith("decrement"):
            for _, variant, qty in lines:
                item = variant.get("inventory_item_id")
                if item is not None:
                    self.stock[(item, location)] = self.available(item, location) - qty
        customer = self._order_customer(data)
        order = self._build_order(data, lines, customer, self.clock())
        self.orders[order["id"]] = order
        return json_response(201, {"order": order})

    def _order_customer(self, data: dict) -> dict | None:
        given = data.get("customer") or {}
        if isinstance(given.get("id"), int) and given["id"] in self.customers:
            return self.customers[given["id"]]
        phone = phone_digits(given.get("phone") or data.get("phone"))
        if phone:
            for row in self.customers.values():
                if phone_digits(row.get("phone")) == phone:
                    return row
        if any(given.get(k) for k in ("first_name", "email", "phone")):
            return json.loads(self._create_customer({"customer": {
                k: v for k, v in given.items() if k != "id"}}, {}).content)["customer"]
        return None

    def _update_order(self, key: int, body: dict, query: dict) -> httpx.Response:
        if key not in self.orders:
            return json_response(404, {"errors": "Not Found"})
        order = self.orders[key]
        for name in ("note", "note_attributes", "tags", "email", "buyer_accepts_marketing"):
            if name in (body.get("order") or {}):
                order[name] = body["order"][name]
        order["modified_on"] = self.now()
        return json_response(200, {"order": order})

    def _delete_order(self, key: int, query: dict) -> httpx.Response:
        return json_response(200, {}) if self.orders.pop(key, None) else json_response(404, {"errors": "Not Found"})

    def _order_state(self, key: int, change: Callable[[dict], None]) -> httpx.Response:
        if key not in self.orders:
            return json_response(404, {"errors": "Not Found"})
        change(self.orders[key])
        self.orders[key]["modified_on"] = self.now()
        return json_response(200, {"order": self.orders[key]})

    def _close_order(self, key: int, body: dict, query: dict) -> httpx.Response:
        return self._order_state(key, lambda o: o.update(status="closed", closed_on=self.now()))

    def _open_order(self, key: int, body: dict, query: dict) -> httpx.Response:
        return self._order_state(key, lambda o: o.update(status="open", closed_on=None))

    def _cancel_order(self, key: int, body: dict, query: dict) -> httpx.Response:
        wrapped = body.get("order_cancel")
        if not isinstance(wrapped, dict):
            return json_response(400, {"errors": "order_cancel is required"})
        if self.orders.get(key, {}).get("status") == "cancelled":
            raise _unprocessable("Đơn hàng đã bị huỷ")
        return self._order_state(key, lambda o: o.update(
            status="cancelled", cancelled_on=self.now(), cancel_reason=wrapped.get("reason", "other")))

    # -- news -----------------------------------------------------------------------------
    def _list_blogs(self, query: dict) -> httpx.Response:
        return self._listing("blogs", list(self.blogs.values()), query)

    def _blog_articles(self, blog: int) -> list[dict]:
        if blog not in self.blogs:
            raise _Refused(json_response(404, {"errors": "Not Found"}))
        return [a for a in self.articles.values() if a["blog_id"] == blog]

    def _list_articles(self, blog: int, query: dict) -> httpx.Response:
        return self._listing("articles", self._blog_articles(blog), query)

    def _count_articles(self, blog: int, query: dict) -> httpx.Response:
        return self._counting(self._blog_articles(blog), query)

    def _get_article(self, blog: int, key: int, query: dict) -> httpx.Response:
        return self._get_one("article", {a["id"]: a for a in self._blog_articles(blog)}, key)

    # -- changes made "in Sapo" (demo, tests) ------------------------------------------------
    def edit_product(self, pid: int, **changes: Any) -> dict:
        product = self._written(pid)
        product.update(changes)
        product["modified_on"] = self.now()
        return product

    def close_order(self, oid: int) -> None:
        self._close_order(oid, {}, {})

    def delete_product(self, pid: int) -> None:
        self._delete_product(pid, {})


def sapo_sandbox(seed: int = 1, products: int = 200, clock: Callable[[], float] = time.time,
                 rate_limits: bool = True, **kwargs: Any) -> SapoSandbox:
    return SapoSandbox(seed=seed, clock=clock, rate_limits=rate_limits, product_count=products,
                       **kwargs)
