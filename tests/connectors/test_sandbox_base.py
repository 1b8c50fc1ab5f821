"""Sandbox plumbing shared by every platform emulator (B-01)."""
from __future__ import annotations

import httpx
import pytest

from connectors.sandbox_base import Fault, SandboxBase, serve


class Echo(SandboxBase):
    def route(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"path": request.url.path})


def test_b01_injected_faults_come_in_order_then_normal_answers():
    sandbox = Echo()
    sandbox.inject(Fault.SERVER_ERROR, Fault.HTML, Fault.MALFORMED)
    with httpx.Client(transport=sandbox.transport(), base_url="http://s") as client:
        assert client.get("/a").status_code == 503
        assert client.get("/a").headers["content-type"] == "text/html"
        with pytest.raises(ValueError):
            client.get("/a").json()
        assert client.get("/a").json() == {"path": "/a"}
    assert sandbox.count("GET", "/a") == 4


def test_b01_timeouts_and_resets_surface_as_httpx_transport_errors():
    sandbox = Echo()
    sandbox.inject(Fault.TIMEOUT, Fault.RESET)
    with httpx.Client(transport=sandbox.transport(), base_url="http://s") as client:
        with pytest.raises(httpx.TimeoutException):
            client.get("/a")
        with pytest.raises(httpx.TransportError):
            client.get("/a")


def test_b01_sandbox_is_served_over_real_http_on_loopback():
    server = serve(Echo(), port=0)
    try:
        port = server.server_address[1]
        response = httpx.post(f"http://127.0.0.1:{port}/v3.0/x?y=1", json={"a": 1})
        assert response.json() == {"path": "/v3.0/x"}
    finally:
        server.shutdown()
