"""Nhanh's envelope read whatever shape `messages` takes, and what is not an envelope."""
from __future__ import annotations

import httpx
import pytest
import respx

from contract.connector import InvalidData, RateLimited, TransientError
from connectors.http import RetryPolicy
from connectors.nhanh.client import NhanhClient
from connectors.nhanh.errors import UNLOCK_MARGIN_SECONDS, message_text, nhanh_error

from .conftest import FakeClock, run


@pytest.mark.parametrize("body, text", [
    ({"messages": "Sai dữ liệu"}, "Sai dữ liệu"),
    ({"messages": ["a", "b"]}, "a; b"),
    ({"messages": {"name": "bắt buộc", "mobile": ["sai", "trùng"]}},
     "name: bắt buộc; mobile: sai; trùng"),
    ({"message": "Your app exceeded the API Rate Limit"}, "Your app exceeded the API Rate Limit"),
    ({}, ""),
])
def test_messages_may_be_a_string_a_list_or_a_field_map(body, text):
    assert message_text(body) == text


def test_com08_err_429_waits_until_unlocked_at_on_the_wall_clock():
    body = {"code": 0, "errorCode": "ERR_429", "message": "x",
            "data": {"lockedSeconds": 10, "unlockedAt": 1_000_010}}
    error = nhanh_error(body, wall_clock=lambda: 1_000_003.5)
    assert isinstance(error, RateLimited) and error.rule == "COM-08"
    assert error.retry_after == pytest.approx(6.5 + UNLOCK_MARGIN_SECONDS)
    assert "chờ" in error.message_vi


def test_success_envelope_is_no_error_and_unknown_codes_are_refusals():
    assert nhanh_error({"code": 1, "data": []}) is None
    error = nhanh_error({"code": 0, "errorCode": "ERR_SOMETHING_NEW", "messages": "lạ"})
    assert isinstance(error, InvalidData) and "lạ" in error.message_vi


@respx.mock
def test_a_proxy_error_with_a_json_body_is_retried_as_transient_not_refused():
    route = respx.post("https://pos.open.nhanh.vn/v3.0/business/depot").mock(side_effect=[
        httpx.Response(502, json={"message": "Bad Gateway"}),
        httpx.Response(200, json={"code": 1, "data": []}),
    ])
    clock = FakeClock()
    client = NhanhClient(clock=clock, wall_clock=clock, sleep=clock.sleep)
    body = run(client.post("/v3.0/business/depot", json={}, idempotent=True))
    assert body["code"] == 1 and route.call_count == 2


@respx.mock
def test_an_html_answer_is_transient():
    respx.post("https://pos.open.nhanh.vn/v3.0/business/depot").mock(
        return_value=httpx.Response(200, text="<html>bảo trì</html>"))
    clock = FakeClock()
    client = NhanhClient(clock=clock, wall_clock=clock, sleep=clock.sleep,
                         retry=RetryPolicy(attempts=2))
    with pytest.raises(TransientError):
        run(client.post("/v3.0/business/depot", json={}))
