"""Nhanh Open API v2.0 (DOC /v2; retired after 2026-11-30, NH-12): POST form fields
version/appId/businessId/accessToken plus `data` as a JSON string to /api/<module>/<action>,
page/icpp paging with totalPages, text statuses, "Y-m-d H:i:s" Vietnam-time dates (UNVERIFIED
zone), order windows of at most 10 days, collections as objects keyed by id (an empty one may
arrive as []).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable, Iterator

from contract.records import VIETNAM, InvalidValue, from_vietnam_time, text
from connectors.nhanh.adapter import Cursor, NhanhApi
from connectors.nhanh.adapter import pos_id as _id
from connectors.nhanh.client import dumps

PRODUCT_ICPP = 100
CUSTOMER_ICPP = 50
ORDER_ICPP = 100

# Matched by label with v3's numbers (platforms/nhanh.md §3).
STATUS_CODES: dict[str, int] = {
    "New": 54, "Confirming": 55, "Confirmed": 56, "CustomerConfirming": 57, "Packing": 42,
    "Packed": 40, "ChangeDepot": 73, "Pickup": 43, "Shipping": 59, "Success": 60, "Failed": 61,
    "Canceled": 63, "Aborted": 64, "CarrierCanceled": 58, "SoldOut": 68, "Returning": 71,
    "Returned": 72,
}
STATUS_NAMES = {code: name for name, code in STATUS_CODES.items()}
PRODUCT_STATUS = {"New": 1, "Active": 2, "Inactive": 3, "OutOfStock": 4}


def vn_datetime(value: datetime) -> str:
    return value.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S")


def from_vn(value: Any) -> datetime | None:
    raw = text(value)[:19]
    if not raw or raw.startswith("0000"):
        return None
    try:
        if len(raw) == 19 and raw.isascii() and raw[4] == raw[7] == "-" and raw[10] == " " \
                and raw[13] == raw[16] == ":":
            # The documented shape: fromisoformat reads it the same, and strptime was a tenth
            # of a 100k v2 pull (every product row has a date).
            return from_vietnam_time(datetime.fromisoformat(raw))
        return from_vietnam_time(datetime.strptime(raw, "%Y-%m-%d %H:%M:%S"))
    except ValueError:
        return None


def collection(value: Any) -> list[dict]:
    """v2 lists come as {"<id>": {...}} objects, or [] when empty, or sometimes a list."""
    if isinstance(value, dict):
        return [item for item in value.values() if isinstance(item, dict)]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []



def _product(item: dict) -> dict:
    inventory = item.get("inventory") or {}
    depots = inventory.get("depots") if isinstance(inventory, dict) else None
    rows = depots.items() if isinstance(depots, dict) else ()
    status = item.get("status")
    return {
        "id": _id(item.get("idNhanh") or item.get("id")), "parentId": _id(item.get("parentId")),
        "code": item.get("code"), "barcode": item.get("barcode"), "name": item.get("name"),
        "status": PRODUCT_STATUS.get(str(status), status if isinstance(status, int) else 2),
        "categoryId": _id(item.get("categoryId")),
        "prices": {"retail": item.get("price"), "old": item.get("oldPrice")},
        "images": [item["image"]] if item.get("image") else [],
        "depots": [{"id": _id(depot_id), "available": (row or {}).get("available")}
                   for depot_id, row in rows if isinstance(row, dict)],
        "updatedAt": product_time(item),
        "description": item.get("description"), "attributes": item.get("attributes") or [],
        "unit": item.get("unit"),
    }


def product_time(item: dict):
    """UNVERIFIED: a v2 product's last change. The docs list only `createdDateTime`; the
    live API has been seen with `updatedDateTime`/`updatedAt` too. The latest one present."""
    times = [t for t in (from_vn(item.get(k)) for k in ("updatedDateTime", "updatedAt",
                                                          "createdDateTime")) if t]
    return max(times) if times else None


def new_order_id(data: Any, shop_order_id: str) -> str:
    """UNVERIFIED: the Nhanh id in a v2 order/add answer. The docs show it keyed by our own
    order id (`{"3256": 5174985}`); older clients read `orderId`. Both are accepted."""
    if not isinstance(data, dict):
        return ""
    if data.get(shop_order_id) not in (None, ""):
        return _id(data[shop_order_id])
    return _id(data.get("orderId"))


def city_and_district(address: str) -> tuple[str, str]:
    """UNVERIFIED: v2 order/add marks customerCityName and customerDistrictName required, and
    the App keeps one address line. A Vietnamese address ends "…, <district>, <city>": the
    last two parts are taken. ("", "") when the address has fewer parts."""
    parts = [part.strip() for part in text(address).split(",") if part.strip()]
    if len(parts) < 3:
        return "", ""
    return parts[-1], parts[-2]


def _flatten(tree: Iterable[dict], parent: str = "") -> Iterator[dict]:
    for node in tree:
        if not isinstance(node, dict):
            continue
        yield {"id": _id(node.get("id")), "parentId": _id(node.get("parentId")) or parent,
               "name": node.get("name"), "code": node.get("code"), "order": node.get("order"),
               "status": node.get("status")}
        yield from _flatten(collection(node.get("childs")), _id(node.get("id")))


def _customer(item: dict) -> dict:
    return {"id": _id(item.get("id")), "name": item.get("name"), "mobile": item.get("mobile"),
            "email": item.get("email"), "address": item.get("address"),
            "gender": item.get("gender"), "birthday": item.get("birthday"),
            "updatedAt": from_vn(item.get("updatedAt"))}


def _order(item: dict) -> dict:
    return {
        "id": _id(item.get("id")), "appOrderId": _id(item.get("shopOrderId")),
        "status": STATUS_CODES.get(str(item.get("statusCode")), 54),
        "depotId": _id(item.get("depotId")),
        "createdAt": from_vn(item.get("createdDateTime")),
        "updatedAt": from_vn(item.get("updatedDateTime")),
        "name": item.get("customerName"), "mobile": item.get("customerMobile"),
        "address": item.get("customerAddress"), "description": item.get("description"),
        "customerId": _id(item.get("customerId")),
        "discount": item.get("moneyDiscount") or 0,
        "shipFee": item.get("customerShipFee") or 0,
        "products": [{"id": _id(p.get("productId")), "quantity": p.get("quantity"),
                      "price": p.get("price"), "discount": p.get("discount") or 0,
                      "vat": p.get("vat") or 0, "name": p.get("productName"),
                      "code": p.get("productCode")}
                     for p in collection(item.get("products"))],
    }


class V2Api(NhanhApi):
    version = "2"
    order_window = timedelta(days=10)
    product_batch = 300
    customer_batch = 50

    async def call(self, endpoint: str, body: Any, *, write: bool,
                   idempotent: bool = False) -> dict:
        form = {"version": "2.0", "appId": self.app_id, "businessId": self.business_id,
                "accessToken": self.access_token}
        if body is not None:
            form["data"] = body if isinstance(body, str) else dumps(body)
        return await self.client.post(f"/api/{endpoint}", data=form,
                                      idempotent=not write or idempotent)

    async def _page(self, endpoint: str, key: str, body: dict, cursor: Cursor,
                    icpp: int) -> tuple[list[dict], Cursor]:
        page = int(cursor or 1)
        envelope = await self.call(endpoint, {**body, "page": page, "icpp": icpp},
                                   write=False)
        data = envelope.get("data") or {}
        items = collection(data.get(key)) if isinstance(data, dict) else []
        total_pages = int((data.get("totalPages") if isinstance(data, dict) else 0) or 0)
        more = page < total_pages if total_pages else bool(items) and len(items) >= icpp
        return items, (page + 1 if more else None)

    async def depots(self) -> list[dict]:
        envelope = await self.call("store/depot", None, write=False)
        return [{"id": _id(d.get("id")), "name": d.get("name"), "mobile": d.get("mobile"),
                 "address": d.get("address")} for d in collection(envelope.get("data"))]

    async def categories(self) -> list[dict]:
        envelope = await self.call("product/category", "productcategory", write=False)
        return list(_flatten(collection(envelope.get("data"))))

    async def products_page(self, cursor: Cursor, since: datetime | None
                            ) -> tuple[list[dict], Cursor]:
        body = {"sort": {"id": "asc"}}
        if since:
            body["updatedDateTimeFrom"] = vn_datetime(since)
        items, following = await self._page("product/search", "products", body, cursor,
                                             PRODUCT_ICPP)
        return [_product(item) for item in items], following

    async def product_parent(self, parent_id: str) -> list[dict]:
        # product/detail takes the id as scalar data.
        detail = await self.call("product/detail", str(parent_id), write=False)
        return [_product(item) for item in collection(detail.get("data"))]

    async def product_children(self, parent_id: str) -> list[dict]:
        # UNVERIFIED: the v2 docs list no `parentId` filter on product/search; the old docs
        # had one.
        children: list[dict] = []
        cursor: Cursor = None
        while True:
            items, cursor = await self._page("product/search", "products",
                                             {"parentId": int(parent_id)}, cursor, PRODUCT_ICPP)
            children.extend(_product(item) for item in items)
            if cursor is None:
                return children

    async def products_by_code(self, code: str) -> list[dict]:
        items, _ = await self._page("product/search", "products", {"name": code}, None,
                                    PRODUCT_ICPP)
        return [_product(item) for item in items]

    async def customers_page(self, cursor: Cursor, since: datetime | None
                             ) -> tuple[list[dict], Cursor]:
        body = {"updatedAtFrom": vn_datetime(since)} if since else {}
        items, following = await self._page("customer/search", "customers", body, cursor,
                                            CUSTOMER_ICPP)
        return [_customer(item) for item in items], following

    async def customers_by_mobile(self, mobile: str) -> list[dict]:
        items, _ = await self._page("customer/search", "customers", {"mobile": mobile}, None,
                                    CUSTOMER_ICPP)
        return [_customer(item) for item in items]

    def order_windows(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """v2 filters by whole Vietnam dates: windows start at Vietnam midnight and span at
        most 10 calendar days, fromDate and toDate included."""
        first = start.astimezone(VIETNAM).replace(hour=0, minute=0, second=0, microsecond=0)
        cursor = first
        while cursor < end:
            stop = cursor + self.order_window
            yield max(cursor, start), min(stop, end)
            cursor = stop

    async def orders_page(self, start: datetime, end: datetime, cursor: Cursor
                          ) -> tuple[list[dict], Cursor]:
        last = end - timedelta(seconds=1)
        body = {"fromDate": start.astimezone(VIETNAM).strftime("%Y-%m-%d"),
                "toDate": last.astimezone(VIETNAM).strftime("%Y-%m-%d")}
        items, following = await self._page("order/index", "orders", body, cursor, ORDER_ICPP)
        return [_order(item) for item in items], following

    async def orders_updated_page(self, start: datetime, end: datetime, cursor: Cursor
                                  ) -> tuple[list[dict], Cursor]:
        body = {"updatedDateTimeFrom": vn_datetime(start),
                "updatedDateTimeTo": vn_datetime(end)}
        items, following = await self._page("order/index", "orders", body, cursor, ORDER_ICPP)
        return [_order(item) for item in items], following

    async def orders_by_ids(self, ids: list[str]) -> list[dict]:
        found: list[dict] = []
        for order_id in ids:  # v2 filters one id per request
            items, _ = await self._page("order/index", "orders", {"id": int(order_id)}, None,
                                        ORDER_ICPP)
            found.extend(_order(item) for item in items)
        return found

    async def deleted_order_ids(self, since: datetime, until: datetime) -> list[str] | None:
        return None  # v2 reports deletions by webhook only

    async def token_status(self, secret_key: str) -> dict | None:
        return None  # v2 has no token check; the expiry comes from the login

    async def add_order(self, order: dict) -> str:
        city, district = city_and_district(order.get("address") or "")
        if not city:
            raise InvalidValue("v2 order needs the city and district at the end of the address")
        discount = order.get("discount", 0) + sum(
            (p.get("discount", 0) * p["quantity"] for p in order["products"]), 0)
        body = {
            "id": order["appOrderId"], "type": "Shipping",
            "status": STATUS_NAMES.get(order["status"], "New"),
            "customerName": order["name"], "customerMobile": order["mobile"],
            **({"depotId": int(order["depotId"])} if order.get("depotId") else {}),
            **({"customerAddress": order["address"]} if order.get("address") else {}),
            "customerCityName": city, "customerDistrictName": district,
            # v2's productList documents no line discount: the lines' discounts join the
            # order's, so Nhanh's total is still the App's (issue 23).
            **({"moneyDiscount": discount} if discount else {}),
            # The fee charged to the customer (see mapping.SEND_CUSTOMER_FEE).
            **({"customerShipFee": order["shipFee"]} if order.get("shipFee") else {}),
            **({"description": order["description"]} if order.get("description") else {}),
            "productList": [{"id": p["id"], "idNhanh": int(p["id"]), "quantity": p["quantity"],
                             "name": p.get("name") or p.get("code") or p["id"],
                             "price": p["price"]} for p in order["products"]],
        }
        envelope = await self.call("order/add", body, write=True)
        return new_order_id(envelope.get("data"), text(order["appOrderId"]))

    async def set_order_status(self, order_id: str, status: int) -> None:
        await self.call("order/update", {"orderId": int(order_id),
                                         "status": STATUS_NAMES[status]}, write=True)

    async def add_products(self, batch: list[dict]) -> dict[str, str]:
        body = [{"id": p["appId"], "name": p["name"], "price": p.get("price") or 0,
                 **{k: p[k] for k in ("code", "barcode", "categoryId") if p.get(k)}}
                for p in batch]
        # Documented as add-or-update keyed by our own id: repeating it cannot make a copy.
        envelope = await self.call("product/add", body, write=True, idempotent=True)
        ids = (envelope.get("data") or {}).get("ids") or {}
        return {_id(app_id): _id(nhanh_id) for app_id, nhanh_id in ids.items()}

    async def add_customers(self, batch: list[dict]) -> dict[str, str]:
        body = [{key: c[key] for key in ("name", "mobile", "email", "address") if c.get(key)}
                for c in batch]
        # Documented as an upsert by mobile: repeating it cannot make a copy.
        envelope = await self.call("customer/add", body, write=True, idempotent=True)
        data = envelope.get("data")
        # UNVERIFIED response shape: the docs show none; ids are read back by mobile if absent.
        rows = collection(data.get("customers") if isinstance(data, dict) else data)
        return {_id(row.get("mobile")): _id(row.get("id")) for row in rows}
