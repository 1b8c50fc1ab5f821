"""Nhanh.vn Open API, v3 (new connections) and v2 (retired after 2026-11-30, NH-12).

platform.py   the two Platform descriptors (fields, options, rules NH-01…NH-13 as data)
connector.py  NhanhConnector: what to ask for, whole products across pages, order push
adapter.py    the operations a version must provide, in one common record shape
v3.py / v2.py everything that differs between the versions (the only place it lives)
client.py     pacing (150 / 30 s per URL), Nhanh's envelope, ERR_429 locks
errors.py     error codes → Vietnamese/English messages that say what to do
mapping.py    common shape ↔ canonical records; App ↔ Nhanh order statuses
login.py      consent URL, loopback catcher or pasted access code, token exchange, expiry
              warnings (NH-13)
sandbox.py    an in-process Nhanh with a sample fashion and cosmetics shop

UNVERIFIED behaviours, each behind one place: whether Nhanh accepts the loopback Redirect URL
(hosts.redirect_url; the paste-back flow is the fallback), "Đã đối soát" → Thành công 60
(mapping.PUSHED_STATUS), the unlock margin (errors.UNLOCK_MARGIN_SECONDS), v2 dates in Vietnam
time (v2.vn_datetime / from_vn), v2's `parentId` filter (V2Api.product_children), how Nhanh
refuses a repeated order id (errors.is_duplicate_order; sandbox.v3_duplicate_order), the key of
v3's order discount (v3.order_discount), VAT rounding (mapping.line_total), attribute shapes
(mapping.attribute_pairs), v2 product times (v2.product_time), v2's order/add answer
(v2.new_order_id) and v2's city/district from the address (v2.city_and_district).

Writes: every call says whether it is a read (`NhanhApi.call(write=...)`); a write whose
answer was lost is never resent blindly (connectors.http.WriteOutcomeUnknown) but looked up
first (COM-02): order/add among the orders updated since the send, order/edit by order id.
"""
