"""NhanhConnector against the sandbox, both API versions: whole products across pages,
resuming, orders, look-ups, batches and Nhanh's refusals."""
from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest

from contract.records import Customer, Entity, Order, OrderLine, OrderStatus, Product, Variant
from contract.connector import InvalidData, PermissionDenied, SettingOff
from connectors.nhanh.sandbox import ALL_PERMISSIONS

from .conftest import NOW, build, collect, run

VERSIONS = pytest.mark.parametrize("version", ["3", "2"])


def records(pages):
    return [r for p in pages for r in p.records]


def new_order(key="APP-1001", sku="SKL-HD", status=OrderStatus.PLACED, **changes):
    order = Order(key=key, status=status, customer_name="Lê Thu Hà",
                  customer_phone="0903123456",
                  shipping_address="15 Nguyễn Trãi, Quận 5, TP. Hồ Chí Minh", branch_key="101",
                  lines=(OrderLine(sku=sku, name="Son kem lì", quantity=Decimal("2"),
                                   price=Decimal("189000")),), created_at=NOW)
    return dataclasses.replace(order, **changes)


@VERSIONS
def test_products_cut_by_page_ends_come_out_whole(version):
    whole, _, _ = build(version, products=20)
    expected = {p.key: p for p in records(run(collect(whole, Entity.PRODUCT)))}
    cut, sandbox, _ = build(version, products=20, page_cap=4)
    got = records(run(collect(cut, Entity.PRODUCT)))
    assert len(got) == len({p.key for p in got}) == 20
    assert {p.key: p for p in got} == expected
    family = expected["3000001"]
    assert family.name == "Áo thun cotton" and len(family.variants) == 9
    assert family.variants[0].options == ("Trắng", "S")
    assert family.option_names == ("Màu", "Size")


@VERSIONS
def test_com09_product_pull_resumes_from_a_page_token_without_losing_a_family(version):
    full, _, _ = build(version, products=12, page_cap=5)
    expected = {p.key for p in records(run(collect(full, Entity.PRODUCT)))}
    connector, _, _ = build(version, products=12, page_cap=5)
    pages = run(collect(connector, Entity.PRODUCT))
    for stop in range(1, len(pages) - 1):
        before = {r.key for p in pages[:stop] for r in p.records}
        again, _, _ = build(version, products=12, page_cap=5)
        after = {r.key for r in records(run(collect(again, Entity.PRODUCT,
                                                    resume=pages[stop - 1].resume)))}
        assert before | after == expected


def test_a_variant_added_later_to_an_old_product_brings_its_whole_family():
    connector, sandbox, clock = build("3")
    since = NOW
    clock.advance(60)
    sandbox._add_product_row("Áo thun cotton - Hồng - XL", 12, "ATC-HONG-XL", 159000, 3000001,
                             int(clock.now))
    got = records(run(collect(connector, Entity.PRODUCT, since)))
    assert [p.key for p in got] == ["3000001"]
    assert len(got[0].variants) == 10 and got[0].variants[-1].sku == "ATC-HONG-XL"


@VERSIONS
def test_customers_branches_categories_pull_in_canonical_shape(version):
    connector, sandbox, _ = build(version)
    customers = records(run(collect(connector, Entity.CUSTOMER)))
    assert len(customers) == 25
    first = customers[0]
    assert first.phone.startswith("0") and len(first.phone) == 10
    assert first.gender in ("male", "female") and first.birthday is not None
    branches = records(run(collect(connector, Entity.BRANCH)))
    assert [b.name for b in branches] == ["Cửa hàng Quận 1", "Kho Tân Bình", "Chi nhánh Cầu Giấy"]
    categories = records(run(collect(connector, Entity.CATEGORY)))
    by_key = {c.key: c for c in categories}
    assert by_key["12"].parent_key == "11" and by_key["11"].parent_key is None


@VERSIONS
def test_incremental_customer_pull_returns_only_changed_ones(version):
    connector, sandbox, clock = build(version)
    since = NOW
    clock.advance(120)
    sandbox.edit_customer(5000003, name="Phạm Ngọc Ánh")
    got = records(run(collect(connector, Entity.CUSTOMER, since)))
    assert [c.key for c in got] == ["5000003"] and got[0].name == "Phạm Ngọc Ánh"


@VERSIONS
def test_nh04_new_order_is_pushed_with_nhanh_ids_resolved_from_the_sku(version):
    connector, sandbox, _ = build(version)
    [outcome] = run(connector.create(Entity.ORDER, [new_order()]))
    assert outcome.error is None
    stored = sandbox.orders[int(outcome.pos_key)]
    assert stored["appOrderId"] == "APP-1001" and stored["status"] == 54
    product_id = stored["products"][0]["productId"]
    assert sandbox.product_rows[product_id]["code"] == "SKL-HD"


def test_nh04_a_line_of_a_product_with_variants_is_sent_as_the_variant_not_the_parent():
    connector, sandbox, _ = build("3")
    order = new_order(lines=(OrderLine(sku="ATC-DEN-M", name="Áo thun", quantity=Decimal(1),
                                       price=Decimal("159000"), product_key="3000001"),))
    [outcome] = run(connector.create(Entity.ORDER, [order]))
    line = sandbox.orders[int(outcome.pos_key)]["products"][0]
    assert sandbox.product_rows[line["productId"]]["code"] == "ATC-DEN-M"


def test_com02_v3_deduplicates_order_add_on_app_order_id():
    connector, sandbox, _ = build("3")
    [first] = run(connector.create(Entity.ORDER, [new_order()]))
    [again] = run(connector.create(Entity.ORDER, [new_order()]))
    assert first.pos_key == again.pos_key
    assert sum(1 for o in sandbox.orders.values() if o["appOrderId"] == "APP-1001") == 1


@VERSIONS
def test_com02_com09_find_locates_an_order_pushed_before_a_crash(version):
    connector, sandbox, clock = build(version)
    [created] = run(connector.create(Entity.ORDER, [new_order()]))
    clock.advance(3600)
    fresh, _, _ = build(version, sandbox=sandbox, clock=clock)   # a new session after a crash
    found = run(fresh.find(Entity.ORDER, new_order()))
    assert found is not None and found.key == created.pos_key
    assert found.number == "APP-1001"
    assert run(fresh.find(Entity.ORDER, new_order(key="APP-404"))) is None


def test_find_order_reads_recent_orders_once_per_session():
    connector, sandbox, clock = build("3")
    for index in range(5):
        run(connector.find(Entity.ORDER, new_order(key=f"APP-{index}")))
    assert sandbox.count("POST", "order/list") == 1


@VERSIONS
def test_com02_a_repeated_app_order_id_refused_by_nhanh_links_the_existing_order(version):
    connector, sandbox, _ = build(version)
    [first] = run(connector.create(Entity.ORDER, [new_order()]))
    [again] = run(connector.create(Entity.ORDER, [new_order()]))
    assert again.error is None and again.pos_key == first.pos_key
    assert sum(1 for o in sandbox.orders.values() if o["appOrderId"] == "APP-1001") == 1
    assert run(connector.find(Entity.ORDER, new_order())).key == first.pos_key


@VERSIONS
def test_nh04_order_without_customer_mobile_fails_with_a_clear_message(version):
    connector, sandbox, _ = build(version)
    [outcome] = run(connector.create(Entity.ORDER, [new_order(customer_phone="")]))
    assert isinstance(outcome.error, InvalidData)
    assert "số điện thoại" in outcome.error.message_vi
    assert len(sandbox.orders) == 4   # nothing created


@VERSIONS
def test_nh04_order_for_a_product_not_on_nhanh_names_it(version):
    connector, _, _ = build(version)
    [outcome] = run(connector.create(Entity.ORDER, [new_order(sku="KHONG-CO")]))
    assert "KHONG-CO" in outcome.error.message_vi


@VERSIONS
def test_nh04_reconciled_marks_success_and_cancel_is_refused_past_confirmation(version):
    connector, sandbox, _ = build(version)
    [one] = run(connector.create(Entity.ORDER, [new_order("A1")]))
    [two] = run(connector.create(Entity.ORDER, [new_order("A2")]))
    run(connector.set_order_status(one.pos_key, OrderStatus.RECONCILED))
    assert sandbox.orders[int(one.pos_key)]["status"] == 60
    sandbox.set_order_status(int(two.pos_key), 59)     # shipping on Nhanh
    with pytest.raises(InvalidData) as caught:
        run(connector.set_order_status(two.pos_key, OrderStatus.CANCELLED))
    assert caught.value.rule == "NH-04"
    assert "trực tiếp trên Nhanh.vn" in caught.value.message_vi


@VERSIONS
def test_nh04_cancel_of_a_new_order_is_pushed(version):
    connector, sandbox, _ = build(version)
    [one] = run(connector.create(Entity.ORDER, [new_order()]))
    run(connector.set_order_status(one.pos_key, OrderStatus.CANCELLED))
    assert sandbox.orders[int(one.pos_key)]["status"] == 63


def test_orders_deleted_on_nhanh_are_listed_on_v3_and_unknown_on_v2():
    connector, sandbox, clock = build("3")
    since = NOW
    clock.advance(60)
    sandbox.delete_order(9000001)
    assert run(connector.deleted_order_keys(since)) == ("9000001",)
    connector2, _, _ = build("2")
    assert run(connector2.deleted_order_keys(since)) is None


@VERSIONS
def test_list_keys_scans_ids_for_deletion_detection(version):
    connector, sandbox, _ = build(version)
    sandbox.delete_product(3000001)
    keys = run(connector.list_keys(Entity.PRODUCT))
    assert "3000001" not in keys and len(keys) == 9
    assert len(run(connector.list_keys(Entity.CUSTOMER))) == 25
    assert run(connector.list_keys(Entity.ORDER)) is None


@VERSIONS
def test_com02_find_product_by_sku_then_barcode_and_customer_by_phone(version):
    connector, sandbox, _ = build(version)
    wanted = Product(key="app-9", name="x", variants=(Variant(key="v", sku="ATC-DEN-M"),))
    found = run(connector.find(Entity.PRODUCT, wanted))
    assert found.key == "3000001" and len(found.variants) == 9
    barcode = sandbox.product_rows[3000031]["barcode"]
    by_barcode = run(connector.find(Entity.PRODUCT, Product(
        key="app-8", name="x", variants=(Variant(key="v", barcode=barcode),))))
    assert by_barcode is not None and by_barcode.variants[0].barcode == barcode
    phone = sandbox.customer_rows[5000002]["mobile"]
    assert run(connector.find(Entity.CUSTOMER, Customer(key="c", name="x", phone=phone))).key \
        == "5000002"


@pytest.mark.parametrize("version, per_request", [("3", 100), ("2", 300)])
def test_product_add_uses_the_largest_batches_the_version_allows(version, per_request):
    connector, sandbox, _ = build(version)
    items = [Product(key=f"app-{i}", name=f"Khăn lụa {i}",
                     variants=(Variant(key="v", sku=f"KL-{i}", price=Decimal("120000")),))
             for i in range(350)]
    outcomes = run(connector.create(Entity.PRODUCT, items))
    assert all(o.pos_key and o.error is None for o in outcomes)
    path = "product/add"
    assert sandbox.count("POST", path) == -(-350 // per_request)


@pytest.mark.parametrize("version, per_request", [("3", 100), ("2", 50)])
def test_customer_add_uses_the_largest_batches_the_version_allows(version, per_request):
    connector, sandbox, _ = build(version)
    items = [Customer(key=f"app-{i}", name=f"Khách {i}", phone=f"0911{i:06d}")
             for i in range(120)]
    outcomes = run(connector.create(Entity.CUSTOMER, items))
    assert all(o.pos_key for o in outcomes)
    assert sandbox.count("POST", "customer/add") == -(-120 // per_request)


@VERSIONS
def test_nh01_business_without_open_api_gets_the_setting_to_switch_on(version):
    connector, sandbox, _ = build(version)
    sandbox.api_enabled = False
    with pytest.raises(SettingOff) as caught:
        run(connector.test_connection())
    assert "Cài đặt Open API" in caught.value.message_vi
    assert "Cho phép kết nối Open API" in caught.value.message_en


def test_nh13_permission_not_granted_at_consent_says_log_in_again_granting_it():
    connector, sandbox, clock = build("3")
    info = sandbox.tokens["sbxV3Token73021168888"]
    info["permissions"] = tuple(p for p in ALL_PERMISSIONS if p != "order")
    with pytest.raises(PermissionDenied) as caught:
        run(connector.find(Entity.ORDER, new_order()))
    assert "đăng nhập lại" in caught.value.message_vi.lower()


def test_nh13_depot_not_granted_at_consent_is_reported_on_the_order():
    connector, sandbox, _ = build("3")
    sandbox.tokens["sbxV3Token73021168888"]["depotIds"] = (102,)
    [outcome] = run(connector.create(Entity.ORDER, [new_order()]))
    assert isinstance(outcome.error, PermissionDenied)
    assert "Kho" in outcome.error.message_vi


def test_nh12_a_v2_token_on_v3_is_explained():
    from contract.connector import AuthError
    connector, sandbox, _ = build("3", secrets={"access_token": "sbxV2Token73021168888"})
    sandbox.issue_token(version="2", token="sbxV2Token73021168888")
    with pytest.raises(AuthError) as caught:
        run(collect(connector, Entity.BRANCH))
    assert caught.value.rule == "NH-12"


def test_nh13_connection_test_lists_branches_and_warns_before_token_expiry():
    connector, sandbox, _ = build("3")
    sandbox.tokens["sbxV3Token73021168888"]["expiredAt"] = int(NOW.timestamp()) + 5 * 86400
    info = run(connector.test_connection())
    assert len(info.branches) == 3
    assert any("5 ngày" in w for w in info.warnings_vi)


def test_nh13_v2_connection_test_warns_from_the_expiry_the_login_saved():
    expires = (NOW + timedelta(days=5)).isoformat()
    connector, _, _ = build("2", fields={"token_expires_at": expires})
    info = run(connector.test_connection())
    assert len(info.branches) == 3
    assert any("5 ngày" in w for w in info.warnings_vi)
    assert info.token_expires_at is not None


@VERSIONS
def test_an_edited_parent_in_an_incremental_pull_keeps_its_variants(version):
    connector, sandbox, clock = build(version)
    since = NOW
    clock.advance(60)
    sandbox.edit_product(3000001, name="Áo thun cotton 100%")
    [product] = records(run(collect(connector, Entity.PRODUCT, since)))
    assert product.name == "Áo thun cotton 100%" and len(product.variants) == 9


def test_nh13_v3_connection_test_reads_the_token_expiry_and_permissions_from_nhanh():
    connector, sandbox, _ = build("3")
    info = run(connector.test_connection())
    expected = sandbox.tokens["sbxV3Token73021168888"]["expiredAt"]
    assert info.token_expires_at.timestamp() == expected
    assert "order" in info.permissions
    request = next(r for r in sandbox.requests if r.url.path.endswith("checkaccesstoken"))
    assert sandbox.body(request) == {"secretKey": "sbxNhanhSecretKey73021xYz"}


def test_nh01_a_valid_v3_token_with_a_wrong_secret_key_is_not_connected():
    from contract.connector import AuthError
    connector, sandbox, _ = build("3", secrets={"secret_key": "wrongSecretKey000000"})
    with pytest.raises(AuthError) as caught:
        run(connector.test_connection())
    assert caught.value.rule == "NH-01"
    assert "Secret key không đúng" in caught.value.message_vi
    assert "open.nhanh.vn/apps" in caught.value.message_en
    assert "wrongSecretKey000000" not in caught.value.message_en + caught.value.message_vi


def test_nh01_an_unknown_refusal_of_the_check_is_shown_not_swallowed():
    from contract.connector import AuthError
    connector, sandbox, _ = build("3")

    def refuse(body, info):
        from connectors.nhanh.sandbox import NhanhRefusal
        raise NhanhRefusal("ERR_SOMETHING_NEW", "Ứng dụng đang bị khoá")
    sandbox._v3_check_token = refuse
    with pytest.raises(AuthError) as caught:
        run(connector.test_connection())
    assert "ERR_SOMETHING_NEW" in caught.value.message_en
    assert "Ứng dụng đang bị khoá" in caught.value.message_vi


def test_nh01_an_unrecognised_successful_check_answer_is_shown_as_a_warning():
    connector, sandbox, _ = build("3")
    sandbox._v3_check_token = lambda body, info: sandbox._ok({"valid": True})
    info = run(connector.test_connection())
    assert any('"valid": true' in w for w in info.warnings_en)
    assert any("chưa xác nhận được hạn dùng" in w for w in info.warnings_vi)


def test_nh01_v2_says_what_could_not_be_verified():
    connector, sandbox, _ = build("2")
    info = run(connector.test_connection())
    assert any("Secret key" in w for w in info.warnings_vi)
    assert any("secret key" in w and "only confirmed" in w for w in info.warnings_en)
    assert sandbox.count("POST", "checkaccesstoken") == 0
