"""The one httpx layer every connector uses: pacing, retries, timeouts, redaction.

Pacing is done *before* a request is sent, from the platform's own rules, so a normal run
never meets a 429; when one still comes, the wait the platform asks for is honoured exactly
and no call is made during it (a call during a Nhanh lock extends the lock, COM-08).
"""
from __future__ import annotations

import asyncio
import collections
import contextvars
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterable, Mapping, Protocol

import httpx
import orjson

from contract.connector import (AuthError, InvalidData, NotFound, PermissionDenied, PosError,
                             RateLimited, TransientError)

log = logging.getLogger("shopsync.http")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


# --------------------------------------------------------------------------------------------
# Redaction
# --------------------------------------------------------------------------------------------

class Redactor:
    """Replaces every known secret (and its common encodings) with '***'."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if not secret or len(secret) < 4:
            return
        import base64
        from urllib.parse import quote
        self._secrets.add(secret)
        self._secrets.add(quote(secret, safe=""))
        self._secrets.add(base64.b64encode(secret.encode()).decode().rstrip("="))

    def __call__(self, value: object) -> str:
        result = str(value)
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in result:
                result = result.replace(secret, "***")
        return result


# --------------------------------------------------------------------------------------------
# Rate limiters
# --------------------------------------------------------------------------------------------

# Who hears about a wait of this run (the engine's event stream sets it; None = nobody). A
# context variable, so two runs in two threads each hear only their own waits.
WAIT_LISTENER: contextvars.ContextVar[Callable[..., None] | None] = contextvars.ContextVar(
    "shopsync_wait_listener", default=None)


def announce_wait(reason: str, seconds: float, attempt: int = 0) -> None:
    """Tell the listener a pause starts: reason "rate_limit" (the POS's limit or the pause it
    asked for) or "retry" (a failed request tried again after `seconds`)."""
    listener = WAIT_LISTENER.get()
    if listener is not None and seconds > 0:
        try:
            listener(reason, seconds, attempt)
        except Exception:  # noqa: BLE001 - telling the window must never stop a request
            log.debug("wait listener failed", exc_info=True)


class RateLimiter(Protocol):
    async def acquire(self, key: str) -> None:
        """Wait until one more request under `key` is allowed, then count it."""

    def observe(self, key: str, response: httpx.Response) -> None:
        """Learn from the platform's own signal (call-limit header, …)."""

    def lock(self, key: str, seconds: float) -> None:
        """The platform said: no request under `key` for `seconds`."""


class _Locks:
    """Shared 'locked until' bookkeeping: waits out a platform-imposed pause."""

    def __init__(self, clock: Clock, sleep: Sleep) -> None:
        self.clock, self.sleep = clock, sleep
        self.until: dict[str, float] = {}

    def lock(self, key: str, seconds: float) -> None:
        self.until[key] = max(self.until.get(key, 0.0), self.clock() + max(0.0, seconds))

    async def wait(self, key: str) -> None:
        while (remaining := self.until.get(key, 0.0) - self.clock()) > 0:
            announce_wait("rate_limit", remaining)
            await self.sleep(remaining)


class NoLimit:
    """No pacing of its own, but a pause the platform asks for (429 Retry-After) is still
    waited out before the next request (COM-08)."""

    def __init__(self, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self._locks = _Locks(clock, sleep)

    async def acquire(self, key: str) -> None:
        await self._locks.wait("*")

    def observe(self, key: str, response: httpx.Response) -> None:
        return None

    def lock(self, key: str, seconds: float) -> None:
        self._locks.lock("*", seconds)


class LeakyBucket:
    """A bucket of `capacity` calls draining `leak_per_second` (Sapo: 40, 2/s).

    The bucket's level follows the server's own count when a response carries it, so several
    clients of one shop (the App's web admin too) are accounted for.
    """

    def __init__(self, capacity: int, leak_per_second: float, *, header: str = "",
                 clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep,
                 headroom: int = 0) -> None:
        self.capacity, self.leak = capacity, leak_per_second
        self.header = header.lower()
        self.headroom = headroom
        self.clock, self.sleep = clock, sleep
        self.level = 0.0
        self.stamp = clock()
        self._locks = _Locks(clock, sleep)
        self._mutex = asyncio.Lock()

    def _drain(self) -> None:
        now = self.clock()
        self.level = max(0.0, self.level - (now - self.stamp) * self.leak)
        self.stamp = now

    async def acquire(self, key: str) -> None:
        async with self._mutex:
            await self._locks.wait("*")
            self._drain()
            limit = self.capacity - self.headroom
            if self.level + 1 > limit:
                announce_wait("rate_limit", (self.level + 1 - limit) / self.leak)
                await self.sleep((self.level + 1 - limit) / self.leak)
                self._drain()
            self.level += 1

    def observe(self, key: str, response: httpx.Response) -> None:
        value = response.headers.get(self.header) if self.header else None
        if not value or "/" not in value:
            return
        used, _, cap = value.partition("/")
        try:
            used_f, cap_i = float(used), int(cap)
        except ValueError:
            return
        self._drain()
        self.capacity = cap_i or self.capacity
        # Trust the larger of the two views: the server may count callers we do not see,
        # and our own count already includes requests whose answers are still in flight.
        self.level = max(self.level, used_f)

    def lock(self, key: str, seconds: float) -> None:
        self._locks.lock("*", seconds)


class SlidingWindow:
    """At most `limit` requests per `window` seconds for each key (Nhanh: 150 / 30 s per URL;
    KiotViet: 5,000 GET / hour). Keys are independent; a platform lock stops one key."""

    def __init__(self, limit: int, window: float, *, clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.limit, self.window = limit, window
        self.clock, self.sleep = clock, sleep
        self.sent: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._locks = _Locks(clock, sleep)
        self._mutexes: dict[str, asyncio.Lock] = collections.defaultdict(asyncio.Lock)

    async def acquire(self, key: str) -> None:
        async with self._mutexes[key]:
            while True:
                await self._locks.wait(key)
                stamps = self.sent[key]
                now = self.clock()
                while stamps and stamps[0] <= now - self.window:
                    stamps.popleft()
                if len(stamps) < self.limit:
                    stamps.append(now)
                    return
                announce_wait("rate_limit", stamps[0] + self.window - now)
                await self.sleep(stamps[0] + self.window - now)

    def observe(self, key: str, response: httpx.Response) -> None:
        return None

    def lock(self, key: str, seconds: float) -> None:
        self._locks.lock(key, seconds)

    def requests_in_window(self, key: str) -> int:
        now = self.clock()
        return sum(1 for stamp in self.sent[key] if stamp > now - self.window)


# --------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------

Classifier = Callable[[httpx.Response], "PosError | None"]


def default_classifier(response: httpx.Response) -> PosError | None:
    """Generic HTTP status → error; platforms put their own classifier in front of it."""
    status = response.status_code
    if status < 300:
        return None
    if 300 <= status < 400:
        target = response.headers.get("location", "")
        return NotFound("Máy chủ POS chuyển hướng sang địa chỉ khác. Hãy kiểm tra lại địa chỉ "
                        "cửa hàng.",
                        "The POS redirected to another address. Check the shop address.",
                        detail=f"redirect to {target}", status=status)
    if status == 401:
        return AuthError("Khoá API hoặc mật khẩu không đúng. Hãy kiểm tra và nhập lại.",
                         "The API key or secret is wrong. Check it and enter it again.",
                         status=status)
    if status == 403:
        return PermissionDenied("Khoá API chưa được cấp quyền cho thao tác này. Hãy cấp thêm "
                                "quyền trên POS rồi thử lại.",
                                "The API key lacks permission for this. Grant it on the POS "
                                "and try again.", status=status)
    if status == 404:
        return NotFound("Không tìm thấy trên POS.", "Not found on the POS.", status=status)
    if status == 429:
        return RateLimited("POS đang giới hạn tốc độ; ShopSync sẽ tự chờ rồi gửi lại.",
                           "The POS is throttling; ShopSync waits and retries.",
                           retry_after=_retry_after(response), status=status)
    if status >= 500:
        return TransientError("Máy chủ POS đang lỗi tạm thời; ShopSync sẽ thử lại.",
                              "The POS server had a temporary error; ShopSync will retry.",
                              status=status)
    return InvalidData("POS từ chối dữ liệu gửi lên.", "The POS refused the data.",
                       detail=response.text[:500], status=status)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


@dataclass
class RetryPolicy:
    attempts: int = 6                # total tries for transient errors
    throttle_attempts: int = 30      # a 429 storm is waited out, not failed quickly
    base_delay: float = 0.5
    max_delay: float = 30.0
    default_throttle_wait: float = 2.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        delay = min(self.max_delay, self.base_delay * 2 ** attempt)
        return delay * (0.5 + rng.random() / 2)


@dataclass
class PosHttp:
    """An httpx.AsyncClient with the platform's pacing and error mapping wrapped around it."""

    base_url: str
    limiter: RateLimiter = field(default_factory=NoLimit)
    limiter_key: Callable[[str, str], str] = lambda method, path: "*"
    classify: Classifier | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: httpx.Auth | tuple[str, str] | None = None
    transport: httpx.AsyncBaseTransport | None = None
    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    redact: Redactor = field(default_factory=Redactor)
    sleep: Sleep = asyncio.sleep
    seed: int | None = None
    # Called before each attempt; lets a connector refresh a token (KiotViet) or add headers.
    before_send: Callable[[httpx.Request], Awaitable[None]] | None = None

    def __post_init__(self) -> None:
        self.request_count = 0
        self.throttled_count = 0
        self._rng = random.Random(self.seed)
        self._client = httpx.AsyncClient(
            base_url=self.base_url, headers=dict(self.headers), auth=self.auth,
            transport=self.transport, timeout=httpx.Timeout(self.timeout, connect=10.0),
            follow_redirects=False)

    async def request(self, method: str, path: str, *, params: Any = None, json: Any = None,
                      data: Any = None, files: Any = None, headers: Mapping[str, str] | None = None,
                      limiter_key: str | None = None, expect_json: bool = False) -> httpx.Response:
        """Send with pacing and retries; return a 2xx response or raise a PosError.

        With `expect_json`, a 2xx body that is not JSON (HTML error page, cut-off body) is a
        transient error and retried like a 5xx."""
        key = limiter_key or self.limiter_key(method, path)
        transient_tries = throttle_tries = 0
        while True:
            await self.limiter.acquire(key)
            request = self._client.build_request(method, path, params=params, json=json,
                                                 data=data, files=files, headers=headers)
            if self.before_send is not None:
                await self.before_send(request)
            self.request_count += 1
            try:
                response = await self._client.send(request)
                # httpx leaves a read response and its stream pointing at each other, so
                # only the cyclic collector would free it, body and parsed page included:
                # a 100k pull kept hundreds of MB of pages waiting for collector passes.
                # The body is read already; a plain stream over it ends the cycle.
                response.stream = httpx.ByteStream(response.content)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                error: PosError = TransientError(
                    "Không kết nối được tới POS (mạng chậm hoặc mất kết nối). ShopSync sẽ thử lại; "
                    "nếu vẫn lỗi, hãy kiểm tra Internet.",
                    "Could not reach the POS (slow or lost network). ShopSync retries; if it "
                    "keeps failing, check the Internet connection.",
                    detail=self.redact(f"{type(exc).__name__}: {exc}"))
                response = None
            else:
                self.limiter.observe(key, response)
                error = None
                if self.classify is not None:
                    error = self.classify(response)
                if error is None:
                    error = default_classifier(response)
                if error is None and expect_json:
                    try:
                        body_json(response)
                    except ValueError:
                        try:
                            parse_json(response)
                        except TransientError as bad_body:
                            error = bad_body
                if error is None:
                    return response
                error.detail = self.redact(error.detail or response.text[:300])
            if isinstance(error, RateLimited):
                self.throttled_count += 1
                throttle_tries += 1
                wait = error.retry_after
                if wait is None:
                    wait = self.retry.default_throttle_wait * min(throttle_tries, 5)
                self.limiter.lock(key, wait)
                log.info("throttled on %s %s; waiting %.1fs", method, self.redact(path), wait)
                if throttle_tries >= self.retry.throttle_attempts:
                    raise error
                continue
            if error.retryable:
                transient_tries += 1
                if transient_tries >= self.retry.attempts:
                    raise error
                delay = self.retry.backoff(transient_tries - 1, self._rng)
                log.info("transient error on %s %s (%s); retry in %.1fs", method,
                         self.redact(path), error.detail, delay)
                announce_wait("retry", delay, transient_tries)
                await self.sleep(delay)
                continue
            raise error

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send and return the parsed JSON body (retrying bodies that are not JSON)."""
        response = await self.request(method, path, expect_json=True, **kwargs)
        return body_json(response)

    async def aclose(self) -> None:
        await self._client.aclose()


_PARSED_BODY = "shopsync.parsed_json"


def body_json(response: httpx.Response) -> Any:
    """The response's JSON body, parsed once and kept on the response: the platform's error
    check, the JSON check and the caller all read it, and parsing a full page three times was
    a fifth of a 100,000-product Nhanh pull. Raises ValueError when the body is not JSON."""
    parsed = response.extensions.get(_PARSED_BODY, _PARSED_BODY)
    if parsed is _PARSED_BODY:
        try:
            # orjson: 3-4x faster on full pages; UTF-8 only, like every POS here.
            parsed = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            # Another charset, NaN, a number past 64 bits: the json module reads those (or
            # raises the ValueError callers expect).
            parsed = response.json()
        response.extensions[_PARSED_BODY] = parsed
    return parsed


def parse_json(response: httpx.Response) -> Any:
    """JSON body or a clear error when a POS answers HTML (login page, proxy error)."""
    content_type = response.headers.get("content-type", "")
    try:
        return body_json(response)
    except ValueError:
        pass
    hint = "HTML" if "html" in content_type or response.text.lstrip().startswith("<") else "?"
    raise TransientError(
        "POS trả về dữ liệu không đọc được (không phải JSON). ShopSync sẽ thử lại; nếu vẫn lỗi, "
        "hãy kiểm tra địa chỉ cửa hàng.",
        "The POS answered something that is not JSON. ShopSync retries; if it persists, check "
        "the shop address.", detail=f"{hint} body, status {response.status_code}")
