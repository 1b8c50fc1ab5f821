"""What every platform sandbox shares: a request log, fault injection, a clock, and serving.

A sandbox is a stateful emulator of one POS API. Tests use it in-process as an httpx transport
(`sandbox.transport()`); the demo shop, end-to-end tests and benchmarks serve it on 127.0.0.1
(`serve(sandbox, port)`). Platform behaviour lives in each platform's `sandbox.py`.
"""
from __future__ import annotations

import collections
import json
import random
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import httpx
import orjson


def json_response(status: int, body: Any, headers: dict[str, str] | None = None
                  ) -> httpx.Response:
    """A JSON answer as the POS sends it: UTF-8, compact. Encoded with orjson because the
    sandbox stands in for a server, and the json module's encoding of whole pages was a fifth
    of a benchmarked pull: time that belongs to no real shop's sync."""
    return httpx.Response(status, content=orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS),
                          headers={"Content-Type": "application/json", **(headers or {})})


class Fault:
    """Kinds of trouble a sandbox can inject into its next answers."""

    SERVER_ERROR = "5xx"
    TIMEOUT = "timeout"
    RESET = "reset"
    MALFORMED = "malformed"
    HTML = "html"
    THROTTLE = "throttle"
    # Some gateways and proxies answer an error that repeats the request back, credentials
    # included (Authorization header, query string, form body): what a leak test needs.
    ECHO_CREDENTIALS = "echo_credentials"
    # A 200 answer carrying a maintenance web page (a POS under maintenance, a proxy).
    MAINTENANCE_PAGE = "maintenance_page"


@dataclass
class SandboxBase:
    """Subclasses implement `route(request) -> httpx.Response` with the platform's rules."""

    seed: int = 1
    clock: Callable[[], float] = time.time
    rate_limits: bool = True
    latency: float = 0.0          # seconds added to each answer when served over HTTP

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.requests: list[httpx.Request] = []
        self.pending_faults: collections.deque[str] = collections.deque()
        self.fault_rate = 0.0                       # probability of a random fault per request
        self.fault_kinds: tuple[str, ...] = (Fault.SERVER_ERROR,)
        self.lock = threading.RLock()

    # -- fault injection -----------------------------------------------------------------
    def inject(self, *faults: str) -> None:
        """Queue faults for the next requests, in order."""
        self.pending_faults.extend(faults)

    def chaos(self, rate: float, kinds: tuple[str, ...], seed: int | None = None) -> None:
        """Random faults on a fraction of requests (reliability suite)."""
        self.fault_rate, self.fault_kinds = rate, kinds
        if seed is not None:
            self.rng = random.Random(seed)

    def _next_fault(self) -> str | None:
        if self.pending_faults:
            return self.pending_faults.popleft()
        if self.fault_rate and self.rng.random() < self.fault_rate:
            return self.rng.choice(self.fault_kinds)
        return None

    def fault_response(self, fault: str, request: httpx.Request) -> httpx.Response:
        """Default rendering of a fault; platforms override THROTTLE with their own shape."""
        if fault == Fault.TIMEOUT:
            raise httpx.ReadTimeout("sandbox: injected timeout", request=request)
        if fault == Fault.RESET:
            raise httpx.RemoteProtocolError("sandbox: connection reset", request=request)
        if fault == Fault.MALFORMED:
            return httpx.Response(200, content=b'{"truncated": [1, 2',
                                  headers={"content-type": "application/json"})
        if fault == Fault.HTML:
            return httpx.Response(502, content=b"<html><body>502 Bad Gateway</body></html>",
                                  headers={"content-type": "text/html"})
        if fault == Fault.ECHO_CREDENTIALS:
            echo = (f"Bad request {request.method} {request.url}\n"
                    f"Authorization: {request.headers.get('authorization', '')}\n"
                    f"Body: {(request.content or b'').decode('utf-8', 'replace')}")
            return httpx.Response(400, content=echo.encode("utf-8"),
                                  headers={"content-type": "text/plain; charset=utf-8"})
        if fault == Fault.MAINTENANCE_PAGE:
            return httpx.Response(200, content="<!DOCTYPE html><html><head><title>Bảo trì"
                                  "</title></head><body>Hệ thống đang bảo trì, vui lòng thử lại "
                                  "sau.</body></html>".encode("utf-8"),
                                  headers={"content-type": "text/html; charset=utf-8"})
        if fault == Fault.THROTTLE:
            return json_response(429, {"errors": "Too many requests"},
                                  headers={"retry-after": "1"})
        return json_response(503, {"errors": "Service unavailable"})

    # -- dispatch --------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            fault = self._next_fault()
            if fault is not None:
                return self.fault_response(fault, request)
            return self.route(request)

    def route(self, request: httpx.Request) -> httpx.Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def count(self, method: str | None = None, path_contains: str = "") -> int:
        return sum(1 for r in self.requests
                   if (method is None or r.method == method) and path_contains in r.url.path)

    @staticmethod
    def body(request: httpx.Request) -> Any:
        raw = request.content or b""
        return json.loads(raw) if raw else None


def serve(sandbox: SandboxBase, port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Serve a sandbox over real HTTP on loopback; returns the started server (port in
    `server.server_address[1]`). Stop it with `server.shutdown()`."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle on, the body's last segment waits
        # for the client's delayed ACK: 40 ms per request on loopback.
        disable_nagle_algorithm = True

        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            url = f"http://{self.headers.get('host', host)}{self.path}"
            request = httpx.Request(self.command, url, headers=dict(self.headers.items()),
                                    content=body)
            try:
                response = sandbox.handle(request)
                response.read()
            except httpx.TimeoutException:
                time.sleep(2)
                self.close_connection = True
                return
            except httpx.TransportError:
                self.close_connection = True
                return
            if sandbox.latency:
                time.sleep(sandbox.latency)
            payload = response.content
            self.send_response(response.status_code)
            for name, value in response.headers.items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            return None

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="sandbox", daemon=True).start()
    return server
