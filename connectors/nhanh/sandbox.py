"""An in-process Nhanh.vn (Open API v3 and v2) with a small Vietnamese fashion and cosmetics
shop, for tests, the demo shop and benchmarks.

It keeps Nhanh's rules that a connector can get wrong: errors in the body with HTTP 200, the
consent page and single-use 10-minute access codes, one v3 token per app and business (the old
one dies 15 minutes later), the 150 requests / 30 s window per appId+businessId+URL whose
ERR_429 lock is *extended* by any request made during it, cursor paging that wants `next`
echoed verbatim (v3) and page/icpp (v2), order date windows (31 / 10 days), appOrderId
de-duplication on v3 order/add and the order status rules.
"""
from __future__ import annotations

import bisect
import collections
import html
import json
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode

import httpx

from contract.records import VIETNAM
from connectors.nhanh.login import DEFAULT_REDIRECT_URL, is_loopback
from connectors.sandbox_base import Fault, SandboxBase, json_response

SANDBOX_APP_ID = "73021"
SANDBOX_SECRET_KEY = "sbxNhanhSecretKey73021xYz"
SANDBOX_BUSINESS_ID = "168888"

RATE_LIMIT = 150
RATE_WINDOW = 30.0
CODE_SECONDS = 600
TOKEN_DAYS = 365
REPLACED_TOKEN_GRACE = 15 * 60
ALL_PERMISSIONS = ("product", "customer", "order", "depot", "user")

V2_STATUS = {54: "New", 55: "Confirming", 56: "Confirmed", 57: "CustomerConfirming",
             42: "Packing", 40: "Packed", 73: "ChangeDepot", 43: "Pickup", 59: "Shipping",
             60: "Success", 61: "Failed", 63: "Canceled", 64: "Aborted", 58: "CarrierCanceled",
             68: "SoldOut", 71: "Returning", 72: "Returned"}
V2_CODE = {name: code for code, name in V2_STATUS.items()}
V2_PRODUCT_STATUS = {1: "New", 2: "Active", 3: "Inactive", 4: "OutOfStock"}
CANCELLABLE = {54, 55, 56}


def sandbox_token(version: str = "3") -> str:
    """The token a sample-shop profile uses (issued at start, valid a year)."""
    return f"sbxV{version}Token{SANDBOX_APP_ID}{SANDBOX_BUSINESS_ID}"


# Faults that happen *after* Nhanh did the work: the write is committed, then the answer is
# lost on the way back (a proxy's 502, a timeout, a reset connection). Queue them with
# `inject(LOST_5XX)` like any other fault.
LOST_5XX, LOST_TIMEOUT, LOST_RESET = "lost-after-commit:5xx", "lost-after-commit:timeout", \
    "lost-after-commit:reset"
LOST_AFTER_COMMIT = {LOST_5XX: Fault.SERVER_ERROR, LOST_TIMEOUT: Fault.TIMEOUT,
                     LOST_RESET: Fault.RESET}


class NhanhRefusal(Exception):
    """Rendered as Nhanh's failure envelope (HTTP 200, code 0)."""

    def __init__(self, error_code: str, messages: Any) -> None:
        super().__init__(error_code)
        self.error_code, self.messages = error_code, messages


# -- the sample shop -------------------------------------------------------------------------

DEPOTS = (
    (101, "Q1", "Cửa hàng Quận 1", "02838221234",
     "12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh"),
    (102, "TB", "Kho Tân Bình", "02838445566",
     "45 Cộng Hoà, Phường 4, Quận Tân Bình, TP. Hồ Chí Minh"),
    (103, "CG", "Chi nhánh Cầu Giấy", "02437689999",
     "88 Xuân Thuỷ, Phường Dịch Vọng Hậu, Quận Cầu Giấy, Hà Nội"),
)
CATEGORIES = (  # id, parent, code, name
    (11, 0, "TTN", "Thời trang nữ"), (12, 11, "AO", "Áo"), (13, 11, "QUAN", "Quần"),
    (14, 11, "VAY", "Váy đầm"), (21, 0, "MP", "Mỹ phẩm"), (22, 21, "SON", "Son môi"),
    (23, 21, "DA", "Chăm sóc da"), (31, 0, "PK", "Phụ kiện"),
)
FAMILIES = (  # name, category, code, price, colours, sizes
    ("Áo thun cotton", 12, "ATC", 159000, ("Trắng", "Đen", "Xanh navy"), ("S", "M", "L")),
    ("Quần jean ống suông", 13, "QJS", 389000, ("Xanh nhạt", "Xanh đậm"), ("26", "27", "28")),
    ("Váy hoa nhí", 14, "VHN", 299000, ("Vàng", "Hồng"), ("S", "M")),
    ("Áo sơ mi linen", 12, "ASM", 259000, ("Be", "Trắng"), ("M", "L")),
)
SINGLES = (
    ("Son kem lì Hồng đất", 22, "SKL-HD", 189000), ("Kem chống nắng SPF50+", 23, "KCN-50", 245000),
    ("Sữa rửa mặt trà xanh", 23, "SRM-TX", 129000), ("Serum vitamin C 30ml", 23, "SVC-30", 350000),
    ("Túi tote canvas", 31, "TTC-01", 99000), ("Kẹp tóc ngọc trai", 31, "KTN-01", 35000),
)
UNITS = {22: "Thỏi", 23: "Chai", 31: "Cái", 12: "Cái", 13: "Chiếc", 14: "Chiếc"}
FAMILY_NAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Vũ", "Võ", "Đặng", "Bùi")
GIVEN_NAMES = ("Thị Lan", "Văn Minh", "Thu Hà", "Ngọc Ánh", "Quốc Bảo", "Thị Hồng", "Đức Anh",
               "Mỹ Linh", "Hoàng Yến", "Thanh Tùng", "Kim Ngân", "Phương Thảo")
STREETS = ("Nguyễn Trãi, Quận 5, TP. Hồ Chí Minh", "Võ Văn Tần, Quận 3, TP. Hồ Chí Minh",
           "Trần Duy Hưng, Quận Cầu Giấy, Hà Nội", "Lê Duẩn, Quận Hải Châu, Đà Nẵng")
MOBILE_PREFIXES = ("090", "091", "093", "097", "098", "032", "035", "086", "088", "070")


@dataclass
class NhanhSandbox(SandboxBase):
    version: str = "3"
    products: int = 0                 # top-level products; 0 = the 10 of the sample shop
    customers: int = 25
    lock_seconds: int = 10            # how long an ERR_429 locks the URL
    registered_redirects: tuple[str, ...] = (DEFAULT_REDIRECT_URL,)
    # UNVERIFIED (the app's one setting is hosts.redirect_url): whether Nhanh takes a loopback
    # http returnLink; its docs ask for https. False models a Nhanh that refuses it.
    accepts_loopback: bool = True
    page_cap: int | None = None       # serve short pages (with `next`) to test cursor echo
    v2_token_shape: str = "flat"      # "flat" (documented) or "data" (PHP SDK) for v2 tokens
    # v3 order/add with an appOrderId this app already used: "refuse" (what the issue-19 stand-in
    # and live reports show: ERR_INVALID_FORM_FIELDS on appOrderId) or "same-id" (answer with the
    # existing order). UNVERIFIED: the docs say only that Nhanh de-duplicates on appOrderId.
    v3_duplicate_order: str = "refuse"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.api_enabled = True
        self.depots: dict[int, dict] = {}
        self.categories: dict[int, dict] = {}
        self.product_rows: dict[int, dict] = _IdTable()
        self.customer_rows: dict[int, dict] = _IdTable()
        self.orders: dict[int, dict] = {}
        self.deleted_orders: list[dict] = []
        self.tokens: dict[str, dict] = {}
        self.codes: dict[str, dict] = {}
        self.windows: dict[str, collections.deque[float]] = collections.defaultdict(
            collections.deque)
        self.locks: dict[str, float] = {}
        # endpoint ("order/add") → faults for its next calls that strike after the commit
        self.lost_answers: dict[str, collections.deque[str]] = collections.defaultdict(
            collections.deque)
        self.timeline: list[tuple[float, str]] = []       # (sandbox time, path) per request
        self.rejected_during_lock: list[tuple[float, str]] = []
        self.lock_events: list[tuple[float, str, float]] = []   # (time, key, unlockedAt)
        self._next_id = collections.Counter({"product": 3000000, "customer": 5000000,
                                             "order": 9000000, "code": 0})
        self._seed_shop()
        self.issue_token(version=self.version, token=sandbox_token(self.version))

    # -- seeding -------------------------------------------------------------------------
    def _new_id(self, kind: str) -> int:
        self._next_id[kind] += 1
        return self._next_id[kind]

    def _seed_shop(self) -> None:
        now = int(self.clock())
        for depot_id, code, name, mobile, address in DEPOTS:
            self.depots[depot_id] = {"id": depot_id, "code": code, "name": name,
                                     "mobile": mobile, "address": address}
        for order, (cat_id, parent, code, name) in enumerate(CATEGORIES):
            self.categories[cat_id] = {"id": cat_id, "parentId": parent, "code": code,
                                       "name": name, "order": order, "status": 1}
        templates: list[tuple] = [("family", *f) for f in FAMILIES] + \
            [("single", *s) for s in SINGLES]
        count = self.products or len(templates)
        for index in range(count):
            kind, *spec = templates[index % len(templates)]
            round_no = index // len(templates)
            suffix = f" #{round_no + 1}" if round_no else ""
            code_suffix = f"-{round_no + 1}" if round_no else ""
            created = now - self.rng.randint(30, 400) * 86400
            if kind == "single":
                name, category, code, price = spec
                self._add_product_row(f"{name}{suffix}", category, f"{code}{code_suffix}", price,
                                      0, created)
                continue
            name, category, code, price, colours, sizes = spec
            parent = self._add_product_row(f"{name}{suffix}", category, f"{code}{code_suffix}",
                                           price, 0, created, stock=False)
            for colour in colours:
                for size in sizes:
                    self._add_product_row(
                        f"{name}{suffix} - {colour} - {size}", category,
                        f"{code}{code_suffix}-{_ascii(colour)}-{size}", price, parent["id"],
                        created, attributes=[{"name": "Màu", "value": colour},
                                             {"name": "Size", "value": size}])
        for _ in range(self.customers):
            self._add_customer_row(
                f"{self.rng.choice(FAMILY_NAMES)} {self.rng.choice(GIVEN_NAMES)}",
                self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randint(0, 9999999):07d}",
                now - self.rng.randint(1, 300) * 86400)
        # One pass for "has children": asking `_children` per row made seeding quadratic
        # (minutes for 100,000 products).
        parents = {p["parentId"] for p in self.product_rows.values() if p["parentId"] > 0}
        singles = [p for p in self.product_rows.values() if p["parentId"] <= 0
                   and p["id"] not in parents]
        for days_ago, status in ((2, 54), (5, 59), (12, 60), (20, 63)):
            line = singles[days_ago % len(singles)]
            customer = next(iter(self.customer_rows.values()))
            self._store_order({
                "appOrderId": "", "status": status, "depotId": 101,
                "name": customer["name"], "mobile": customer["mobile"],
                "address": customer["address"], "description": "Đơn tại quầy",
                "products": [{"productId": line["id"], "quantity": 2,
                              "price": line["prices"]["retail"], "discount": 10000,
                              "vat": 8 if days_ago == 12 else 0}],
                "discount": 5000 if days_ago == 5 else 0,
                "shipFee": 30000 if days_ago in (5, 12) else 0,
            }, created=now - days_ago * 86400, channel=1)

    def _add_product_row(self, name: str, category: int, code: str, price: int, parent: int,
                         created: int, *, stock: bool = True,
                         attributes: list | None = None) -> dict:
        product_id = self._new_id("product")
        row = {
            "id": product_id, "parentId": parent or -1, "code": code,
            "barcode": f"893{self.rng.randint(0, 9999999999):010d}", "name": name,
            "status": 2, "categoryId": category, "type": 1,
            "prices": {"retail": price, "import": int(price * 0.55), "old":
                       int(price * 1.2) if self.rng.random() < 0.3 else 0,
                       "wholesale": int(price * 0.8), "avgCost": int(price * 0.55)},
            "images": {"avatar": f"https://pos.nhanh.vn/upload/{code.lower()}.jpg", "others": []},
            "stock": {d: (self.rng.randint(0, 40) if stock else 0) for d in self.depots},
            "attributes": attributes or [], "createdAt": created, "updatedAt": created,
            "description": "", "unit": UNITS.get(category, "Cái"),
        }
        self.product_rows[product_id] = row
        return row

    def _add_customer_row(self, name: str, mobile: str, updated: int, email: str = "",
                          address: str = "") -> dict:
        customer_id = self._new_id("customer")
        row = {"id": customer_id, "type": 1, "name": name, "mobile": mobile,
               "email": email or (f"khach{customer_id % 1000}@gmail.com"
                                  if self.rng.random() < 0.5 else ""),
               "address": address or f"{self.rng.randint(1, 300)} {self.rng.choice(STREETS)}",
               "gender": self.rng.choice((1, 2)),
               "birthday": f"{self.rng.randint(1975, 2004)}-{self.rng.randint(1, 12):02d}-"
                           f"{self.rng.randint(1, 28):02d}",
               "points": 0, "totalAmount": 0, "updatedAt": updated, "createdAt": updated}
        self.customer_rows[customer_id] = row
        return row

    def _store_order(self, order: dict, *, created: int, channel: int = 10,
                     app_id: str = "") -> dict:
        order_id = self._new_id("order")
        row = {**order, "id": order_id, "createdAt": created, "updatedAt": created,
               "saleChannel": channel, "appId": app_id}
        self.orders[order_id] = row
        return row

    def _customer_for(self, mobile: str) -> int:
        """Nhanh files an order under the customer with its mobile, creating one if needed."""
        found = next((c for c in self.customer_rows.values() if c["mobile"] == mobile), None)
        if found is None:
            found = self._add_customer_row("Khách lẻ", mobile, int(self.clock()))
        return found["id"]

    def _children(self, product_id: int) -> list[dict]:
        return [p for p in self.product_rows.values() if p["parentId"] == product_id]

    # -- POS-side edits for tests -------------------------------------------------------
    def edit_product(self, product_id: int, **changes: Any) -> None:
        with self.lock:
            row = self.product_rows[int(product_id)]
            if "price" in changes:
                row["prices"]["retail"] = changes.pop("price")
            row.update(changes)
            row["updatedAt"] = int(self.clock())

    def set_stock(self, product_id: int, depot_id: int, available: int) -> None:
        """Stock moves do not touch the product's updatedAt on Nhanh (platforms §4.2)."""
        with self.lock:
            self.product_rows[int(product_id)]["stock"][int(depot_id)] = available

    def edit_customer(self, customer_id: int, **changes: Any) -> None:
        with self.lock:
            row = self.customer_rows[int(customer_id)]
            row.update(changes)
            row["updatedAt"] = int(self.clock())

    def delete_product(self, product_id: int) -> None:
        with self.lock:
            for child in self._children(int(product_id)):
                del self.product_rows[child["id"]]
            del self.product_rows[int(product_id)]

    def set_order_status(self, order_id: int, status: int) -> None:
        with self.lock:
            row = self.orders[int(order_id)]
            row["status"], row["updatedAt"] = status, int(self.clock())

    def delete_order(self, order_id: int) -> None:
        with self.lock:
            self.orders.pop(int(order_id))
            self.deleted_orders.append({"id": int(order_id), "createdAt": int(self.clock()),
                                        "createdById": 1})

    def lose_next_answer(self, endpoint: str, fault: str = LOST_5XX) -> None:
        """The next call of `endpoint` ("order/add", "order/edit") is carried out, then its
        answer is lost (`fault`: LOST_5XX, LOST_TIMEOUT or LOST_RESET)."""
        self.lost_answers[endpoint].append(fault)

    def order_by_app_id(self, app_order_id: str) -> dict | None:
        return next((o for o in self.orders.values() if o.get("appOrderId") == app_order_id),
                    None)

    # -- tokens and codes ---------------------------------------------------------------
    def issue_token(self, *, version: str, token: str | None = None,
                    permissions: tuple[str, ...] = ALL_PERMISSIONS,
                    depot_ids: tuple[int, ...] = ()) -> dict:
        now = self.clock()
        if version == "3":
            # One v3 token per app+business: the previous ones stop 15 minutes from now.
            for other in self.tokens.values():
                if other["version"] == "3" and other["replacedAt"] is None:
                    other["replacedAt"] = now
        self._next_id["code"] += 1
        token = token or f"tok{version}x{self._next_id['code']}x{self.rng.getrandbits(64):016x}"
        info = {"token": token, "version": version, "businessId": SANDBOX_BUSINESS_ID,
                "expiredAt": int(now) + TOKEN_DAYS * 86400, "replacedAt": None,
                "permissions": tuple(permissions), "depotIds": tuple(depot_ids)}
        self.tokens[token] = info
        return info

    def mint_access_code(self, *, version: str | None = None,
                         permissions: tuple[str, ...] = ALL_PERMISSIONS,
                         depot_ids: tuple[int, ...] = ()) -> str:
        """What the consent page hands out: a code valid 10 minutes, once."""
        with self.lock:
            self._next_id["code"] += 1
            code = f"ac{self._next_id['code']}{self.rng.getrandbits(48):012x}"
            self.codes[code] = {"issuedAt": self.clock(), "used": False,
                                "version": version or self.version,
                                "permissions": tuple(permissions), "depotIds": tuple(depot_ids)}
            return code

    # -- dispatch ------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.timeline.append((self.clock(), request.url.path))
            endpoint = request.url.path.rsplit("/", 2)
            queued = self.lost_answers.get("/".join(endpoint[-2:]))
            lost = queued or (self.pending_faults and self.pending_faults[0] in LOST_AFTER_COMMIT)
            if lost:
                kind = LOST_AFTER_COMMIT[(queued or self.pending_faults).popleft()]
                self.requests.append(request)
                self.route(request)                       # Nhanh does the work …
                return self.fault_response(kind, request)  # … and the answer never arrives
        return super().handle(request)

    def fault_response(self, fault: str, request: httpx.Request) -> httpx.Response:
        if fault == Fault.THROTTLE:
            key = self._rate_key(request)
            unlocked = math.ceil(self.clock() + self.lock_seconds)
            self.locks[key] = unlocked
            self.lock_events.append((self.clock(), key, unlocked))
            return self._locked_response(unlocked)
        return super().fault_response(fault, request)

    def route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        try:
            if request.method == "GET" and path == "/oauth":
                return self._consent_page(request)
            if request.method == "GET" and path == "/oauth/approve":
                return self._approve(request)
            if request.method != "POST":
                return httpx.Response(405, text="Method Not Allowed")
            throttled = self._throttle(request)
            if throttled is not None:
                return throttled
            if path == "/v3.0/app/getaccesstoken":
                return self._ok(self._exchange_v3(request))
            if path == "/api/oauth/access_token":
                return self._exchange_v2(request)
            if path.startswith("/v3.0/"):
                return self._v3(request, path[len("/v3.0/"):])
            if path.startswith("/api/"):
                return self._v2(request, path[len("/api/"):])
            return httpx.Response(404, text="Not Found")
        except NhanhRefusal as refusal:
            return json_response(200, {"code": 0, "errorCode": refusal.error_code,
                                             "messages": refusal.messages})

    @staticmethod
    def _ok(data: Any, paginator: Any = None, **extra: Any) -> httpx.Response:
        body: dict[str, Any] = {"code": 1, "data": data, **extra}
        if paginator is not None:
            body["paginator"] = paginator
        return json_response(200, body)

    # -- rate limit ----------------------------------------------------------------------
    def _rate_key(self, request: httpx.Request) -> str:
        params = request.url.params
        app_id, business = params.get("appId", ""), params.get("businessId", "")
        if not app_id and request.content and b"=" in request.content[:200]:
            form = parse_qs(request.content.decode("utf-8", "replace"))
            app_id = (form.get("appId") or [""])[0]
            business = (form.get("businessId") or [""])[0]
        return f"{app_id}|{business}|{request.url.path}"

    def _locked_response(self, unlocked: float) -> httpx.Response:
        return json_response(200, {
            "code": 0, "errorCode": "ERR_429", "message": "Your app exceeded the API Rate Limit",
            "data": {"lockedSeconds": self.lock_seconds, "unlockedAt": int(unlocked)}})

    def _throttle(self, request: httpx.Request) -> httpx.Response | None:
        key = self._rate_key(request)
        now = self.clock()
        unlocked = self.locks.get(key)
        if unlocked is not None and now < unlocked:
            # Nhanh: calling during the lock makes it longer.
            self.rejected_during_lock.append((now, key))
            self.locks[key] = math.ceil(now + self.lock_seconds)
            return self._locked_response(self.locks[key])
        if not self.rate_limits:
            return None
        stamps = self.windows[key]
        while stamps and stamps[0] <= now - RATE_WINDOW:
            stamps.popleft()
        if len(stamps) >= RATE_LIMIT:
            stamps.clear()   # the lock is the penalty; counting starts again after it
            self.locks[key] = math.ceil(now + self.lock_seconds)
            self.lock_events.append((now, key, self.locks[key]))
            return self._locked_response(self.locks[key])
        stamps.append(now)
        return None

    # -- consent and tokens --------------------------------------------------------------
    def _check_return_link(self, link: str) -> None:
        allowed = link.startswith("https://") or (self.accepts_loopback and is_loopback(link))
        if not allowed or link.split("?")[0] not in {
                r.split("?")[0] for r in self.registered_redirects}:
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS",
                               {"returnLink": "returnLink phải là https và nằm trong danh "
                                              "sách Redirect URL của ứng dụng"})

    def _consent_page(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if params.get("appId") != SANDBOX_APP_ID:
            return httpx.Response(400, text="Ứng dụng không tồn tại")
        link = params.get("returnLink", "")
        try:
            self._check_return_link(link)
        except NhanhRefusal:
            return httpx.Response(400, text="returnLink không hợp lệ")
        approve = "/oauth/approve?" + urlencode(dict(params))
        page = ("<!doctype html><html lang=vi><meta charset=utf-8><title>Nhanh.vn – Cấp quyền"
                "</title><h1>Cấp quyền cho ứng dụng</h1><p>Chọn quyền và kho cho ứng dụng "
                f"{html.escape(params.get('appId', ''))}.</p>"
                f"<a id=approve href=\"{html.escape(approve)}\">Đồng ý</a></html>")
        return httpx.Response(200, text=page, headers={"content-type": "text/html"})

    def _approve(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        link = params.get("returnLink", "")
        self._check_return_link(link)
        version = "2" if params.get("version") == "2.0" else "3"
        code = self.mint_access_code(version=version)
        joiner = "&" if "?" in link else "?"
        return httpx.Response(302, headers={"location": f"{link}{joiner}accessCode={code}"})

    def _use_code(self, code: str, secret: str, version: str) -> dict:
        if secret != SANDBOX_SECRET_KEY:
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS", {"secretKey": "secretKey is invalid"})
        entry = self.codes.get(code)
        if entry is None:
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS", {"accessCode": "accessCode is invalid"})
        if entry["used"]:
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS",
                               {"accessCode": "accessCode is used (đã được sử dụng)"})
        if self.clock() - entry["issuedAt"] > CODE_SECONDS:
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS",
                               {"accessCode": "accessCode is expired (hết hạn)"})
        if entry["version"] != version:
            raise NhanhRefusal("ERR_INVALID_VERSION", "accessCode belongs to another version")
        entry["used"] = True
        return self.issue_token(version=version, permissions=entry["permissions"],
                                depot_ids=entry["depotIds"])

    def _exchange_v3(self, request: httpx.Request) -> dict:
        if request.url.params.get("appId") != SANDBOX_APP_ID:
            raise NhanhRefusal("ERR_INVALID_APP_ID", "appId is invalid")
        body = self._json(request)
        info = self._use_code(str(body.get("accessCode", "")), str(body.get("secretKey", "")),
                              "3")
        return self._token_data(info)

    def _token_data(self, info: dict) -> dict:
        return {"accessToken": info["token"], "version": f"{info['version']}.0",
                "expiredAt": info["expiredAt"], "businessId": int(SANDBOX_BUSINESS_ID),
                "depotIds": list(info["depotIds"]), "pageIds": [],
                "permissions": list(info["permissions"])}

    def _exchange_v2(self, request: httpx.Request) -> httpx.Response:
        form = self._form(request)
        if form.get("appId") != SANDBOX_APP_ID:
            raise NhanhRefusal("ERR_INVALID_APP_ID", ["appId is invalid"])
        info = self._use_code(form.get("accessCode", ""), form.get("secretKey", ""), "2")
        data = self._token_data(info)
        data.pop("version")
        data["expiredDateTime"] = _vn(info["expiredAt"])
        if self.v2_token_shape == "data":
            return self._ok(data)
        return json_response(200, {"code": 1, **data})

    # -- request decoding ----------------------------------------------------------------
    @staticmethod
    def _json(request: httpx.Request) -> dict:
        try:
            body = json.loads(request.content or b"{}")
        except ValueError:
            raise NhanhRefusal("ERR_INVALID_DATA", "Invalid JSON") from None
        return body

    @staticmethod
    def _form(request: httpx.Request) -> dict[str, str]:
        content_type = request.headers.get("content-type", "")
        if "application/x-www-form-urlencoded" not in content_type:
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS",
                               ["v2 expects form fields (application/x-www-form-urlencoded)"])
        parsed = parse_qs(request.content.decode("utf-8"), keep_blank_values=True)
        return {key: values[0] for key, values in parsed.items()}

    def _authorise(self, app_id: str, business_id: str, token: str, version: str,
                   permission: str) -> dict:
        if app_id != SANDBOX_APP_ID:
            raise NhanhRefusal("ERR_INVALID_APP_ID", "appId is invalid")
        info = self.tokens.get(token)
        now = self.clock()
        if info is None or now > info["expiredAt"] or (
                info["replacedAt"] is not None and now > info["replacedAt"] + REPLACED_TOKEN_GRACE):
            raise NhanhRefusal("ERR_INVALID_ACCESS_TOKEN", "accessToken is invalid")
        if info["version"] != version:
            raise NhanhRefusal("ERR_INVALID_VERSION", "accessToken is not for this version")
        if business_id != info["businessId"]:
            raise NhanhRefusal("ERR_INVALID_BUSINESS_ID", "businessId is invalid")
        if not self.api_enabled:
            raise NhanhRefusal("ERR_BUSINESS_NOT_ENABLE_API",
                               "Doanh nghiệp chưa bật Cho phép kết nối Open API")
        if permission and permission not in info["permissions"]:
            raise NhanhRefusal("ERR_403", "Permission denied")
        return info

    # -- v3 ------------------------------------------------------------------------------
    def _v3(self, request: httpx.Request, endpoint: str) -> httpx.Response:
        params = request.url.params
        token = request.headers.get("authorization", "")
        permission = endpoint.split("/")[0].replace("business", "depot")
        permission = {"app": ""}.get(permission, permission)
        info = self._authorise(params.get("appId", ""), params.get("businessId", ""), token,
                               "3", permission)
        body = self._json(request)
        handler: Callable[[Any, dict], httpx.Response] | None = {
            "business/depot": self._v3_depots, "product/category": self._v3_categories,
            "product/list": self._v3_products, "product/add": self._v3_product_add,
            "customer/list": self._v3_customers, "customer/add": self._v3_customer_add,
            "order/list": self._v3_orders, "order/add": self._v3_order_add,
            "order/edit": self._v3_order_edit, "order/deleted": self._v3_order_deleted,
            "app/checkaccesstoken": self._v3_check_token,
        }.get(endpoint)
        if handler is None:
            return httpx.Response(404, text="Not Found")
        return handler(body, info)

    def _v3_check_token(self, body: Any, info: dict) -> httpx.Response:
        if (body or {}).get("secretKey") != SANDBOX_SECRET_KEY:
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS", {"secretKey": "secretKey is invalid"})
        return self._ok(self._token_data(info))

    @staticmethod
    def _paginator(body: Any) -> tuple[dict, int, int]:
        body = body if isinstance(body, dict) else {}
        paginator = body.get("paginator") or {}
        size = int(paginator.get("size") or 50)
        if size > 100:
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS", {"paginator.size": "size tối đa 100"})
        after = 0
        if "next" in paginator and paginator["next"] is not None:
            following = paginator["next"]
            if not isinstance(following, dict) or "id" not in following:
                raise NhanhRefusal("ERR_INVALID_FORM_FIELDS",
                                   {"paginator.next": "next phải gửi lại đúng như đã nhận"})
            after = int(following["id"])
        return body.get("filters") or {}, size, after

    def _cursor_page(self, rows: list[dict], size: int, after: int,
                     render: Callable[[dict], dict]) -> httpx.Response:
        rows = sorted((r for r in rows if r["id"] > after), key=lambda r: r["id"])
        take = min(size, self.page_cap) if self.page_cap else size
        page = rows[:take]
        following = {"id": page[-1]["id"]} if page and len(rows) > take else None
        return self._ok([render(r) for r in page], paginator={"next": following})

    def _cursor_scan(self, table: dict[int, dict], keep: Callable[[dict], bool], size: int,
                     after: int, render: Callable[[dict], dict],
                     ids: list[int] | None = None) -> httpx.Response:
        """Same page as `_cursor_page(filter(keep, table.values()), ...)` but walks a cached
        sorted id list from the cursor and stops one row past the page: re-sorting the whole
        table per request made a 100k-product pull quadratic. `ids`: the sorted ids that can
        match at all (default: every id)."""
        ids = _sorted_ids(table) if ids is None else ids
        take = min(size, self.page_cap) if self.page_cap else size
        page: list[dict] = []
        more = False
        for index in range(bisect.bisect_right(ids, after), len(ids)):
            row = table.get(ids[index])
            if row is None or not keep(row):
                continue
            if len(page) == take:
                more = True
                break
            page.append(row)
        following = {"id": page[-1]["id"]} if page and more else None
        return self._ok([render(r) for r in page], paginator={"next": following})

    def _v3_depots(self, body: Any, info: dict) -> httpx.Response:
        return self._ok([{"id": d["id"], "code": d["code"], "name": d["name"],
                          "mobile": d["mobile"],
                          "location": {"cityName": "", "districtName": "", "wardName": "",
                                       "address": d["address"]},
                          "locationV2": {"cityName": "", "wardName": "",
                                         "address": d["address"]}}
                         for d in self.depots.values()])

    def _v3_categories(self, body: Any, info: dict) -> httpx.Response:
        return self._ok([dict(c, image="", content="") for c in self.categories.values()])

    def _v3_product(self, row: dict) -> dict:
        depots = [{"id": d, "remain": n, "shipping": 0, "damaged": 0, "holding": 0,
                   "transfering": 0, "available": n} for d, n in row["stock"].items()]
        total = sum(n for n in row["stock"].values())
        return {"id": row["id"], "parentId": row["parentId"], "code": row["code"],
                "barcode": row["barcode"], "name": row["name"], "status": row["status"],
                "categoryId": row["categoryId"], "prices": dict(row["prices"]),
                "images": dict(row["images"]), "brandId": 0, "type": row["type"],
                "units": {"id": 1, "name": row.get("unit", "")},
                "inventory": {"remain": total, "shipping": 0, "damaged": 0, "holding": 0,
                              "transfering": 0, "available": total, "depots": depots},
                "attributes": row["attributes"], "createdAt": row["createdAt"],
                "updatedAt": row["updatedAt"]}

    @staticmethod
    def _product_predicate(filters: dict, updated_from: int | None = None,
                           updated_to: int | None = None) -> Callable[[dict], bool]:
        """The product/list filters as one test per row, so paging can stop early."""
        tests: list[Callable[[dict], bool]] = []
        if filters.get("ids"):
            wanted = {int(i) for i in filters["ids"]}
            tests.append(lambda r: r["id"] in wanted)
        if filters.get("parentId") not in (None, ""):
            parent = int(filters["parentId"])
            tests.append(lambda r: r["parentId"] == parent)
        if filters.get("name"):
            needle = str(filters["name"]).lower()
            tests.append(lambda r: needle in r["name"].lower() or needle in
                         r["code"].lower() or needle == r["barcode"])
        if filters.get("categoryId"):
            category = int(filters["categoryId"])
            tests.append(lambda r: r["categoryId"] == category)
        if updated_from is not None:
            tests.append(lambda r: r["updatedAt"] >= updated_from)
        if updated_to is not None:
            tests.append(lambda r: r["updatedAt"] <= updated_to)
        if not tests:
            return _keep_all
        return lambda r: all(test(r) for test in tests)

    def _v3_products(self, body: Any, info: dict) -> httpx.Response:
        filters, size, after = self._paginator(body)
        keep = self._product_predicate(filters, filters.get("updatedAtFrom"),
                                       filters.get("updatedAtTo"))
        return self._cursor_scan(self.product_rows, keep, size, after, self._v3_product,
                                 ids=self._family_ids(filters))

    def _family_ids(self, filters: dict) -> list[int] | None:
        """With a `parentId` filter, only that parent's children can match: their ids, so a
        family read walks a handful of rows instead of all 290,000 rows of a big shop (an
        incremental run reads one family per changed parent). None = every id."""
        if filters.get("parentId") in (None, ""):
            return None
        return _children_ids(self.product_rows).get(int(filters["parentId"]), [])

    def _v3_product_add(self, body: Any, info: dict) -> httpx.Response:
        if not isinstance(body, list):
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS", {"data": "product/add nhận một mảng"})
        if len(body) > 100:
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS", {"data": "tối đa 100 sản phẩm"})
        answer = []
        for item in body:
            if not item.get("appProductId") or not item.get("name"):
                raise NhanhRefusal("ERR_INVALID_FORM_FIELDS",
                                   {"appProductId": "bắt buộc", "name": "bắt buộc"})
            row = self._add_product_row(item["name"], int(item.get("categoryId") or 0),
                                        item.get("code") or f"APP-{item['appProductId']}",
                                        int(item.get("price") or 0), 0, int(self.clock()),
                                        stock=False)
            if item.get("barcode"):
                row["barcode"] = item["barcode"]
            answer.append({"id": row["id"], "appProductId": item["appProductId"],
                           "barcode": row["barcode"]})
        return self._ok(answer)

    def _v3_customer(self, row: dict) -> dict:
        return {key: row[key] for key in ("id", "type", "name", "mobile", "email", "address",
                                          "gender", "birthday", "points", "totalAmount",
                                          "updatedAt")} | {
            "code": "", "locations": {}, "location": {}, "level": None, "group": None}

    def _customer_filter(self, filters: dict) -> list[dict]:
        rows = list(self.customer_rows.values())
        if filters.get("ids"):
            wanted = {int(i) for i in filters["ids"]}
            rows = [r for r in rows if r["id"] in wanted]
        if filters.get("mobile"):
            rows = [r for r in rows if r["mobile"] == str(filters["mobile"])]
        if filters.get("updatedAtFrom"):
            rows = [r for r in rows if r["updatedAt"] >= _unix(filters["updatedAtFrom"])]
        if filters.get("updatedAtTo"):
            rows = [r for r in rows if r["updatedAt"] <= _unix(filters["updatedAtTo"])]
        return rows

    def _v3_customers(self, body: Any, info: dict) -> httpx.Response:
        filters, size, after = self._paginator(body)
        return self._cursor_page(self._customer_filter(filters), size, after, self._v3_customer)

    def _upsert_customers(self, items: Any, limit: int) -> list[dict]:
        if not isinstance(items, list) or len(items) > limit:
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS", {"data": f"tối đa {limit} khách hàng"})
        rows = []
        for item in items:
            if not item.get("name") or not item.get("mobile"):
                raise NhanhRefusal("ERR_INVALID_FORM_FIELDS", {"name": "bắt buộc",
                                                               "mobile": "bắt buộc"})
            existing = next((r for r in self.customer_rows.values()
                             if r["mobile"] == item["mobile"]), None)
            if existing is None:
                existing = self._add_customer_row(item["name"], item["mobile"],
                                                  int(self.clock()), item.get("email", ""),
                                                  item.get("address", ""))
            else:
                existing.update({k: v for k, v in item.items() if v})
                existing["updatedAt"] = int(self.clock())
            rows.append(existing)
        return rows

    def _v3_customer_add(self, body: Any, info: dict) -> httpx.Response:
        rows = self._upsert_customers(body, 100)
        return self._ok([{"id": r["id"], "mobile": r["mobile"]} for r in rows])

    def _window(self, filters: dict, names: tuple[str, str], limit_days: int,
                default_end: int) -> tuple[int, int]:
        start, end = filters.get(names[0]), filters.get(names[1])
        end = int(end) if end not in (None, "") else default_end
        start = int(start) if start not in (None, "") else end - limit_days * 86400
        if end - start > limit_days * 86400:
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS",
                               {names[1]: f"Khoảng thời gian tìm kiếm tối đa {limit_days} ngày"})
        return start, end

    def _v3_order(self, row: dict) -> dict:
        return {
            "info": {"id": row["id"], "depotId": row["depotId"], "type": 1,
                     "status": row["status"], "reason": None, "createdAt": row["createdAt"],
                     "updatedAt": row["updatedAt"], "description": row.get("description", ""),
                     "privateDescription": "", "saleId": 0, "trackingUrl": "", "tags": []},
            "channel": {"appOrderId": row.get("appOrderId") or "",
                        "saleChannel": row["saleChannel"], "marketting": {}},
            "shippingAddress": {"id": row.get("customerId", 0), "name": row["name"],
                                "mobile": row["mobile"],
                                "email": "", "address": row.get("address", ""), "cityId": 0,
                                "districtId": 0, "wardId": 0},
            "products": [{"productId": p["productId"], "code": self._code(p["productId"]),
                          "name": self._name(p["productId"]), "quantity": p["quantity"],
                          "price": p["price"], "discount": p.get("discount", 0),
                          "vatPercent": p.get("vat", 0), "totalAmount": line_total(p)}
                         for p in row["products"]],
            "carrier": {"shipFee": row.get("shipFee", 0), "codFee": 0,
                        "customerShipFee": row.get("shipFee", 0)},
            # UNVERIFIED key: the docs show payment.discount as an object without its fields.
            "payment": {"discount": {"amount": row.get("discount", 0)},
                        "codAmount": order_total(row)}, "gifts": []}

    def _code(self, product_id: int) -> str:
        row = self.product_rows.get(int(product_id))
        return row["code"] if row else ""

    def _name(self, product_id: int) -> str:
        row = self.product_rows.get(int(product_id))
        return row["name"] if row else ""

    def _v3_orders(self, body: Any, info: dict) -> httpx.Response:
        filters, size, after = self._paginator(body)
        rows = list(self.orders.values())
        if filters.get("ids"):
            wanted = {int(i) for i in filters["ids"]}
            rows = [r for r in rows if r["id"] in wanted]
        elif filters.get("updatedAtFrom") or filters.get("updatedAtTo"):
            start, end = self._window(filters, ("updatedAtFrom", "updatedAtTo"), 31,
                                      int(self.clock()))
            rows = [r for r in rows if start <= r["updatedAt"] <= end]
        else:
            start, end = self._window(filters, ("createdAtFrom", "createdAtTo"), 31,
                                      int(self.clock()))
            rows = [r for r in rows if start <= r["createdAt"] <= end]
        return self._cursor_page(rows, size, after, self._v3_order)

    def _order_lines(self, lines: Any, limit: int, key: str, *,
                     line_discounts: bool = True) -> list[dict]:
        """The lines of an order/add. v2's productList documents no `discount`/`vat`
        (`line_discounts=False`): Nhanh is not assumed to honour what it never listed."""
        if not isinstance(lines, list) or not lines or len(lines) > limit:
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS", {key: f"1–{limit} sản phẩm"})
        result = []
        for line in lines:
            product_id = int(line.get("idNhanh") or line.get("id") or 0)
            if product_id not in self.product_rows:
                raise NhanhRefusal("ERR_INVALID_FORM_FIELDS",
                                   {f"{key}.id": f"Sản phẩm {product_id} không tồn tại"})
            if self._children(product_id):
                raise NhanhRefusal("ERR_INVALID_FORM_FIELDS",
                                   {f"{key}.id": f"Sản phẩm {product_id} là sản phẩm cha"})
            result.append({"productId": product_id, "quantity": line.get("quantity") or 0,
                           "price": line.get("price") or 0,
                           "discount": (line.get("discount") or 0) if line_discounts else 0,
                           "vat": (line.get("vat") or 0) if line_discounts else 0})
        return result

    def _check_depot(self, depot_id: Any, info: dict) -> int:
        if depot_id in (None, "", 0):
            return 0
        depot = int(depot_id)
        if depot not in self.depots or (info["depotIds"] and depot not in info["depotIds"]):
            raise NhanhRefusal("ERR_INVALID_DEPOT_ID", "depotId is invalid")
        return depot

    def _v3_order_add(self, body: Any, info: dict) -> httpx.Response:
        body = body if isinstance(body, dict) else {}
        channel, order_info = body.get("channel") or {}, body.get("info") or {}
        address = body.get("shippingAddress") or {}
        app_order_id = str(channel.get("appOrderId") or "")
        if not app_order_id:
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS", {"channel.appOrderId": "bắt buộc"})
        existing = next((o for o in self.orders.values()
                         if o.get("appOrderId") == app_order_id
                         and o.get("appId") == SANDBOX_APP_ID), None)
        if existing is not None:   # dedup on appId+appOrderId
            if self.v3_duplicate_order == "same-id":
                return self._ok({"id": existing["id"], "trackingUrl": "", "carrierCode": ""})
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS",
                               {"appOrderId": f"appOrderId {app_order_id} đã tồn tại"})
        if not address.get("name") or not address.get("mobile"):
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS",
                               {"shippingAddress.name": "bắt buộc",
                                "shippingAddress.mobile": "bắt buộc"})
        status = int(order_info.get("status") or 54)
        if status not in (54, 55, 56):
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS", {"info.status": "chỉ 54, 55, 56"})
        depot = self._check_depot(order_info.get("depotId"), info)
        lines = self._order_lines(body.get("products"), 500, "products")
        payment = body.get("payment") or {}
        row = self._store_order({"appOrderId": app_order_id, "status": status, "depotId": depot,
                                 "name": address["name"], "mobile": address["mobile"],
                                 "address": address.get("address", ""),
                                 "description": order_info.get("description", ""),
                                 "products": lines,
                                 "discount": payment.get("discountAmount") or 0,
                                 "shipFee": (body.get("carrier") or {}).get("customerShipFee")
                                 or 0, "customerId": self._customer_for(address["mobile"])},
                                created=int(self.clock()), app_id=SANDBOX_APP_ID)
        return self._ok({"id": row["id"], "trackingUrl": "", "carrierCode": ""})

    def _change_status(self, order_id: Any, status: int) -> None:
        row = self.orders.get(int(order_id or 0))
        if row is None:
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS", {"id": "Đơn hàng không tồn tại"})
        if status in (63, 64) and row["status"] not in CANCELLABLE:
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS",
                               {"status": "Chỉ hủy được đơn Mới, Đang xác nhận hoặc Đã xác nhận"})
        if row["status"] in (60, 63, 64, 72):
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS",
                               {"status": "Đơn đã kết thúc, không đổi trạng thái được"})
        row["status"], row["updatedAt"] = status, int(self.clock())

    def _v3_order_edit(self, body: Any, info: dict) -> httpx.Response:
        order_info = (body or {}).get("info") or {}
        status = int(order_info.get("status") or 0)
        if status not in (56, 60, 63, 64):
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS", {"info.status": "không hợp lệ"})
        self._change_status(order_info.get("id"), status)
        return self._ok({"id": int(order_info["id"])})

    def _v3_order_deleted(self, body: Any, info: dict) -> httpx.Response:
        filters, size, after = self._paginator(body)
        start, end = self._window(filters, ("createdAtFrom", "createdAtTo"), 31,
                                  int(self.clock()))
        rows = [r for r in self.deleted_orders if start <= r["createdAt"] <= end]
        return self._cursor_page(rows, size, after, dict)

    # -- v2 ------------------------------------------------------------------------------
    def _v2(self, request: httpx.Request, endpoint: str) -> httpx.Response:
        form = self._form(request)
        if form.get("version") != "2.0":
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS", ["version must be 2.0"])
        permission = {"store": "depot"}.get(endpoint.split("/")[0], endpoint.split("/")[0])
        info = self._authorise(form.get("appId", ""), form.get("businessId", ""),
                               form.get("accessToken", ""), "2", permission)
        raw = form.get("data")
        data: Any = None
        if raw not in (None, ""):
            try:
                data = json.loads(raw)
            except ValueError:
                data = raw   # scalar data (product/detail, product/category)
        handler = {
            "store/depot": self._v2_depots, "product/category": self._v2_categories,
            "product/search": self._v2_products, "product/detail": self._v2_product_detail,
            "product/add": self._v2_product_add, "customer/search": self._v2_customers,
            "customer/add": self._v2_customer_add, "order/index": self._v2_orders,
            "order/add": self._v2_order_add, "order/update": self._v2_order_update,
        }.get(endpoint)
        if handler is None:
            return httpx.Response(404, text="Not Found")
        return handler(data, info)

    @staticmethod
    def _keyed(rows: list[dict]) -> dict | list:
        return {str(r["id"] if "id" in r else r["idNhanh"]): r for r in rows} if rows else []

    @staticmethod
    def _v2_page(data: Any, default: int, limit: int) -> tuple[dict, int, int]:
        data = data if isinstance(data, dict) else {}
        page, icpp = int(data.get("page") or 1), int(data.get("icpp") or default)
        if icpp > limit:
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS", [f"icpp tối đa {limit}"])
        return data, page, icpp

    def _v2_page_size(self, icpp: int) -> int:
        return min(icpp, self.page_cap) if self.page_cap else icpp

    def _v2_depots(self, data: Any, info: dict) -> httpx.Response:
        return self._ok(self._keyed([{"id": d["id"], "name": d["name"], "mobile": d["mobile"],
                                      "cityName": "", "districtName": "", "wardName": "",
                                      "address": d["address"]}
                                     for d in self.depots.values()]))

    def _v2_categories(self, data: Any, info: dict) -> httpx.Response:
        def node(cat: dict) -> dict:
            return {"id": cat["id"], "parentId": cat["parentId"] or None, "code": cat["code"],
                    "name": cat["name"], "status": cat["status"], "order": cat["order"],
                    "childs": [node(c) for c in self.categories.values()
                               if c["parentId"] == cat["id"]]}
        return self._ok([node(c) for c in self.categories.values() if not c["parentId"]])

    def _v2_product(self, row: dict) -> dict:
        total = sum(row["stock"].values())
        return {"idNhanh": row["id"], "parentId": row["parentId"],
                "categoryId": row["categoryId"], "code": row["code"],
                "barcode": row["barcode"], "name": row["name"],
                "price": row["prices"]["retail"], "oldPrice": row["prices"]["old"],
                "importPrice": row["prices"]["import"],
                "wholesalePrice": row["prices"]["wholesale"],
                "status": V2_PRODUCT_STATUS[row["status"]],
                "image": row["images"]["avatar"],
                # DOC /v2: an object keyed by attribute id, {attributeName, name}.
                "attributes": {str(700 + i): {"attributeName": a["name"], "name": a["value"]}
                               for i, a in enumerate(row["attributes"])} or [],
                # DOC /v2 lists only createdDateTime for products.
                "createdDateTime": _vn(row["createdAt"]),
                "inventory": {"remain": total, "holding": 0, "damage": 0, "available": total,
                              "depots": {str(d): {"remain": n, "holding": 0, "damage": 0,
                                                  "available": n}
                                         for d, n in row["stock"].items()}}}

    def _v2_products(self, data: Any, info: dict) -> httpx.Response:
        data, page, icpp = self._v2_page(data, 100, 100)
        icpp = self._v2_page_size(icpp)
        keep = self._product_predicate(data, _from_vn(data.get("updatedDateTimeFrom")),
                                       _from_vn(data.get("updatedDateTimeTo")))
        table = self.product_rows
        family = self._family_ids(data)
        ids = _sorted_ids(table) if family is None else family
        # Unfiltered (a first pull): slice the cached sorted ids. Filtering and sorting the
        # whole table per page made a 100k-product v2 pull quadratic.
        if keep is _keep_all:
            count, chunk = len(ids), [table[i] for i in ids[(page - 1) * icpp: page * icpp]]
        else:
            rows = [table[i] for i in ids if keep(table[i])]
            count, chunk = len(rows), rows[(page - 1) * icpp: page * icpp]
        total_pages = max(1, math.ceil(count / icpp))
        return self._ok({"totalPages": total_pages,
                         "products": self._keyed([self._v2_product(r) for r in chunk])})

    def _v2_product_detail(self, data: Any, info: dict) -> httpx.Response:
        row = self.product_rows.get(int(data or 0))
        if row is None:
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS", ["Sản phẩm không tồn tại"])
        return self._ok(self._keyed([self._v2_product(row)]))

    def _v2_product_add(self, data: Any, info: dict) -> httpx.Response:
        if not isinstance(data, list) or len(data) > 300:
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS", ["tối đa 300 sản phẩm"])
        ids = {}
        for item in data:
            if not item.get("id") or not item.get("name") or item.get("price") is None:
                raise NhanhRefusal("ERR_INVALID_FORM_FIELDS", ["id, name, price bắt buộc"])
            row = self._add_product_row(item["name"], int(item.get("categoryId") or 0),
                                        item.get("code") or f"APP-{item['id']}",
                                        int(item["price"]), 0, int(self.clock()), stock=False)
            ids[str(item["id"])] = row["id"]
        return self._ok({"ids": ids})

    def _v2_customers(self, data: Any, info: dict) -> httpx.Response:
        data, page, icpp = self._v2_page(data, 10, 50)
        icpp = self._v2_page_size(icpp)
        filters = dict(data)
        for name in ("updatedAtFrom", "updatedAtTo"):
            if filters.get(name):
                filters[name] = _from_vn(filters[name])
        rows = sorted(self._customer_filter(filters), key=lambda r: r["id"])
        chunk = rows[(page - 1) * icpp: page * icpp]
        return self._ok({"totalPages": max(1, math.ceil(len(rows) / icpp)),
                         "customers": [dict(self._v3_customer(r), totalMoney=r["totalAmount"],
                                            updatedAt=_vn(r["updatedAt"])) for r in chunk]})

    def _v2_customer_add(self, data: Any, info: dict) -> httpx.Response:
        rows = self._upsert_customers(data, 50)
        return self._ok({"customers": self._keyed([{"id": r["id"], "mobile": r["mobile"]}
                                                   for r in rows])})

    def _v2_order(self, row: dict) -> dict:
        return {"id": row["id"], "shopOrderId": row.get("appOrderId") or "",
                "statusCode": V2_STATUS[row["status"]], "statusName": V2_STATUS[row["status"]],
                "depotId": row["depotId"], "createdDateTime": _vn(row["createdAt"]),
                "updatedDateTime": _vn(row["updatedAt"]), "customerName": row["name"],
                "customerMobile": row["mobile"], "customerAddress": row.get("address", ""),
                "description": row.get("description", ""),
                "customerId": row.get("customerId", 0),
                "moneyDiscount": row.get("discount", 0),
                "customerShipFee": row.get("shipFee", 0), "calcTotalMoney": order_total(row),
                "products": [{"productId": p["productId"],
                              "productCode": self._code(p["productId"]),
                              "productName": self._name(p["productId"]), "price": p["price"],
                              "discount": p.get("discount", 0), "vat": p.get("vat", 0),
                              "quantity": p["quantity"]} for p in row["products"]]}

    def _v2_orders(self, data: Any, info: dict) -> httpx.Response:
        data, page, icpp = self._v2_page(data, 100, 100)
        rows = list(self.orders.values())
        if data.get("id"):
            rows = [r for r in rows if r["id"] == int(data["id"])]
        elif data.get("customerMobile"):
            rows = [r for r in rows if r["mobile"] == data["customerMobile"]]
        elif data.get("updatedDateTimeFrom") or data.get("updatedDateTimeTo"):
            now = int(self.clock())
            start = _from_vn(data.get("updatedDateTimeFrom")) or now - 10 * 86400
            end = _from_vn(data.get("updatedDateTimeTo")) or now
            if end - start > 10 * 86400:
                raise NhanhRefusal("ERR_INVALID_FORM_FIELDS",
                                   {"updatedDateTimeTo": "Khoảng thời gian tìm kiếm tối đa 10 "
                                                         "ngày"})
            rows = [r for r in rows if start <= r["updatedAt"] <= end]
        else:
            today = datetime.fromtimestamp(self.clock(), VIETNAM).date()
            last = _date(data.get("toDate")) or today
            first = _date(data.get("fromDate")) or last - timedelta(days=9)
            if (last - first).days + 1 > 10:
                raise NhanhRefusal("ERR_INVALID_FORM_FIELDS",
                                   {"toDate": "Khoảng thời gian tìm kiếm tối đa 10 ngày"})
            rows = [r for r in rows
                    if first <= datetime.fromtimestamp(r["createdAt"], VIETNAM).date() <= last]
        rows.sort(key=lambda r: r["id"])
        chunk = rows[(page - 1) * icpp: page * icpp]
        return self._ok({"totalPages": max(1, math.ceil(len(rows) / icpp)),
                         "totalRecords": len(rows),
                         "orders": self._keyed([self._v2_order(r) for r in chunk])})

    def _v2_order_add(self, data: Any, info: dict) -> httpx.Response:
        data = data if isinstance(data, dict) else {}
        shop_order_id = str(data.get("id") or "")
        if not shop_order_id or not data.get("customerName") or not data.get("customerMobile"):
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS",
                               {"id": "bắt buộc", "customerName": "bắt buộc",
                                "customerMobile": "bắt buộc"})
        if not data.get("customerCityName") or not data.get("customerDistrictName"):
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS",
                               {"customerCityName": "bắt buộc", "customerDistrictName": "bắt buộc"})
        if self.order_by_app_id(shop_order_id) is not None:
            # UNVERIFIED: v2 documents no de-duplication; refusing is the cautious emulation.
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS", {"id": "Mã đơn hàng đã tồn tại"})
        status = data.get("status") or "New"
        if status not in ("New", "Confirming", "Confirmed"):
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS",
                               {"status": "chỉ New, Confirming, Confirmed"})
        depot = self._check_depot(data.get("depotId"), info)
        lines = self._order_lines(data.get("productList"), 500, "productList",
                                  line_discounts=False)
        row = self._store_order({"appOrderId": shop_order_id, "status": V2_CODE[status],
                                 "depotId": depot, "name": data["customerName"],
                                 "mobile": data["customerMobile"],
                                 "address": data.get("customerAddress", ""),
                                 "description": data.get("description", ""), "products": lines,
                                 "discount": data.get("moneyDiscount") or 0,
                                 "shipFee": data.get("customerShipFee") or 0,
                                 "customerId": self._customer_for(data["customerMobile"])},
                                created=int(self.clock()), app_id=SANDBOX_APP_ID)
        # DOC /v2 order/add: the new Nhanh id keyed by the shop's own order id.
        return self._ok({shop_order_id: row["id"]})

    def _v2_order_update(self, data: Any, info: dict) -> httpx.Response:
        data = data if isinstance(data, dict) else {}
        status = data.get("status")
        if status not in ("Success", "Confirmed", "Canceled", "Aborted"):
            raise NhanhRefusal("ERR_INVALID_FORM_FIELDS",
                               {"status": "chỉ Success, Confirmed, Canceled, Aborted"})
        self._change_status(data.get("orderId"), V2_CODE[status])
        return self._ok({"orderId": int(data["orderId"]), "status": status})


def line_total(line: dict) -> int:
    """What Nhanh charges for one order line: (price − per-unit discount) × quantity, plus
    the line's VAT (DOC /v3: `price` excludes VAT), rounded to the đồng."""
    net = (int(line["price"]) - int(line.get("discount") or 0)) * int(line["quantity"])
    return (net * (100 + int(line.get("vat") or 0)) + 50) // 100     # half a đồng rounds up


def order_total(row: dict) -> int:
    """The order's total as Nhanh shows it: its lines, less the order discount, plus the fee
    charged to the customer for shipping."""
    return (sum(line_total(line) for line in row["products"]) - int(row.get("discount") or 0)
            + int(row.get("shipFee") or 0))


def _ascii(value: str) -> str:
    import unicodedata
    plain = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in plain if c.isalnum() and ord(c) < 128).upper()[:6]


def _vn(unix_seconds: float) -> str:
    return datetime.fromtimestamp(unix_seconds, VIETNAM).strftime("%Y-%m-%d %H:%M:%S")


def _from_vn(value: Any) -> int | None:
    if not value:
        return None
    local = datetime.strptime(str(value)[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=VIETNAM)
    return int(local.timestamp())


def _unix(value: Any) -> int:
    if isinstance(value, (int, float)):
        return int(value)
    return _from_vn(value) or 0


def _date(value: Any):
    if not value:
        return None
    return datetime.strptime(str(value)[:10], "%Y-%m-%d").date()


def nhanh_sandbox(version: str = "3", seed: int = 1, products: int = 0,
                  clock: Callable[[], float] = time.time, rate_limits: bool = True,
                  **kwargs: Any) -> NhanhSandbox:
    """A seeded Nhanh sandbox; `products` scales the catalog (top-level products)."""
    return NhanhSandbox(seed=seed, clock=clock, rate_limits=rate_limits, version=version,
                        products=products, **kwargs)


class _IdTable(dict):
    """A dict of rows by id that counts changes to its keys, so the sorted id list used for
    cursor paging is rebuilt only after a create or delete, not on every page."""

    version = 0

    def __setitem__(self, key, value):
        if key not in self:
            self.version += 1
        super().__setitem__(key, value)

    def __delitem__(self, key):
        self.version += 1
        super().__delitem__(key)

    def pop(self, *args):
        self.version += 1
        return super().pop(*args)

    def popitem(self):
        self.version += 1
        return super().popitem()

    def clear(self):
        self.version += 1
        super().clear()

    def update(self, *args, **kwargs):
        self.version += 1
        super().update(*args, **kwargs)

    def setdefault(self, key, default=None):
        self.version += 1
        return super().setdefault(key, default)

    _ids: list[int] | None = None
    _ids_version = -1
    _children: dict[int, list[int]] | None = None
    _children_version = -1


def _keep_all(row: dict) -> bool:
    return True


def _children_ids(table: dict) -> dict[int, list[int]]:
    """Parent id → its children's ids, sorted; rebuilt after a create or delete (a row's
    parentId is set when the row is made and never changed)."""
    cached = isinstance(table, _IdTable)        # a plain dict put in by hand: no cache
    if cached and table._children is not None and table._children_version == table.version:
        return table._children
    found: dict[int, list[int]] = {}
    for key in _sorted_ids(table):
        found.setdefault(table[key]["parentId"], []).append(key)
    if cached:
        table._children, table._children_version = found, table.version
    return found


def _sorted_ids(table: dict) -> list[int]:
    if not isinstance(table, _IdTable):      # a plain dict put in by hand: no cache
        return sorted(table)
    if table._ids is None or table._ids_version != table.version:
        table._ids = sorted(table)
        table._ids_version = table.version
    return table._ids
