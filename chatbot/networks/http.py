"""A rate-limit-aware async HTTP helper shared by the network readers.

* Bounded concurrency (a semaphore per client).
* Rate-limit headers honoured: Bluesky's ``RateLimit-*`` (draft-polli-ratelimit-headers;
  ``Reset`` in epoch seconds on Bluesky, delta seconds in the draft) and Mastodon's
  ``X-RateLimit-*`` (``Reset`` as an ISO 8601 time). When few requests remain, requests
  are paced over the rest of the window; at 0 they wait for the reset.
* HTTP 429: wait ``Retry-After`` / the reset, then retry, within a total patience.
* 5xx, timeouts and connection errors: retried with exponential backoff (tenacity).
* Anything beyond that patience raises `NetworkUnavailable` instead of hanging.
* Every request goes through the egress policy (`chatbot.networks.egress`): a refused
  destination fails like a host that does not answer, a body over the bound is not retried.

Other statuses (2xx, 4xx) are returned to the caller, which knows what "not found" means.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from chatbot.networks.egress import Egress, ResponseTooLarge, http_client
from chatbot.networks.lookup_budget import charge
from chatbot.networks.types import NetworkUnavailable

T = TypeVar("T")
Params = Mapping[str, str | int] | None  # an httpx.QueryParams for repeated keys

USER_AGENT = "x-migration-chatbot/0.1 (+https://github.com/)"


@dataclass(frozen=True)
class HttpPolicy:
    """How patient a client is. The defaults suit a background matching job."""

    timeout: float = 10.0  # per request (read/write/pool)
    connect_timeout: float = 3.0
    max_concurrency: int = 4
    attempts: int = 3  # tries for 5xx, timeouts and connection errors
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    rate_limit_retries: int = 3  # 429s tolerated for one request
    max_wait: float = 60.0  # longest single wait for a rate-limit window; beyond: unavailable
    slow_down_below: int = 5  # start pacing when this few requests remain in the window


async def gather_all(coros: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
    """Run coroutines concurrently; on the first failure cancel the rest and raise it."""
    tasks: list[asyncio.Task[T]] = []
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(coro) for coro in coros]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


def guarded(policy: HttpPolicy, egress: Egress | None) -> httpx.AsyncClient:
    """The egress-guarded client of a reader, with `policy`'s timeouts."""
    return http_client(
        egress or Egress(),
        timeout=policy.timeout,
        connect_timeout=policy.connect_timeout,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=True,
    )


class _Transient(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _parse_reset(value: str | None, now: float) -> float | None:
    """Seconds until the window resets, from a Reset header (delta, epoch, or ISO time)."""
    if not value:
        return None
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, when.timestamp() - now)
    if number > 1_000_000_000:  # epoch seconds, as Bluesky sends: truncated, so add 1 s
        return max(0.0, number + 1 - now)
    return max(0.0, number)


def _parse_retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return headers.get(name) or headers.get("x-" + name)


class RateLimitedClient:
    """GETs against one base URL (or absolute URLs) under one rate-limit budget."""

    def __init__(
        self,
        network: str,
        base_url: str = "",
        *,
        policy: HttpPolicy | None = None,
        egress: Egress | None = None,
        shared: httpx.AsyncClient | None = None,
    ) -> None:
        """`egress` is the policy every request and redirect hop goes through (strict,
        with nothing allow-listed, when not given). `shared`: a client from `guarded`
        that several rate-limit states use (one per host); its owner closes it."""
        self.network = network
        self.base_url = base_url.rstrip("/")
        self.policy = policy or HttpPolicy()
        self._own_client = shared is None
        self._client = shared or guarded(self.policy, egress)
        self._semaphore = asyncio.Semaphore(self.policy.max_concurrency)
        self._not_before = 0.0  # monotonic time before which no request is sent
        self._interval = 0.0  # pacing between requests while few remain
        self._pace_until = 0.0
        self._next_slot = 0.0
        self.requests = 0  # sent, including retries (tests and metrics)

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()

    async def get(
        self,
        path: str,
        params: Params = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        for tries in range(self.policy.rate_limit_retries + 1):
            response = await self._with_retries(url, params, headers)
            if response.status_code != 429:
                return response
            now = time.time()
            wait = _parse_retry_after(response.headers.get("retry-after"), now)
            if wait is None:
                wait = _parse_reset(_header(response.headers, "ratelimit-reset"), now)
            # never retry at once: clocks differ and windows are rounded
            wait = max(wait or 0.0, self.policy.backoff_initial * 2**tries)
            if wait > self.policy.max_wait:
                raise NetworkUnavailable(self.network, f"rate limited for {wait:.0f} s")
            self._not_before = max(self._not_before, time.monotonic() + wait)
        raise NetworkUnavailable(self.network, "still rate limited after retries")

    async def _with_retries(
        self, url: str, params: Params, headers: Mapping[str, str] | None
    ) -> httpx.Response:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.policy.attempts),
            wait=wait_exponential(
                multiplier=self.policy.backoff_initial, max=self.policy.backoff_max
            ),
            retry=retry_if_exception_type(_Transient),
            reraise=False,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(url, params, headers)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            detail = last.detail if isinstance(last, _Transient) else str(last)
            raise NetworkUnavailable(self.network, detail) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(
        self, url: str, params: Params, headers: Mapping[str, str] | None
    ) -> httpx.Response:
        await charge(self.network)  # the user's lookup budget and pace, before a slot
        async with self._semaphore:
            await self._wait_turn()
            self.requests += 1
            try:
                response = await self._client.get(url, params=params, headers=headers)
            except ResponseTooLarge:
                raise NetworkUnavailable(self.network, "response too large") from None
            except httpx.TimeoutException as exc:
                raise _Transient(f"timeout: {type(exc).__name__}") from None
            except (httpx.ConnectError, httpx.InvalidURL):
                # refused by the egress policy, or a host httpx cannot parse: both look
                # (and take as long) as a host that does not answer
                raise _Transient("connection failed") from None
            except httpx.TransportError as exc:
                raise _Transient(f"{type(exc).__name__}: {exc}") from None
            self._note_limits(response.headers)
        if response.status_code >= 500:
            raise _Transient(f"HTTP {response.status_code} from {url}")
        return response

    async def _wait_turn(self) -> None:
        now = time.monotonic()
        start = max(now, self._not_before)
        if self._interval > 0 and now < self._pace_until:
            start = max(start, self._next_slot)
            self._next_slot = start + self._interval
        delay = start - now
        if delay > self.policy.max_wait:
            raise NetworkUnavailable(self.network, f"rate limited for {delay:.0f} s")
        if delay > 0:
            await asyncio.sleep(delay)

    def _note_limits(self, headers: Mapping[str, str]) -> None:
        raw = _header(headers, "ratelimit-remaining")
        if raw is None:
            return
        try:
            remaining = int(float(raw))
        except ValueError:
            return
        reset_in = _parse_reset(_header(headers, "ratelimit-reset"), time.time())
        if reset_in is None:
            return
        now = time.monotonic()
        if remaining <= 0:
            self._not_before = max(self._not_before, now + reset_in)
        elif remaining <= self.policy.slow_down_below:
            self._interval = reset_in / remaining
            self._pace_until = now + reset_in
            self._next_slot = max(self._next_slot, now)
        else:
            self._interval = 0.0
