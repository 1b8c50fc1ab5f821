"""The one httpx layer every connector uses: pacing, retries, timeouts, redaction.

Pacing is done *before* a request is sent, from the platform's own rules, so a normal run
never meets a 429; when one still comes, the wait the platform asks for is honoured exactly
and no call is made during it (a call during a Nhanh lock extends the lock, COM-08).
"""
from __future__ import annotations

import asyncio
import collections
import contextvars
import json
import logging
import math
import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
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
    """Replaces every known secret, in every form it can take in text, with '***' (COM-07).

    A secret reaches text in more shapes than its raw value: URL-encoded in a query or a form
    body, Base64 inside `Authorization: Basic base64(key:secret)` (with any key in front, so
    the secret sits at any offset of the Base64 text), JSON- or Python-escaped when it holds
    `"` or `\\` (once, or twice when JSON is nested in JSON), HTML-escaped in a proxy's error
    page. Each form is masked. Thread-safe: the window's thread and a sync worker share it.
    """

    MASK = "***"
    MIN_LENGTH = 4            # shorter values are not secrets worth masking (and mask too much)

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._forms: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        # Result rows repeat a handful of messages 100,000 times in a big pull: remember
        # the last answers (cleared whenever a secret is added).
        self._memo: dict[str, str] = {}
        self._guard = threading.Lock()
        for secret in secrets:
            self.add(secret)

    @staticmethod
    def forms(secret: str) -> set[str]:
        """Every text form of `secret` that is long enough to mask safely."""
        import base64
        import html
        from urllib.parse import quote, quote_plus
        found = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret),
                 html.escape(secret), html.escape(secret, quote=False)}
        for escaped in (json.dumps(secret, ensure_ascii=False)[1:-1],
                        json.dumps(secret)[1:-1], repr(secret)[1:-1]):
            found.add(escaped)
            found.add(json.dumps(escaped, ensure_ascii=False)[1:-1])   # JSON inside JSON
        raw = secret.encode("utf-8")
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            whole = encode(raw).decode("ascii")       # the value itself, Basic `key:secret`
            found.update((whole, whole.rstrip("=")))
        for offset in range(3):
            # The characters of base64(prefix + secret) that depend on the secret's bytes
            # alone: the same whatever precedes it ("key:" in Basic auth) or follows it.
            start = -(-8 * offset // 6)
            end = 8 * (offset + len(raw)) // 6
            for encode in (base64.b64encode, base64.urlsafe_b64encode):
                found.add(encode(b"\0" * offset + raw).decode("ascii")[start:end])
        return {form for form in found if len(form) >= Redactor.MIN_LENGTH}

    def add(self, secret: str | None) -> None:
        if not secret or len(secret) < self.MIN_LENGTH:
            return
        with self._guard:
            if secret in self._secrets:
                return
            self._secrets.add(secret)
            self._forms |= self.forms(secret)
            self._pattern = None
            self._memo = {}
        if _shared is not None and _shared is not self:
            _shared.add(secret)

    def add_pair(self, user: str | None, secret: str | None) -> None:
        """`user:secret` as HTTP Basic sends it, masked whole (the user part too)."""
        if user and secret:
            self.add(secret)
            self.add(f"{user}:{secret}")

    def clear(self) -> None:
        """Forget every secret (a test starting as a fresh process)."""
        with self._guard:
            self._secrets, self._forms, self._pattern, self._memo = set(), set(), None, {}

    def knows(self, secret: str) -> bool:
        with self._guard:
            return secret in self._secrets

    def __call__(self, value: object) -> str:
        result = str(value)
        memo = self._memo
        known = memo.get(result)
        if known is not None:
            return known
        pattern = self._pattern
        if pattern is None:
            with self._guard:
                if not self._forms:
                    return result
                ordered = sorted(self._forms, key=len, reverse=True)
                pattern = self._pattern = re.compile("|".join(map(re.escape, ordered)))
                memo = self._memo
        masked = pattern.sub(self.MASK, result)
        if len(result) <= 2000:
            if len(memo) >= 512:
                memo.clear()
            memo[result] = masked
        return masked


# The process's one redactor (app/redaction.py installs it): every secret any Redactor learns,
# e.g. a KiotViet access token fetched mid-run, is also masked at the app's boundaries.
_shared: Redactor | None = None


def share_secrets_with(redactor: Redactor | None) -> None:
    global _shared
    _shared = redactor


# --------------------------------------------------------------------------------------------
# Rate limiters
# --------------------------------------------------------------------------------------------

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
            # Told once, where the POS asked for the pause (the 429 path), not again here.
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
                announce_wait((self.level + 1 - limit) / self.leak, "pacing")
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
                delay = stamps[0] + self.window - now
                announce_wait(delay, "pacing")
                await self.sleep(delay)

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


def _retry_after(response: httpx.Response, wall: Clock = time.time) -> float | None:
    """Seconds the POS asks us to wait, from Retry-After (seconds or an HTTP date).

    None when there is no usable value: absent, negative, zero, not a number, NaN. Such a
    value gets the normal growing back-off instead; honouring "0" or "-5" literally sent 30
    requests in 1.3 s (a burst that only lengthens a platform's lock, COM-08)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime
        try:
            seconds = parsedate_to_datetime(value).timestamp() - wall()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if not math.isfinite(seconds) or seconds <= 0:
        return None
    return seconds


# A 2xx HTML page with these words is a maintenance or proxy page, not the POS's answer.
# UNVERIFIED which words each POS's maintenance page uses; a heuristic kept in one place.
MAINTENANCE_WORDS = ("maintenance", "bảo trì", "bao tri", "nâng cấp hệ thống",
                     "temporarily unavailable", "service unavailable", "bad gateway",
                     "gateway", "proxy", "try again later", "thử lại sau", "cloudflare")


def _is_html(response: httpx.Response) -> bool:
    content_type = response.headers.get("content-type", "").lower()
    head = response.content[:512].lstrip().lower()
    return "html" in content_type or head.startswith((b"<!doctype", b"<html"))


def web_page_instead_of_data(status: int | None = None) -> TransientError:
    """The POS (or something between us and it) answered a web page where data was due."""
    return TransientError(
        "POS trả về một trang web thay vì dữ liệu: POS có thể đang bảo trì, hoặc mạng đi qua một "
        "máy chủ trung gian (proxy, Wi-Fi cần đăng nhập). ShopSync sẽ thử lại; nếu vẫn vậy, hãy "
        "đợi một lúc rồi đồng bộ lại.",
        "The POS answered with a web page instead of data: it may be under maintenance, or "
        "the network goes through a proxy (or a Wi-Fi login page). ShopSync retries; if it "
        "persists, wait a while and sync again.",
        detail=f"HTML page with status {status}", status=status)


def _maintenance_page(response: httpx.Response) -> TransientError | None:
    if not 200 <= response.status_code < 300 or not response.content or not _is_html(response):
        return None
    text = response.content[:20000].decode("utf-8", errors="replace").lower()
    if any(word in text for word in MAINTENANCE_WORDS):
        return web_page_instead_of_data(response.status_code)
    return None


def _masked_response(response: httpx.Response, redact: "Redactor") -> httpx.Response:
    """A copy of an error answer with every known secret masked, for the classifiers: some
    gateways echo the request's credentials in their error body, and a classifier quotes the
    body (cut to a few hundred characters, which could cut a secret past recognition)."""
    text = response.content.decode(response.encoding or "utf-8", errors="replace")
    masked = redact(text)
    if masked == text:
        return response
    copy = httpx.Response(response.status_code, headers=response.headers,
                          content=masked.encode("utf-8"), request=response.request)
    copy.encoding = "utf-8"
    return copy


def _mask_error(error: PosError, redact: "Redactor") -> PosError:
    error.message_vi = redact(error.message_vi)
    error.message_en = redact(error.message_en)
    error.detail = redact(error.detail or "")
    error.args = (error.message_en,)
    return error


@dataclass(frozen=True)
class ThrottleWait:
    """The POS asked for a pause long enough to tell the user (CLI line, window countdown)."""

    seconds: float
    until: datetime                 # aware, local time zone
    reason: str = "throttled"       # "throttled": the POS asked; "pacing": our own limiter
                                    # keeps under the POS's budget (KiotViet 5,000 GET/hour);
                                    # "retry": a failed request tried again after a back-off
    attempt: int = 0                # retries: the how-many-th retry this is

    def clock_text(self) -> str:
        return _clock_text(self.until)


def announce_wait(seconds: float, reason: str, attempt: int = 0,
                  now: float | None = None) -> None:
    """Tell this run's listener (if any) that a pause starts; listeners decide what is worth
    saying (app/sync/events.py). Telling must never stop a request."""
    listener = throttle_listener.get()
    if listener is None or seconds <= 0:
        return
    start = time.time() if now is None else now
    try:
        listener(ThrottleWait(seconds, datetime.fromtimestamp(start + seconds).astimezone(),
                              reason, attempt))
    except Exception:  # noqa: BLE001
        log.debug("wait listener failed", exc_info=True)


def _clock_text(moment: datetime) -> str:
    today = datetime.now(moment.tzinfo).date()
    return moment.strftime("%H:%M") if moment.date() == today else moment.strftime("%H:%M %d/%m/%Y")


# Who hears about a long throttle wait: the sync engine sets it for its run (contextvars follow
# the run's asyncio tasks), so every connector's requests report without being told.
throttle_listener: contextvars.ContextVar[Callable[[ThrottleWait], None] | None] = (
    contextvars.ContextVar("shopsync_throttle_listener", default=None))


class WaitTooLong(RateLimited):
    """The POS asked for a pause longer than ShopSync waits within a run: the run stops
    (exit 4) and says when to come back; nothing is sent before then (COM-08)."""

    def __init__(self, seconds: float, until: datetime, status: int | None = None) -> None:
        self.until = until
        minutes = max(1, round(seconds / 60))
        when = _clock_text(until)
        super().__init__(
            f"POS yêu cầu ngừng gửi yêu cầu khoảng {minutes} phút (đến {when}), ví dụ vì đã dùng "
            f"hết số lượt gọi trong giờ. ShopSync đã dừng lần chạy này; mọi thứ đã làm được giữ "
            f"nguyên. Hãy đồng bộ lại sau {when}.",
            f"The POS asked for no requests for about {minutes} min (until {when}), e.g. its "
            f"hourly request budget is used up. ShopSync stopped this run; everything done so "
            f"far is kept. Sync again after {when}.",
            rule="COM-08", retry_after=seconds, detail=f"Retry-After {seconds:.0f}s",
            status=status)


# --------------------------------------------------------------------------------------------
# Writes: which requests may be sent again by this layer (COM-02)
# --------------------------------------------------------------------------------------------

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteOutcomeUnknown(TransientError):
    """A write was sent and its answer was lost (5xx, timeout, reset, cut-off body): the POS
    may have done it or not. This layer never sends such a write again by itself; the
    connector looks the record up (by its own id, code, phone …) before sending it again.

    A TransientError, so a caller that only knows "try later" still stops safely."""


def _sent_nothing(exc: Exception) -> bool:
    """The request never left this PC (no connection was made): repeating it cannot make a
    second copy, whatever the method."""
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


def _outcome_unknown(method: str, path: str, cause: PosError) -> WriteOutcomeUnknown:
    return WriteOutcomeUnknown(
        "POS không trả lời rõ sau khi ghi: có thể dữ liệu đã được lưu. ShopSync sẽ kiểm tra "
        "trên POS trước khi gửi lại, để không tạo bản trùng; nếu vẫn lỗi, hãy đồng bộ lại sau ít "
        "phút.",
        "The POS's answer to a write was lost: the data may have been saved. ShopSync checks "
        "on the POS before sending it again, so no copy is made; if it keeps failing, sync "
        "again in a few minutes.",
        rule="COM-02", detail=f"{method} {path}: {cause.detail or cause.message_en}",
        status=cause.status)


@dataclass
class RetryPolicy:
    attempts: int = 6                # total tries for transient errors
    throttle_attempts: int = 30      # a 429 storm is waited out, not failed quickly
    base_delay: float = 0.5
    max_delay: float = 30.0
    default_throttle_wait: float = 2.0
    # A pause the POS asks for longer than this (in all, within one request) stops the run
    # with the time to come back instead of sitting silent: KiotViet's hourly GET budget
    # answers Retry-After ≈ 3,600 s. Shorter pauses are waited out and announced (every pause
    # goes to `announce_wait`; the run's listeners decide what is worth a sentence).
    max_throttle_wait: float = 600.0

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
    wall: Clock = time.time           # wall clock, for "continue at 14:05"
    # Called before each attempt; lets a connector refresh a token (KiotViet) or add headers.
    before_send: Callable[[httpx.Request], Awaitable[None]] | None = None

    def __post_init__(self) -> None:
        self.request_count = 0
        self.throttled_count = 0
        self._rng = random.Random(self.seed)
        self._blocked_until = 0.0         # wall time before which the POS wants no request
        self._blocked_error: WaitTooLong | None = None
        self._client = httpx.AsyncClient(
            base_url=self.base_url, headers=dict(self.headers), auth=self.auth,
            transport=self.transport, timeout=httpx.Timeout(self.timeout, connect=10.0),
            follow_redirects=False)

    async def request(self, method: str, path: str, *, params: Any = None, json: Any = None,
                      data: Any = None, files: Any = None, headers: Mapping[str, str] | None = None,
                      limiter_key: str | None = None, expect_json: bool = False,
                      idempotent: bool | None = None) -> httpx.Response:
        """Send with pacing and retries; return a 2xx response or raise a PosError.

        With `expect_json`, a 2xx body that is not JSON (HTML error page, cut-off body) is a
        transient error and retried like a 5xx.

        Retries after a lost answer (5xx, timeout, reset, bad body) are only for requests that
        are safe to repeat: reads (GET/HEAD/OPTIONS), or a request the caller marks
        `idempotent=True` (a read sent as POST, a write the POS documents as idempotent).
        Any other write raises WriteOutcomeUnknown at the first lost answer (COM-02): sending
        it blindly again is how duplicate orders are made. A throttle (429) or a connection
        that was never made is retried for every method: nothing reached the POS."""
        key = limiter_key or self.limiter_key(method, path)
        repeatable = method.upper() in READ_METHODS if idempotent is None else idempotent
        transient_tries = throttle_tries = 0
        throttle_waited = 0.0
        while True:
            if self._blocked_error is not None and self.wall() < self._blocked_until:
                raise self._blocked_error      # no request during the POS's pause (COM-08)
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
                unsent = _sent_nothing(exc)
                error: PosError = TransientError(
                    "Không kết nối được tới POS (mạng chậm hoặc mất kết nối). ShopSync sẽ thử lại; "
                    "nếu vẫn lỗi, hãy kiểm tra Internet.",
                    "Could not reach the POS (slow or lost network). ShopSync retries; if it "
                    "keeps failing, check the Internet connection.",
                    detail=self.redact(f"{type(exc).__name__}: {exc}"))
                response = None
            else:
                unsent = False
                self.limiter.observe(key, response)
                judged = response if response.status_code < 300 else _masked_response(
                    response, self.redact)
                error = _maintenance_page(response)
                if error is None and self.classify is not None:
                    error = self.classify(judged)
                if error is None:
                    error = default_classifier(judged)
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
                error.detail = error.detail or self.redact(response.text)[:300]
            _mask_error(error, self.redact)
            if isinstance(error, RateLimited):
                self.throttled_count += 1
                throttle_tries += 1
                asked = _retry_after(response, self.wall) if response is not None else None
                if asked is None and response is not None and "retry-after" in response.headers:
                    wait = None                 # a nonsense header: back off, never burst
                else:
                    wait = asked if asked is not None else error.retry_after
                if wait is None or not math.isfinite(wait) or wait <= 0:
                    wait = self.retry.default_throttle_wait * min(throttle_tries, 5)
                throttle_waited += wait
                if throttle_waited > self.retry.max_throttle_wait:
                    until = datetime.fromtimestamp(self.wall() + wait).astimezone()
                    self._blocked_until = self.wall() + wait
                    self._blocked_error = WaitTooLong(wait, until, error.status)
                    log.warning("POS asked for %.0fs without requests on %s %s: run stops "
                                "until %s", wait, method, self.redact(path), until.isoformat())
                    raise self._blocked_error
                self.limiter.lock(key, wait)
                log.info("throttled on %s %s; waiting %.1fs", method, self.redact(path), wait)
                if throttle_tries >= self.retry.throttle_attempts:
                    raise error
                announce_wait(wait, "throttled", now=self.wall())
                continue
            if error.retryable and not repeatable and not unsent:
                raise _outcome_unknown(method, self.redact(path), error)
            if error.retryable:
                transient_tries += 1
                if transient_tries >= self.retry.attempts:
                    raise error
                delay = self.retry.backoff(transient_tries - 1, self._rng)
                log.info("transient error on %s %s (%s); retry in %.1fs", method,
                         self.redact(path), error.detail, delay)
                announce_wait(delay, "retry", transient_tries, now=self.wall())
                await self.sleep(delay)
                continue
            raise error

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send and return the parsed JSON body (retrying bodies that are not JSON when the
        request may be repeated, see `request`)."""
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
    if "html" in content_type or response.text.lstrip().startswith("<"):
        raise web_page_instead_of_data(response.status_code)
    raise TransientError(
        "POS trả về dữ liệu không đọc được (không phải JSON). ShopSync sẽ thử lại; nếu vẫn lỗi, "
        "hãy đợi một lúc rồi đồng bộ lại.",
        "The POS answered something that is not JSON. ShopSync retries; if it persists, wait "
        "a while and sync again.", detail=f"unreadable body, status {response.status_code}")
