"""Polite, persistent HTTP for upstream sources (arXiv, Hugging Face).

Transient faults (timeouts, dropped connections, 5xx, 429) are retried with exponential
backoff and jitter up to ``settings.http_max_retries`` times; a ``Retry-After`` header is
honoured. A failure to connect at all — the host name does not resolve, the connection is
refused, the network is unreachable — is not retried: it fails at once with one readable
line (``export.arxiv.org: the host name does not resolve (no network or DNS?)``), since
seconds of backoff do not bring a network back and the worker tries again on its schedule.
Anything else raises :class:`UpstreamError`, whose message names the URL.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from dailypapers import __version__
from dailypapers.config import Settings

log = logging.getLogger(__name__)

USER_AGENT = f"dailypapers/{__version__} (self-hosted paper feed; +https://github.com/dailypapers)"


class UpstreamError(Exception):
    """An upstream call failed for good (after retries, or with a non-retryable answer)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class UpstreamFormatError(UpstreamError):
    """The upstream answered, but with a document we cannot read (malformed XML or JSON)."""


class UpstreamUnreachable(UpstreamError):
    """The host could not be reached at all (name resolution or connection failed)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, reason)
        self.args = (f"{httpx.URL(url).host}: {reason}",)

    def __str__(self) -> str:
        return str(self.args[0])


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def unreachable_reason(exc: httpx.HTTPError) -> str | None:
    """Why a connection could not be made, in words, or None for other failures."""
    if not isinstance(exc, httpx.ConnectError):
        return None
    causes = _chain(exc)
    text = " ".join(str(c) for c in causes).lower()
    if any(isinstance(c, socket.gaierror) for c in causes) or "name or service" in text or (
        "name resolution" in text or "nodename nor servname" in text or "errno -2" in text
        or "errno -3" in text or "errno -5" in text
    ):  # fmt: skip
        return "the host name does not resolve (no network or DNS?)"
    if any(isinstance(c, ConnectionRefusedError) for c in causes) or "refused" in text:
        return "the connection was refused (is the service down, or the URL wrong?)"
    if "unreachable" in text:
        return "the network is unreachable (no network?)"
    return f"cannot connect ({(str(exc) or type(exc).__name__).splitlines()[0]})"


def make_client(settings: Settings) -> httpx.Client:
    """An HTTP client with the configured timeout and an identifying User-Agent."""
    return httpx.Client(
        timeout=httpx.Timeout(settings.http_timeout_seconds),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=True,
    )


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), else None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(settings: Settings, attempt: int) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random (spreads retries)."""
    ceiling = min(settings.http_backoff_max_seconds, settings.http_backoff_seconds * 2**attempt)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def get(
    client: httpx.Client,
    settings: Settings,
    url: str,
    params: Mapping[str, Any] | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> httpx.Response:
    """GET ``url`` with retries; returns a 2xx response or raises :class:`UpstreamError`."""
    full_url = str(httpx.URL(url, params=params)) if params else url
    attempts = settings.http_max_retries + 1
    for attempt in range(attempts):
        wait_hint: float | None = None
        try:
            response = client.get(url, params=params)
        except httpx.HTTPError as exc:  # timeouts, resets, refused connections, protocol errors
            unreachable = unreachable_reason(exc)
            if unreachable is not None:  # not retried: see the module docstring
                raise UpstreamUnreachable(full_url, unreachable) from None
            problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        else:
            if response.status_code < 400:
                return response
            problem = f"HTTP {response.status_code}"
            if not _retryable(response.status_code):
                raise UpstreamError(full_url, f"{problem} {_snippet(response)}".strip())
            wait_hint = retry_after_seconds(response.headers.get("Retry-After"))
        if attempt == attempts - 1:
            break
        delay = _delay(settings, attempt, wait_hint, full_url)
        log.warning("%s: %s; retry %d/%d in %.1fs", full_url, problem, attempt + 1,
                    attempts - 1, delay)  # fmt: skip
        sleep(delay)
    raise UpstreamError(full_url, f"{problem} (gave up after {attempts} attempts)")


def _delay(settings: Settings, attempt: int, retry_after: float | None, url: str) -> float:
    if retry_after is None:
        return backoff_delay(settings, attempt)
    if retry_after > settings.http_backoff_max_seconds:
        raise UpstreamError(
            url,
            f"asks to retry after {retry_after:.0f}s, longer than "
            f"DAILYPAPERS_HTTP_BACKOFF_MAX_SECONDS={settings.http_backoff_max_seconds:g}",
        )
    return retry_after


def _snippet(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return f"({text[:120]})" if text else ""
