"""An in-process KiotViet (FnB or Retail) that behaves like the real API, quirks included.

It keeps a Vietnamese café (FnB: "Cà phê sữa đá", "Trà đào cam sả" in sizes M/L, toppings) or a
small clothes shop (Retail), and reproduces what the connector must survive: client-credentials
tokens that expire on the sandbox's own clock (`TokenException`), offset-less 7-digit Vietnam
datetimes, variants and units as separate product rows, the three spellings of removed ids,
`/surchages` and `hierachicalData`, wrapped and bare write answers, FnB PascalCase vs Retail
camelCase order bodies, FnB products read-only, invoices with status 1/2/3/5, store settings that
refuse a call (`Thiết lập "…" đang không được bật`), and 5,000 GET per hour.
"""
from __future__ import annotations

import collections
import collections.abc
import itertools
import math
import time
import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

import httpx

from contract.records import VIETNAM
from connectors.kiotviet.dates import parse_datetime
from connectors.kiotviet.platform import SANDBOX_CREDENTIALS
from connectors.sandbox_base import Fault, SandboxBase, json_response

Row = dict[str, Any]

ORDERING = "Cho phép đặt hàng"
DELIVERY = "Sử dụng tính năng giao hàng"
OUT_OF_STOCK_ORDERING = "Cho phép gọi món khi hết tồn kho"
GET_LIMIT_PER_HOUR = 5000

# Where each list keeps its deleted ids: the documented spellings differ per entity.
REMOVED_KEY = {"categories": "removedIds", "branches": "removedIds", "products": "removeId",
               "customers": "removeId", "users": "removeIds"}
INVOICE_STATUS = {1: "Hoàn thành", 2: "Đã hủy", 3: "Đang xử lý", 5: "Không giao được"}
ORDER_STATUS = {1: "Phiếu tạm", 2: "Đang giao hàng", 3: "Hoàn thành", 4: "Đã hủy",
                5: "Đã xác nhận"}

_FNB_NAMES = ("Cà phê sữa đá", "Cà phê đen đá", "Bạc xỉu", "Trà đào cam sả", "Trà vải",
              "Trà sen vàng", "Sinh tố bơ", "Nước ép cam", "Cacao đá", "Matcha latte",
              "Bánh mì thịt", "Bánh flan", "Sữa chua đánh đá", "Trà tắc", "Cà phê muối")
_RETAIL_NAMES = ("Áo thun cotton", "Quần jean nữ", "Váy hoa nhí", "Áo sơ mi linen", "Nón lá",
                 "Túi cói", "Khăn lụa tơ tằm", "Dép quai ngang", "Áo khoác dù", "Quần short kaki")


def kv_time(stamp: float) -> str:
    """KiotViet's REST datetime: Vietnam wall clock, 7 fractional digits, no offset."""
    return datetime.fromtimestamp(stamp, VIETNAM).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


def _error(status: int, message: str, code: str = "BadRequest") -> httpx.Response:
    return json_response(status, {"responseStatus": {"errorCode": code, "message": message,
                                                           "errors": []}})


def _public(row: Row) -> Row:
    return {k: v for k, v in row.items() if not k.startswith("_")}


@dataclass
class KiotVietSandbox(SandboxBase):
    kind: str = "fnb"
    product_count: int | None = None       # None = the small hand-written menu
    token_lifetime: float = 86400.0
    hide_customer_phones: bool = False     # KiotViet sometimes leaves contactNumber out
    # How a wrong connection name is refused: "named" (an error naming the store) or "token"
    # (the plain TokenException of an expired token). UNVERIFIED which one KiotViet sends.
    retailer_refusal: str = "named"
    # FnB order create: whether `Description` is kept. No public FnB document shows it on the
    # create body (issue 19/16), so the sandbox can drop it like a store that ignores it.
    keeps_order_description: bool = True
    # And whether line notes are kept (they are documented; off = the worst case, where only
    # the order's content can tell that a create whose answer was lost went through).
    keeps_line_notes: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kind not in ("fnb", "retail"):
            raise ValueError("kind must be 'fnb' or 'retail'")
        creds = SANDBOX_CREDENTIALS[self.kind]
        self.retailer, self.client_id = creds["retailer"], creds["client_id"]
        self.client_secret = creds["client_secret"]
        self.retailer_id = 925719 if self.kind == "fnb" else 500123
        self.tokens: dict[str, float] = {}          # token → expiry (sandbox clock)
        self.token_requests: list[dict[str, str]] = []
        self.settings = {ORDERING: True, DELIVERY: True, OUT_OF_STOCK_ORDERING: True}
        self.get_stamps: collections.deque[float] = collections.deque()
        self.next_id = 1000
        self.tables: dict[str, dict[int, Row]] = {name: _Table() for name in (
            "branches", "categories", "products", "customers", "orders", "invoices", "users",
            "surchages")}
        self.removed: dict[str, list[tuple[int, float]]] = collections.defaultdict(list)
        self.orders_by_uuid: dict[str, int] = {}
        # (method, path) → fault: the next such request is carried out, then its answer is
        # lost (5xx/timeout/reset) — the write happened, the client cannot know (COM-02).
        self.lost_answers: collections.deque[tuple[str, str, str]] = collections.deque()
        self._seed()

    # ---------------------------------------------------------------- seeding ---------
    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def _stamp(self, row: Row, when: float | None = None) -> Row:
        when = self.clock() if when is None else when
        row["_ts"] = when
        row["modifiedDate"] = kv_time(when)
        row.setdefault("createdDate", kv_time(when))
        return row

    def _seed(self) -> None:
        start = self.clock() - 30 * 86400
        for bid, name, address, location, ward in (
                (1, "Chi nhánh trung tâm", "12 Lý Tự Trọng", "Hồ Chí Minh - Quận 1",
                 "Phường Bến Thành"),
                (2, "Chi nhánh Thảo Điền", "45 Xuân Thuỷ", "Hồ Chí Minh - Thành phố Thủ Đức",
                 "Phường Thảo Điền")):
            self.tables["branches"][bid] = self._stamp(
                {"id": bid, "branchName": name, "branchCode": f"CN{bid}", "address": address,
                 "locationName": location, "wardName": ward,
                 "contactNumber": f"02838{bid:06d}", "retailerId": self.retailer_id,
                 "email": ""}, start)
        cats = ((1, "Cà phê", None), (2, "Trà", None), (3, "Trà trái cây", 2),
                (4, "Topping", None), (5, "Bánh ngọt", None)) if self.kind == "fnb" else \
            ((1, "Thời trang nữ", None), (2, "Áo", 1), (3, "Quần", 1), (4, "Phụ kiện", None))
        for cid, name, parent in cats:
            self.tables["categories"][cid] = self._stamp(
                {"categoryId": cid, "parentId": parent, "categoryName": name, "rank": cid,
                 "retailerId": self.retailer_id, "hasChild": any(p == cid for _, _, p in cats)},
                start)
        if self.product_count is None:
            self._seed_menu(start)
        else:
            self._seed_many(self.product_count, start)
        for i, (name, phone) in enumerate((("Nguyễn Thị Lan", "0903123456"),
                                           ("Trần Văn Minh", "0912345678"),
                                           ("Lê Hoàng Yến", "0987654321"),
                                           ("Phạm Quốc Bảo", "0934567890"))):
            cid = self._id()
            self.tables["customers"][cid] = self._stamp(
                {"id": cid, "code": f"KH{cid:06d}", "name": name, "contactNumber": phone,
                 "gender": i % 2 == 1, "address": f"{10 + i} Nguyễn Huệ", "wardName": "Bến Nghé",
                 "locationName": "Hồ Chí Minh - Quận 1", "email": "", "comments": "",
                 "retailerId": self.retailer_id, "debt": 0, "rewardPoint": 0}, start)
        self.tables["users"][1] = self._stamp({"id": 1, "userName": "thungan",
                                               "givenName": "Thu Ngân", "mobilePhone": "",
                                               "retailerId": self.retailer_id}, start)
        self.tables["surchages"][1] = {"id": 1, "surchargeCode": "THK000001",
                                       "surchargeName": "Phí giao hàng", "valueRatio": 0,
                                       "value": 15000}
        first = next(iter(self.tables["products"].values()))
        for status in (1, 2, 3, 5):
            self.add_invoice(status=status, lines=[(first["id"], 2)], when=start + status * 60)
        # A sale with a line discount, an order discount and a surcharge, typed in two hours
        # after it happened (purchaseDate ≠ createdDate): what a real shop's invoices look like.
        rows = list(itertools.islice(self.tables["products"].values(), 3))
        self.add_invoice(status=1, lines=[(rows[0]["id"], 2), (rows[-1]["id"], 1)],
                         line_discounts=[3000, 0], discount=5000, surcharge=10000,
                         when=start + 600, typed_after=7200)

    def _product(self, *, name: str, code: str, price: int, category: int,
                 attributes: Iterable[tuple[str, str]] = (), master: int | None = None,
                 unit: str = "", master_unit: int | None = None, conversion: float = 1,
                 when: float, stock: tuple[int, int] = (50, 20), extra: Row | None = None) -> Row:
        pid = self._id()
        row = self._build_product(pid, name=name, code=code, price=price, category=category,
                                  attributes=attributes, master=master, unit=unit,
                                  master_unit=master_unit, conversion=conversion, when=when,
                                  stock=stock, extra=extra)
        self.tables["products"][pid] = row
        if master_unit is not None:
            base = self.tables["products"][master_unit]
            base["units"].append({"id": pid, "code": code, "name": name, "unit": unit,
                                  "conversionValue": conversion, "basePrice": price})
        return row

    def _build_product(self, pid: int, *, name: str, code: str, price: int, category: int,
                       attributes: Iterable[tuple[str, str]] = (), master: int | None = None,
                       unit: str = "", master_unit: int | None = None, conversion: float = 1,
                       when: float, stock: tuple[int, int] = (50, 20), extra: Row | None = None,
                       category_names: dict[int, str] | None = None,
                       branches: list[tuple[int, str]] | None = None) -> Row:
        if category_names is None:
            category_names = {category: self.tables["categories"][category]["categoryName"]}
        if branches is None:
            branches = [(bid, b["branchName"]) for bid, b in self.tables["branches"].items()]
        attrs = [{"productId": pid, "attributeName": a, "attributeValue": v}
                 for a, v in attributes]
        full = name + (" - " + " - ".join(v for _, v in attributes) if attrs else "") + \
            (f" ({unit})" if unit and master_unit else "")
        row: Row = {"id": pid, "code": code, "barCode": code if self.kind == "retail" else "",
                    "retailerId": self.retailer_id, "allowsSale": True, "name": name,
                    "fullName": full, "categoryId": category,
                    "categoryName": category_names[category],
                    "description": "", "hasVariants": bool(attrs), "attributes": attrs,
                    "unit": unit, "masterUnitId": master_unit, "masterProductId": master,
                    "conversionValue": conversion, "units": [], "basePrice": price,
                    "weight": 0, "images": [{"Image": f"https://cdn.kiotviet.vn/{code}.jpg"}],
                    "inventories": [
                        {"productId": pid, "productCode": code, "productName": full,
                         "branchId": bid, "branchName": branch_name, "onHand": stock[i],
                         "cost": price // 2, "onOrder": 0, "reserved": 2 if i == 0 else 0,
                         "minQuality": 0, "maxQuality": 999}
                        for i, (bid, branch_name) in enumerate(branches)]}
        if self.kind == "retail":
            row["isActive"] = True        # FnB: UNVERIFIED whether it is returned at all
        row.update(extra or {})
        return self._stamp(row, when)

    def _family(self, name: str, code: str, prices: dict[str, int], category: int,
                when: float, option: str = "Size") -> list[Row]:
        rows: list[Row] = []
        for i, (value, price) in enumerate(prices.items()):
            rows.append(self._product(name=name, code=f"{code}-{value}", price=price,
                                      category=category, attributes=[(option, value)],
                                      master=rows[0]["id"] if rows else None, when=when + i))
        return rows

    def _seed_menu(self, start: float) -> None:
        if self.kind == "fnb":
            self._family("Cà phê sữa đá", "CPSD", {"M": 29000, "L": 35000}, 1, start)
            self._product(name="Cà phê đen đá", code="CPDD", price=25000, category=1, when=start)
            self._product(name="Bạc xỉu", code="BX", price=32000, category=1, when=start)
            self._family("Trà đào cam sả", "TDCS", {"M": 45000, "L": 55000}, 3, start)
            self._product(name="Trà vải", code="TV", price=42000, category=3, when=start)
            for name, code, price in (("Trân châu trắng", "TOP-TC", 8000),
                                      ("Thạch cà phê", "TOP-TCF", 7000),
                                      ("Kem cheese", "TOP-KC", 12000)):
                self._product(name=name, code=code, price=price, category=4, when=start,
                              extra={"isTopping": True})
            base = self._product(name="Bánh croissant", code="BCR", price=30000, category=5,
                                 unit="cái", when=start)
            self._product(name="Bánh croissant", code="BCR-H4", price=110000, category=5,
                          unit="hộp 4 cái", master_unit=base["id"], conversion=4, when=start)
        else:
            self._family("Áo thun cotton", "ATC", {"S": 149000, "M": 149000, "L": 159000}, 2,
                         start)
            self._family("Quần jean nữ", "QJN", {"27": 399000, "28": 399000}, 3, start)
            self._product(name="Nón lá", code="NL01", price=65000, category=4, when=start)
            self._product(name="Túi cói", code="TC01", price=185000, category=4, when=start)
            base = self._product(name="Khăn lụa tơ tằm", code="KLT", price=220000, category=4,
                                 unit="chiếc", when=start)
            self._product(name="Khăn lụa tơ tằm", code="KLT-H3", price=600000, category=4,
                          unit="hộp 3 chiếc", master_unit=base["id"], conversion=3, when=start)

    def _seed_many(self, count: int, start: float) -> None:
        """`count` product rows: most simple, every fifth family with two sizes. The rows are
        not stored: `_SeededProducts` builds each one from its position when asked, and keeps
        only rows that were asked for by id (they may be edited), created or deleted — 100,000
        stored rows cost ~290 MB before a sync even started."""
        first = self.next_id + 1
        self.next_id += count
        category_names = {cid: c["categoryName"] for cid, c in self.tables["categories"].items()}
        branches = [(bid, b["branchName"]) for bid, b in self.tables["branches"].items()]
        self.tables["products"] = _SeededProducts(
            first, count, lambda slot: self._seeded_row(slot, first, count, start,
                                                        category_names, branches),
            newest_seed_stamp=start + 1)   # sizes L are stamped start + 1

    def _seeded_row(self, slot: int, first: int, count: int, start: float,
                    category_names: dict[int, str], branches: list[tuple[int, str]]) -> Row:
        """Row number `slot` of `_seed_many`, exactly as building them one after another
        would make it: a family (n % 5 == 0, room for two) takes sizes M then L."""
        names = _FNB_NAMES if self.kind == "fnb" else _RETAIL_NAMES
        categories = list(category_names)
        n, size = slot, None
        if slot % 5 == 0 and count - slot >= 2:
            size = "M"
        elif slot % 5 == 1 and count - (slot - 1) >= 2:
            n, size = slot - 1, "L"
        name = f"{names[n % len(names)]} {n // len(names) + 1}"
        category = categories[n % len(categories)]
        shared = {"category_names": category_names, "branches": branches}
        if size is None:
            return self._build_product(first + slot, name=name, code=f"SP{n:06d}",
                                       price=20000 + n % 80 * 1000, category=category,
                                       when=start, stock=(n % 40, n % 7), **shared)
        price = (30000 if size == "M" else 36000) + n % 50 * 1000
        return self._build_product(first + slot, name=name, code=f"SP{n:06d}-{size}",
                                   price=price, category=category, attributes=[("Size", size)],
                                   master=None if size == "M" else first + slot - 1,
                                   when=start + (0 if size == "M" else 1), **shared)

    # ------------------------------------------------------------ test controls -------
    def expire_tokens(self) -> None:
        """Every issued token is now past its expiry (a token dying mid-run)."""
        for token in self.tokens:
            self.tokens[token] = self.clock() - 1

    def set_setting(self, name: str, on: bool) -> None:
        self.settings[name] = on

    def delete(self, table: str, row_id: int) -> None:
        """Delete in KiotViet: the id shows up in the list's removed ids from now on."""
        self.tables[table].pop(row_id, None)
        self.removed[table].append((row_id, self.clock()))

    def touch(self, table: str, row_id: int, **changes: Any) -> Row:
        row = self.tables[table][row_id]
        row.update(changes)
        return self._stamp(row)

    def product_by_code(self, code: str) -> Row | None:
        products = self.tables["products"]
        if isinstance(products, _SeededProducts):
            return products.by_code(code, _seeded_slot(code))
        return next((r for r in products.values() if r["code"] == code), None)

    def add_invoice(self, *, status: int, lines: list[tuple[int, float]],
                    order_code: str = "", customer_id: int | None = None,
                    when: float | None = None, line_discounts: list[float] | None = None,
                    discount: float = 0, surcharge: float = 0, typed_after: float = 0,
                    prices: list[float] | None = None) -> Row:
        """An invoice as KiotViet keeps it: a line `discount` is an amount off each unit
        (UNVERIFIED, see mapping.LINE_DISCOUNT_PER_UNIT), `discount` is off the whole
        invoice, a surcharge (thu khác) is added; `total` is what the customer pays."""
        iid = self._id()
        details = []
        for i, (product_id, qty) in enumerate(lines):
            product = self.tables["products"][product_id]
            price = prices[i] if prices else product["basePrice"]
            off = line_discounts[i] if line_discounts else 0
            details.append({"productId": product_id, "productCode": product["code"],
                            "productName": product["fullName"], "quantity": qty,
                            "price": price, "discount": off,
                            "discountRatio": round(off * 100 / price, 2) if price else 0,
                            "note": ""})
        customer = self.tables["customers"].get(customer_id or -1)
        sold_at = when if when is not None else self.clock()
        surcharges = [{"id": 1, "invoiceId": iid, "surchargeId": 1,
                       "surchargeName": "Phí giao hàng", "surValue": surcharge,
                       "price": surcharge, "createdDate": kv_time(sold_at)}] if surcharge else []
        row = {"id": iid, "code": f"HD{iid:06d}", "orderCode": order_code,
               "purchaseDate": kv_time(sold_at),
               "branchId": 1, "branchName": self.tables["branches"][1]["branchName"],
               "soldById": 1, "customerId": customer_id,
               "customerCode": customer["code"] if customer else "",
               "customerName": customer["name"] if customer else "Khách lẻ",
               "total": _payable(details, discount, surcharges), "totalPayment": 0,
               "discount": discount, "status": status, "statusValue": INVOICE_STATUS[status],
               "description": "", "usingCod": False, "payments": [],
               "invoiceOrderSurcharges": surcharges, "invoiceDetails": details}
        self._stamp(row, sold_at + typed_after)
        row["createdDate"] = kv_time(sold_at + typed_after)
        self.tables["invoices"][iid] = row
        return row

    def lose_answer(self, method: str, path: str, fault: str = Fault.SERVER_ERROR) -> None:
        """The next `method path` request is carried out, then its answer is lost."""
        self.lost_answers.append((method.upper(), path, fault))

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            for i, (method, path, fault) in enumerate(self.lost_answers):
                if request.method == method and request.url.path.rstrip("/").endswith(path):
                    del self.lost_answers[i]
                    self.requests.append(request)
                    self.route(request)                     # committed …
                    return self.fault_response(fault, request)   # … and the answer lost
            return super().handle(request)

    def complete_order(self, code: str) -> Row:
        """The cashier issues the invoice of an order (KVF-10's way back to the App)."""
        order = next(o for o in self.tables["orders"].values() if o["code"] == code)
        order["status"], order["statusValue"] = 3, ORDER_STATUS[3]
        self._stamp(order)
        return self.add_invoice(status=1, order_code=code, customer_id=order.get("customerId"),
                                lines=[(d["productId"], d["quantity"])
                                       for d in order["orderDetails"]],
                                prices=[d["price"] for d in order["orderDetails"]],
                                line_discounts=[d.get("discount") or 0
                                                for d in order["orderDetails"]],
                                discount=order.get("discount") or 0)

    # -------------------------------------------------------------------- routing ------
    def fault_response(self, fault: str, request: httpx.Request) -> httpx.Response:
        if fault == Fault.THROTTLE:
            response = _error(429, "Vượt quá số lượng request cho phép", "TooManyRequests")
            response.headers["retry-after"] = "1"
            return response
        return super().fault_response(fault, request)

    def route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.rstrip("/")
        if path.endswith("/connect/token"):
            return self._token(request)
        denied = self._check_auth(request)
        if denied is not None:
            return denied
        if request.method == "GET" and self.rate_limits:
            limited = self._count_get()
            if limited is not None:
                return limited
        parts = [p for p in path.split("/") if p]
        params = request.url.params
        handler = getattr(self, f"_{request.method.lower()}_{parts[0].lower()}", None) \
            if parts else None
        if handler is None:
            return _error(404, f"Không tìm thấy đường dẫn {path}", "NotFound")
        return handler(request, parts[1:], params)

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs((request.content or b"").decode()).items()}
        self.token_requests.append(form)
        scope = form.get("scopes") or form.get("scope")
        wanted = "PublicApi.Access.FNB" if self.kind == "fnb" else "PublicApi.Access"
        if form.get("grant_type") != "client_credentials" or scope != wanted:
            return json_response(400, {"error": "invalid_scope"})
        if form.get("client_id") != self.client_id or \
                form.get("client_secret") != self.client_secret:
            return json_response(400, {"error": "invalid_client"})
        token = f"kvtoken-{uuidlib.UUID(int=self.rng.getrandbits(128)).hex}"
        self.tokens[token] = self.clock() + self.token_lifetime
        return json_response(200, {"access_token": token,
                                         "expires_in": int(self.token_lifetime),
                                         "token_type": "Bearer"})

    def _check_auth(self, request: httpx.Request) -> httpx.Response | None:
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip()
        expiry = self.tokens.get(token)
        if not auth.startswith("Bearer ") or expiry is None or expiry <= self.clock():
            return _error(401, "Token không hợp lệ hoặc đã hết hạn", "TokenException")
        if request.headers.get("retailer", "") != self.retailer:
            if self.retailer_refusal == "token":
                return _error(401, "Token không hợp lệ hoặc đã hết hạn", "TokenException")
            return _error(401, "Không tìm thấy gian hàng (Retailer)", "RetailerNotFound")
        return None

    def _count_get(self) -> httpx.Response | None:
        now = self.clock()
        while self.get_stamps and self.get_stamps[0] <= now - 3600:
            self.get_stamps.popleft()
        if len(self.get_stamps) >= GET_LIMIT_PER_HOUR:
            response = _error(429, "Vượt quá 5000 request/1h", "TooManyRequests")
            response.headers["retry-after"] = str(int(self.get_stamps[0] + 3600 - now) + 1)
            return response
        self.get_stamps.append(now)
        return None

    # ---------------------------------------------------------------- lists ------------
    def _since(self, params: httpx.QueryParams) -> float | None:
        raw = params.get("lastModifiedFrom")
        moment = parse_datetime(raw) if raw else None
        return moment.timestamp() if moment else None

    def _list(self, table: str, rows: list[Row] | None, params: httpx.QueryParams, *,
              removed: bool = False, render: Callable[[Row], Row] = _public) -> httpx.Response:
        """`rows` None: the whole table, which a first pull by id pages without copying it."""
        since = self._since(params)
        whole = self.tables.get(table)
        if rows is None and since is not None and isinstance(whole, _SeededProducts):
            rows = whole.changed_candidates(since)
        if rows is None and not (since is None and params.get("orderBy") == "id"
                                 and hasattr(whole, "sorted_by_id")):
            rows = list(whole.values())
        if since is not None:
            rows = [r for r in rows if r["_ts"] >= since]
        order = params.get("orderBy")
        if order:
            descending = params.get("orderDirection", "Asc").lower() == "desc"
            if since is None and order == "id" and hasattr(whole, "sorted_by_id") \
                    and (rows is None or len(rows) == len(whole)):
                # The whole table by id (a first pull): sort once per change of the table,
                # not once per page — per-page sorting made a 100k pull quadratic. Ids never
                # change, so the cached order stays right while rows are edited in place.
                rows = whole.sorted_by_id(descending)
            else:
                rows = sorted(rows, key=lambda r: r.get(order) or 0, reverse=descending)
        size = min(max(int(params.get("pageSize", 20)), 1), 100)
        offset = max(int(params.get("currentItem", 0)), 0)
        body: Row = {"total": len(rows), "pageSize": size,
                     "data": [render(r) for r in rows[offset:offset + size]],
                     "timestamp": datetime.fromtimestamp(self.clock(), VIETNAM).isoformat()}
        if removed and since is not None:
            body[REMOVED_KEY[table]] = [rid for rid, when in self.removed[table] if when >= since]
        return json_response(200, body)

    def _get_branches(self, request, rest, params):
        return self._list("branches", list(self.tables["branches"].values()), params,
                          removed=params.get("includeRemoveIds") == "true")

    def _get_users(self, request, rest, params):
        return self._list("users", list(self.tables["users"].values()), params,
                          removed=params.get("includeRemoveIds") == "true")

    def _get_surchages(self, request, rest, params):
        rows = list(self.tables["surchages"].values())
        return json_response(200, {"total": len(rows), "pageSize": 100, "data": rows})

    def _get_settings(self, request, rest, params):
        return json_response(200, {"ManagerCustomerByBranch": False,
                                         "AllowOrderWhenOutStock": True,
                                         "AllowSellWhenOrderOutStock": True,
                                         "AllowSellWhenOutStock": True})

    def _get_categories(self, request, rest, params):
        rows = list(self.tables["categories"].values())
        if rest:
            row = self.tables["categories"].get(int(rest[0]))
            return json_response(200, {"data": _public(row)}) if row else \
                _error(404, "Không tìm thấy nhóm hàng", "NotFound")
        if params.get("hierachicalData") == "true":      # tree; lastModifiedFrom ignored
            def tree(parent):
                return [{**_public(r), "children": tree(r["categoryId"])}
                        for r in rows if r["parentId"] == parent]
            return json_response(200, {"total": len(rows), "pageSize": 100,
                                             "data": tree(None)})
        return self._list("categories", rows, params, removed=True)

    # ------------------------------------------------------------- products ------------
    def _family_root(self, row: Row) -> int:
        if row.get("masterProductId"):
            return row["masterProductId"]
        if row.get("masterUnitId"):
            base = self.tables["products"].get(row["masterUnitId"])
            return self._family_root(base) if base else row["masterUnitId"]
        return row["id"]

    def _render_product(self, include_inventory: bool) -> Callable[[Row], Row]:
        def render(row: Row) -> Row:
            out = _public(row)
            if not include_inventory:
                out.pop("inventories", None)
            return out
        return render

    def _get_products(self, request, rest, params):
        products = self.tables["products"]
        if rest and rest[0] == "code" and len(rest) > 1:
            row = self.product_by_code(rest[1])
            return json_response(200, _public(row)) if row else \
                _error(404, "Không tìm thấy hàng hóa", "NotFound")
        if rest:
            row = products.get(int(rest[0])) if rest[0].isdigit() else None
            if row is None:
                return _error(404, "Không tìm thấy hàng hóa", "NotFound")
            # FnB wraps the detail in `data` (FNBSDK); Retail answers it bare.
            return json_response(200, {"data": _public(row)} if self.kind == "fnb"
                                  else _public(row))
        rows = None
        if params.get("masterProductId"):
            root = int(params["masterProductId"])
            # One family's rows, without building all 100,000 rows of a big sample shop for
            # each family read (an incremental run after 1,000 edits reads ~260 families).
            candidates = (products.family_candidates(root)
                          if isinstance(products, _SeededProducts) else products.values())
            rows = [r for r in candidates if self._family_root(r) == root]
        elif any(params.get(k) for k in ("masterUnitId", "categoryId")):
            rows = list(products.values())
        if params.get("masterUnitId"):
            rows = [r for r in rows if r.get("masterUnitId") == int(params["masterUnitId"])]
        if params.get("categoryId"):
            rows = [r for r in rows if r["categoryId"] == int(params["categoryId"])]
        return self._list("products", rows, params,
                          removed=params.get("includeRemoveIds") == "true",
                          render=self._render_product(params.get("includeInventory") == "true"))

    def _post_products(self, request, rest, params):
        if self.kind == "fnb":
            return _error(405, "KiotViet FnB không hỗ trợ tạo hàng hóa qua API", "NotSupported")
        body = self.body(request) or {}
        if not str(body.get("name", "")).strip():
            return _error(400, "Tên hàng hóa không được để trống")
        if body.get("code") and self.product_by_code(body["code"]) is not None:
            return _error(400, f"Mã hàng {body['code']} đã tồn tại")
        if len(str(body.get("barCode") or "")) > 16:
            return _error(400, "Mã vạch không được quá 16 ký tự")
        category = int(body.get("categoryId") or next(iter(self.tables["categories"])))
        if category not in self.tables["categories"]:
            return _error(400, "Nhóm hàng không tồn tại")
        attributes = [(a["attributeName"], a["attributeValue"])
                      for a in body.get("attributes") or ()]
        row = self._product(name=body["name"], code=body.get("code") or f"SP{self.next_id + 1:06d}",
                            price=body.get("basePrice", 0), category=category,
                            attributes=attributes, master=body.get("masterProductId"),
                            unit=body.get("unit", ""), when=self.clock(), stock=(0, 0),
                            extra={"description": body.get("description", ""),
                                   "barCode": body.get("barCode", ""),
                                   "images": list(body.get("images") or [])})
        for inventory in body.get("inventories") or ():
            for level in row["inventories"]:
                if level["branchId"] == inventory.get("branchId"):
                    level["onHand"] = inventory.get("onHand", 0)
        return json_response(200, _public(row))

    def _put_products(self, request, rest, params):
        if self.kind == "fnb":
            return _error(405, "KiotViet FnB không hỗ trợ sửa hàng hóa qua API", "NotSupported")
        row = self.tables["products"].get(int(rest[0])) if rest and rest[0].isdigit() else None
        if row is None:
            return _error(404, "Không tìm thấy hàng hóa", "NotFound")
        body = self.body(request) or {}
        for key in ("name", "basePrice", "description", "isActive", "categoryId", "barCode",
                    "unit", "images"):
            if key in body:
                row[key] = body[key]
        return json_response(200, _public(self._stamp(row)))

    def _delete_products(self, request, rest, params):
        if self.kind == "fnb" or not rest or int(rest[0]) not in self.tables["products"]:
            return _error(404, "Không tìm thấy hàng hóa", "NotFound")
        self.delete("products", int(rest[0]))
        return json_response(200, {"message": "Xóa dữ liệu thành công"})

    # ------------------------------------------------------------ customers ------------
    def _get_customers(self, request, rest, params):
        rows = list(self.tables["customers"].values())
        if rest and rest[0] == "code" and len(rest) > 1:
            row = next((r for r in rows if r["code"] == rest[1]), None)
            return json_response(200, _public(row)) if row else \
                _error(404, "Không tìm thấy khách hàng", "NotFound")
        if params.get("contactNumber"):
            wanted = "".join(ch for ch in params["contactNumber"] if ch.isdigit())
            rows = [r for r in rows if wanted and wanted in
                    "".join(ch for ch in r.get("contactNumber") or "" if ch.isdigit())]

        def render(row: Row) -> Row:
            out = _public(row)
            if self.hide_customer_phones:
                out.pop("contactNumber", None)
            return out
        return self._list("customers", rows, params,
                          removed=params.get("includeRemoveIds") == "true", render=render)

    def _post_customers(self, request, rest, params):
        body = self.body(request) or {}
        if not str(body.get("name", "")).strip():
            return _error(400, "Tên khách hàng không được để trống")
        phone = body.get("contactNumber") or ""
        if phone and any(r.get("contactNumber") == phone
                         for r in self.tables["customers"].values()):
            return _error(400, f"Số điện thoại {phone} đã tồn tại")
        cid = self._id()
        row = {"id": cid, "code": body.get("code") or f"KH{cid:06d}", "name": body["name"],
               "contactNumber": phone, "gender": body.get("gender"),
               "birthDate": body.get("birthDate"), "address": body.get("address", ""),
               "email": body.get("email", ""), "comments": body.get("comments", ""),
               "retailerId": self.retailer_id, "branchId": body.get("branchId")}
        self.tables["customers"][cid] = self._stamp(row)
        return json_response(200, {"message": "Tạo khách hàng thành công",
                                         "data": _public(row)})

    def _put_customers(self, request, rest, params):
        row = self.tables["customers"].get(int(rest[0])) if rest and rest[0].isdigit() else None
        if row is None:
            return _error(404, "Không tìm thấy khách hàng", "NotFound")
        row.update({k: v for k, v in (self.body(request) or {}).items()
                    if k in ("name", "contactNumber", "email", "address", "gender",
                             "birthDate", "comments")})
        return json_response(200, {"message": "Cập nhật thành công",
                                         "data": _public(self._stamp(row))})

    # --------------------------------------------------------------- orders ------------
    def _get_orders(self, request, rest, params):
        if len(rest) == 2 and rest[0] == "uuid":
            oid = self.orders_by_uuid.get(rest[1])
            return json_response(200, _public(self.tables["orders"][oid])) \
                if oid else _error(404, "Không tìm thấy đơn hàng", "NotFound")
        if rest:
            row = self.tables["orders"].get(int(rest[0])) if rest[0].isdigit() else None
            return json_response(200, _public(row)) if row else \
                _error(404, "Không tìm thấy đơn hàng", "NotFound")
        return self._list("orders", list(self.tables["orders"].values()), params)

    def _post_orders(self, request, rest, params):
        if rest and not (self.kind == "fnb" and rest == ["create"]):
            return _error(404, "Không tìm thấy đường dẫn", "NotFound")
        if not self.settings[ORDERING]:
            return _error(400, f'Thiết lập "{ORDERING}" đang không được bật')
        body = self.body(request) or {}
        parsed = self._read_fnb_order(body) if self.kind == "fnb" else \
            self._read_retail_order(body)
        if isinstance(parsed, httpx.Response):
            return parsed
        branch, customer_id, lines, delivery, description, discount = parsed
        if delivery and not self.settings[DELIVERY]:
            # Worded as KVDOC 2.5 prints it, stray full stop included.
            return _error(400, f"Thiết lập “{DELIVERY}.” đang không được bật")
        if self.kind == "fnb" and not self.keeps_order_description:
            description = ""
        details = []
        if not self.keeps_line_notes:
            lines = [(pid, qty, price, "", off) for pid, qty, price, _, off in lines]
        for product_id, qty, price, note, line_discount in lines:
            product = self.tables["products"].get(product_id)
            if product is None:
                return _error(400, f"Hàng hóa {product_id} không tồn tại")
            stock = next((i["onHand"] for i in product["inventories"] if i["branchId"] == branch),
                         0)
            if self.kind == "fnb" and stock < qty and not self.settings[OUT_OF_STOCK_ORDERING]:
                # UNVERIFIED wording: FNBPDF names the setting, not the answer; shaped like
                # the documented Retail one ("Cho phép bán hàng khi hết tồn kho").
                return _error(400, f"Thiết lập “{OUT_OF_STOCK_ORDERING}” đang không được bật")
            details.append({"productId": product_id, "productCode": product["code"],
                            "productName": product["fullName"], "quantity": qty,
                            "price": price, "discount": line_discount, "note": note,
                            "uuid": str(uuidlib.UUID(int=self.rng.getrandbits(128)))})
        oid = self._id()
        customer = self.tables["customers"].get(customer_id or -1)
        row = {"id": oid, "code": f"DH{oid:06d}", "purchaseDate": kv_time(self.clock()),
               "branchId": branch, "customerId": customer_id,
               "customerName": customer["name"] if customer else
               (delivery or {}).get("receiver", ""),
               "total": _payable(details, discount, []), "discount": discount,
               "status": 1, "statusValue": ORDER_STATUS[1], "description": description,
               "orderDetails": details, "orderDelivery": delivery or None}
        self.tables["orders"][oid] = self._stamp(row)
        if rest == ["create"]:
            key = str(uuidlib.UUID(int=self.rng.getrandbits(128)))
            self.orders_by_uuid[key] = oid
            return json_response(200, key)
        return json_response(200, _public(row))

    def _branch_or_error(self, value: Any) -> int | httpx.Response:
        if not isinstance(value, int) or value not in self.tables["branches"]:
            return _error(400, "Chi nhánh không tồn tại")
        return value

    def _read_fnb_order(self, body: Row):
        """FnB order bodies are PascalCase (FNBPDF); a camelCase body is refused."""
        if "BranchId" not in body or "OrderDetails" not in body:
            return _error(400, "BranchId và OrderDetails là bắt buộc")
        branch = self._branch_or_error(body["BranchId"])
        if isinstance(branch, httpx.Response):
            return branch
        lines = []
        for detail in body["OrderDetails"] or ():
            if "ProductId" not in detail or "Quantity" not in detail:
                return _error(400, "OrderDetails cần ProductId và Quantity")
            lines.append((detail["ProductId"], detail["Quantity"], detail.get("Price", 0),
                          detail.get("Note") or "", detail.get("Discount") or 0))
        if not lines:
            return _error(400, "Đơn hàng phải có ít nhất một món")
        raw = body.get("DeliveryDetail") or {}
        delivery = {"receiver": raw.get("Receiver", ""), "contactNumber":
                    raw.get("ContactNumber", ""), "address": raw.get("Address", ""),
                    "expectedDelivery": raw.get("ExpectedDelivery"),
                    "status": raw.get("Status")} if raw else {}
        if raw.get("ExpectedDelivery"):
            try:
                parse_datetime(raw["ExpectedDelivery"])
            except ValueError:
                return _error(400, "ExpectedDelivery không đúng định dạng")
        return (branch, body.get("CustomerId"), lines, delivery, body.get("Description") or "",
                body.get("Discount") or 0)

    def _read_retail_order(self, body: Row):
        """Retail order bodies are camelCase (KVDOC); a PascalCase body is refused."""
        if "branchId" not in body or "orderDetails" not in body:
            return _error(400, "branchId và orderDetails là bắt buộc")
        branch = self._branch_or_error(body["branchId"])
        if isinstance(branch, httpx.Response):
            return branch
        lines = []
        for detail in body["orderDetails"] or ():
            if "productId" not in detail or "quantity" not in detail:
                return _error(400, "orderDetails cần productId và quantity")
            lines.append((detail["productId"], detail["quantity"], detail.get("price", 0),
                          detail.get("note") or "", detail.get("discount") or 0))
        if not lines:
            return _error(400, "Đơn hàng phải có ít nhất một hàng hóa")
        # KVDOC 2.5.3 documents the customer as `customer.id`; a top-level `customerId` is
        # not in the create body and is ignored, as an unknown field would be.
        customer_id = (body.get("customer") or {}).get("id")
        delivery = dict(body.get("orderDelivery") or {})
        return (branch, customer_id, lines, delivery, body.get("description") or "",
                body.get("discount") or 0)

    # ------------------------------------------------------------- invoices ------------
    def _get_invoices(self, request, rest, params):
        rows = list(self.tables["invoices"].values())
        if rest:
            row = self.tables["invoices"].get(int(rest[0])) if rest[0].isdigit() else None
            return json_response(200, _public(row)) if row else \
                _error(404, "Không tìm thấy hóa đơn", "NotFound")
        statuses = {int(s) for value in params.get_list("status") for s in value.split(",")
                    if s.strip().isdigit()}
        if statuses:
            rows = [r for r in rows if r["status"] in statuses]
        return self._list("invoices", rows, params)


def _payable(details: list[Row], discount: float, surcharges: list[Row]) -> float:
    """KiotViet's `total` ("khách cần trả"): each line at (price − unit discount) × quantity,
    less the order discount, plus surcharges."""
    lines = sum((d["price"] - (d.get("discount") or 0)) * d["quantity"] for d in details)
    return lines - discount + sum(s.get("price") or 0 for s in surcharges)


def kiotviet_sandbox(kind: str = "fnb", seed: int = 1, products: int | None = None,
                     clock: Callable[[], float] = time.time, rate_limits: bool = True,
                     **kwargs: Any) -> KiotVietSandbox:
    """A sample KiotViet shop (B-01). `products=N` builds N product rows (up to 10,000+)."""
    return KiotVietSandbox(seed=seed, clock=clock, rate_limits=rate_limits, kind=kind,
                           product_count=products, **kwargs)


class _Table(dict):
    """Rows by id that remembers their id order until a row is added, replaced or removed."""

    _order: dict[bool, list[Row]] | None = None

    def _changed(self) -> None:
        self._order = None

    def __setitem__(self, key, value):
        self._changed()
        super().__setitem__(key, value)

    def __delitem__(self, key):
        self._changed()
        super().__delitem__(key)

    def pop(self, *args):
        self._changed()
        return super().pop(*args)

    def popitem(self):
        self._changed()
        return super().popitem()

    def clear(self):
        self._changed()
        super().clear()

    def update(self, *args, **kwargs):
        self._changed()
        super().update(*args, **kwargs)

    def setdefault(self, key, default=None):
        self._changed()
        return super().setdefault(key, default)

    def sorted_by_id(self, descending: bool) -> list[Row]:
        if self._order is None:
            self._order = {}
        if descending not in self._order:
            self._order[descending] = sorted(self.values(), key=lambda r: r.get("id") or 0,
                                             reverse=descending)
        return self._order[descending]


class _SeededProducts(collections.abc.MutableMapping):
    """The products of a big sample shop (`products=N`), ids `first`…`first+count-1`, built
    on demand by `make(slot)`. A row asked for by id is kept from then on, so edits made to
    it in place (touch, stock, units) stay; rows only listed are built, sent and dropped.
    Iteration order is the order eager seeding would have inserted: seeded ids, then the rest."""

    def __init__(self, first: int, count: int, make: Callable[[int], Row],
                 newest_seed_stamp: float = math.inf) -> None:
        self._first, self._count, self._make = first, count, make
        self.newest_seed_stamp = newest_seed_stamp   # the latest `_ts` a seeded row is built with
        self._rows: dict[int, Row] = {}        # kept seeded rows and every created row
        self._gone: set[int] = set()           # seeded ids deleted
        self._order: dict[bool, "_RowsById"] | None = None

    def _in_seed(self, key: Any) -> bool:
        """An id the seeding numbered (whether or not it was deleted since)."""
        return isinstance(key, int) and self._first <= key < self._first + self._count

    def _seeded(self, key: Any) -> bool:
        return self._in_seed(key) and key not in self._gone

    def _peek(self, key: int) -> Row:
        row = self._rows.get(key)
        return row if row is not None else self._make(key - self._first)

    def _kept_in_order(self, also: Iterable[int] = ()) -> list[Row]:
        """The kept rows (read by id, so perhaps edited, or created) and the seeded rows
        `also`, in iteration order."""
        seeded = sorted({k for k in also if self._seeded(k)}
                        | {k for k in self._rows if self._seeded(k)})
        created = [k for k in self._rows if not self._in_seed(k)]
        return [self._peek(k) for k in seeded] + [self._rows[k] for k in created]

    def family_candidates(self, root: int) -> list[Row]:
        """Every row that may belong to the family of `root`, in iteration order. An untouched
        seeded row names at most the row just before it as its master, so of those only
        `root` and `root + 1` can be in the family; kept rows are all candidates. The caller
        keeps the ones whose root is `root`."""
        return self._kept_in_order((root, root + 1))

    def changed_candidates(self, since: float) -> list[Row] | None:
        """Every row that may have changed at or after `since`, in iteration order: once
        `since` is past the seeding stamps only kept rows can have (an incremental list after
        1,000 edits built all 100,000 rows per page). None = every row may have."""
        if since <= self.newest_seed_stamp:
            return None
        return self._kept_in_order()

    def __getitem__(self, key: Any) -> Row:
        row = self._rows.get(key)
        if row is None:
            if not self._seeded(key):
                raise KeyError(key)
            row = self._rows[key] = self._make(key - self._first)
        return row

    def __setitem__(self, key: Any, row: Row) -> None:
        self._order = None
        if self._in_seed(key):
            self._gone.discard(key)
        self._rows[key] = row

    def __delitem__(self, key: Any) -> None:
        if key not in self:
            raise KeyError(key)
        self._order = None
        self._rows.pop(key, None)
        if self._in_seed(key):
            self._gone.add(key)

    def __contains__(self, key: Any) -> bool:
        return self._seeded(key) or key in self._rows

    def __len__(self) -> int:
        extra = sum(1 for key in self._rows
                    if not self._in_seed(key))
        return self._count - len(self._gone) + extra

    def __iter__(self):
        for key in range(self._first, self._first + self._count):
            if key not in self._gone:
                yield key
        for key in list(self._rows):
            if not self._in_seed(key):
                yield key

    def values(self):                          # without keeping every row
        return _Values(self)

    def items(self):
        return _Items(self)

    def by_code(self, code: str, slot: int | None) -> Row | None:
        """The first row (in iteration order) with this code, without building every row:
        an untouched seeded row can only be the one whose position the code names."""
        seeded: list[int] = []
        extra: Row | None = None
        for key, row in self._rows.items():
            if row.get("code") == code:
                if self._in_seed(key):
                    seeded.append(key)
                elif extra is None:
                    extra = row
        if slot is not None and self._seeded(self._first + slot) \
                and self._peek(self._first + slot).get("code") == code:
            seeded.append(self._first + slot)
        return self._peek(min(seeded)) if seeded else extra

    def sorted_by_id(self, descending: bool) -> "_RowsById":
        if self._order is None:
            self._order = {}
        if descending not in self._order:
            self._order[descending] = _RowsById(self, sorted(self, reverse=descending))
        return self._order[descending]


def _seeded_slot(code: str) -> int | None:
    """Position of a `_seed_many` row from its code: SP<n>, SP<n>-M (n) or SP<n>-L (n+1)."""
    body, _, size = code.partition("-")
    if not body.startswith("SP") or not body[2:].isdigit() or size not in ("", "M", "L"):
        return None
    return int(body[2:]) + (1 if size == "L" else 0)


class _Values(collections.abc.ValuesView):
    def __iter__(self):
        table = self._mapping
        for key in table:
            yield table._peek(key)


class _Items(collections.abc.ItemsView):
    def __iter__(self):
        table = self._mapping
        for key in table:
            yield key, table._peek(key)


class _RowsById(collections.abc.Sequence):
    """The rows of `_SeededProducts` in id order, built only for the slice a page reads."""

    def __init__(self, table: _SeededProducts, ids: list[int]) -> None:
        self._table, self._ids = table, ids

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._table._peek(key) for key in self._ids[index]]
        return self._table._peek(self._ids[index])
