"""The sandbox keeps the Nhanh rules the connector tests rely on."""
from __future__ import annotations

import json

import httpx

from connectors.nhanh.sandbox import SANDBOX_APP_ID, nhanh_sandbox, sandbox_token

from .conftest import FakeClock

V3 = "https://pos.open.nhanh.vn/v3.0"
IDS = {"appId": SANDBOX_APP_ID, "businessId": "168888"}


def v3(sandbox, path, body, token=None):
    with httpx.Client(transport=sandbox.transport()) as client:
        return client.post(f"{V3}/{path}", params=IDS, json=body,
                           headers={"Authorization": token or sandbox_token("3")}).json()


def v2(sandbox, path, data):
    with httpx.Client(transport=sandbox.transport()) as client:
        return client.post(f"https://pos.open.nhanh.vn/api/{path}", data={
            "version": "2.0", "appId": SANDBOX_APP_ID, "businessId": "168888",
            "accessToken": sandbox_token("2"), "data": json.dumps(data)}).json()


def test_sandbox_refuses_order_windows_longer_than_31_days_on_v3():
    clock = FakeClock()
    sandbox = nhanh_sandbox(clock=clock)
    now = int(clock.now)
    wide = v3(sandbox, "order/list", {"filters": {"createdAtFrom": now - 32 * 86400,
                                                  "createdAtTo": now}})
    assert wide["code"] == 0 and wide["errorCode"] == "ERR_INVALID_FORM_FIELDS"
    ok = v3(sandbox, "order/list", {"filters": {"createdAtFrom": now - 31 * 86400,
                                                "createdAtTo": now}})
    assert ok["code"] == 1 and len(ok["data"]) == 4


def test_sandbox_refuses_order_windows_longer_than_10_days_on_v2():
    sandbox = nhanh_sandbox(version="2", clock=FakeClock())
    wide = v2(sandbox, "order/index", {"fromDate": "2026-11-13", "toDate": "2026-11-23"})
    assert wide["code"] == 0
    ok = v2(sandbox, "order/index", {"fromDate": "2026-11-14", "toDate": "2026-11-23"})
    assert ok["code"] == 1 and isinstance(ok["data"]["orders"], dict)


def test_sandbox_wants_the_cursor_echoed_as_the_object_it_sent():
    sandbox = nhanh_sandbox(clock=FakeClock(), page_cap=3)
    first = v3(sandbox, "product/list", {"paginator": {"size": 100}})
    assert first["paginator"]["next"] == {"id": first["data"][-1]["id"]}
    bad = v3(sandbox, "product/list", {"paginator": {"size": 100,
                                                     "next": first["data"][-1]["id"]}})
    assert bad["code"] == 0


def test_sandbox_rejects_bearer_tokens_and_answers_errors_with_http_200():
    sandbox = nhanh_sandbox(clock=FakeClock())
    with httpx.Client(transport=sandbox.transport()) as client:
        answer = client.post(f"{V3}/business/depot", params=IDS, json={},
                             headers={"Authorization": f"Bearer {sandbox_token('3')}"})
    assert answer.status_code == 200
    assert answer.json()["errorCode"] == "ERR_INVALID_ACCESS_TOKEN"


def test_sandbox_cancels_only_new_confirming_or_confirmed_orders():
    sandbox = nhanh_sandbox(clock=FakeClock())
    shipping = next(o for o in sandbox.orders.values() if o["status"] == 59)
    new = next(o for o in sandbox.orders.values() if o["status"] == 54)
    refused = v3(sandbox, "order/edit", {"info": {"id": shipping["id"], "status": 63}})
    assert refused["code"] == 0 and shipping["status"] == 59
    assert v3(sandbox, "order/edit", {"info": {"id": new["id"], "status": 63}})["code"] == 1


def test_sandbox_shop_is_vietnamese_and_scales():
    sandbox = nhanh_sandbox(clock=FakeClock(), products=250)
    top = [p for p in sandbox.product_rows.values() if p["parentId"] <= 0]
    assert len(top) == 250
    assert any(p["name"] == "Áo thun cotton" for p in top)
    assert all(c["mobile"].startswith("0") and len(c["mobile"]) == 10
               for c in sandbox.customer_rows.values())


def test_family_reads_by_parent_id_see_every_child_and_new_ones_on_v3_and_v2():
    """A `parentId` read walks that parent's children only (an index rebuilt after a create):
    the rows must be the ones a scan of every row finds, on both API versions."""
    for version in ("3", "2"):
        sandbox = nhanh_sandbox(version=version, clock=FakeClock(), products=40)
        rows = sandbox.product_rows
        parent = next(r["id"] for r in rows.values()
                      if any(c["parentId"] == r["id"] for c in rows.values()))
        child = next(r for r in rows.values() if r["parentId"] == parent)
        sandbox._add_product_row(child["name"] + " XL", child["categoryId"], "NEW-XL", 50000,
                                 parent, int(sandbox.clock()))

        def read() -> list[int]:
            if version == "3":
                return [p["id"] for p in v3(sandbox, "product/list",
                                            {"filters": {"parentId": parent},
                                             "paginator": {"size": 100}})["data"]]
            found = v2(sandbox, "product/search", {"parentId": parent})["data"]["products"]
            return sorted(int(p["idNhanh"]) for p in found.values())

        expected = sorted(r["id"] for r in rows.values() if r["parentId"] == parent)
        assert read() == expected and len(expected) >= 2, version
