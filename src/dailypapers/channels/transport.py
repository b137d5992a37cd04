"""One attempt to deliver a message to a channel: through apprise, or the signed webhook.

Apprise reports only success or failure. To tell a temporary failure (429, 5xx, timeout)
from a permanent one (404, 401…) and to read ``Retry-After``, every HTTP request apprise
makes in this thread is observed through a wrapper of ``requests.Session.send`` that is
inert outside :func:`_observe`; the same wrapper applies the SSRF guard to each request,
redirects included.

The generic webhook is hand-written (with httpx) because no notification library signs a
payload: it posts the JSON body with ``X-Dailypapers-Signature: sha256=HMAC(secret,
"{timestamp}.{body}")``, ``X-Dailypapers-Timestamp`` and a stable ``X-Dailypapers-Delivery``
id (channel and message key) that receivers can use to drop a repeat.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import httpx

from dailypapers.channels.message import Message, to_json, to_markdown, to_text
from dailypapers.channels.ssrf import BlockedTarget, check_url
from dailypapers.channels.targets import instantiate
from dailypapers.config import Settings
from dailypapers.store.models import utcnow

Status = Literal["sent", "temporary", "permanent"]
MARKDOWN_KINDS = frozenset({"slack", "mattermost", "discord", "matrix", "rocketchat",
                            "googlechat", "zulip", "telegram", "msteams"})  # fmt: skip


@dataclass
class Outcome:
    status: Status
    error: str = ""
    retry_after: float | None = None


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: an integer, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def classify(status: int, reason: str, retry_after: str | None) -> Outcome:
    """The outcome of an HTTP answer."""
    if 200 <= status < 300:
        return Outcome("sent")
    error = f"the endpoint answered {status} {reason}".rstrip()
    if status == 429 or status >= 500 or status == 408:
        return Outcome("temporary", error, retry_after_seconds(retry_after))
    return Outcome("permanent", error)


# --- apprise ---------------------------------------------------------------------------------
@dataclass
class _Observed:
    allow_private: bool
    status: int | None = None
    reason: str = ""
    retry_after: str | None = None
    failure: str | None = None
    blocked: str | None = None
    requests: int = 0
    log: list[str] = field(default_factory=list)


_local = threading.local()
_installed = False
_install_lock = threading.Lock()


def _install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        import requests

        original = requests.Session.send

        def send(self: Any, request: Any, **kwargs: Any) -> Any:
            seen: _Observed | None = getattr(_local, "observed", None)
            if seen is None:
                return original(self, request, **kwargs)
            seen.requests += 1
            try:
                check_url(request.url, allow_private=seen.allow_private)
            except BlockedTarget as exc:
                seen.blocked = exc.message
                raise requests.ConnectionError(exc.message) from None
            try:
                response = original(self, request, **kwargs)
            except requests.Timeout:
                seen.failure, seen.status = "the endpoint did not answer in time", None
                raise
            except requests.RequestException as exc:
                seen.failure, seen.status = f"connection failed ({type(exc).__name__})", None
                raise
            seen.status, seen.reason = response.status_code, response.reason or ""
            seen.retry_after, seen.failure = response.headers.get("Retry-After"), None
            return response

        requests.Session.send = send  # type: ignore[method-assign]  # see the module docstring
        _installed = True


@contextmanager
def _observe(allow_private: bool) -> Iterator[_Observed]:
    _install()
    seen = _Observed(allow_private)
    _local.observed = seen
    try:
        yield seen
    finally:
        _local.observed = None


def _via_apprise(settings: Settings, kind: str, url: str, msg: Message) -> Outcome:
    from apprise import NotifyFormat, NotifyType

    plugin = instantiate(url)
    if plugin is None:
        return Outcome("permanent", "the channel URL is no longer understood")
    plugin.socket_read_timeout = plugin.socket_connect_timeout = settings.channel_timeout_seconds
    plugin.request_rate_per_sec = 0  # retries and pacing are ours
    if kind in MARKDOWN_KINDS:
        body, fmt = to_markdown(msg, settings.base_url), NotifyFormat.MARKDOWN
    else:
        body, fmt = to_text(msg, settings.base_url), NotifyFormat.TEXT
    with _observe(settings.channels_allow_private) as seen:
        ok = plugin.notify(body=body, title="", notify_type=NotifyType.INFO, body_format=fmt)
    if ok:
        return Outcome("sent")
    if seen.blocked:
        return Outcome("permanent", seen.blocked)
    if seen.failure:
        return Outcome("temporary", seen.failure)
    if seen.status is not None and not 200 <= seen.status < 300:
        return classify(seen.status, seen.reason, seen.retry_after)
    if seen.requests == 0:
        return Outcome("permanent", "the channel is misconfigured (nothing could be sent)")
    return Outcome("temporary", "the service did not accept the message")


# --- the signed webhook ------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _http() -> httpx.Client:
    """One client for every webhook post: its TLS context and connections are reused
    (building a TLS context costs about 50 ms). httpx clients are thread-safe."""
    return httpx.Client(follow_redirects=False, headers={"User-Agent": "dailypapers-webhook/1"})


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``"{timestamp}.{body}"`` under the channel's secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _via_webhook(settings: Settings, url: str, secret: str, channel_id: int,
                 msg: Message) -> Outcome:  # fmt: skip
    try:
        check_url(url, allow_private=settings.channels_allow_private)
    except BlockedTarget as exc:
        return Outcome("permanent", exc.message)
    now = utcnow()
    body = to_json(msg, settings.base_url, channel_id, now)
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Dailypapers-Event": msg.event, "X-Dailypapers-Delivery": f"{channel_id}:{msg.key}",
        "X-Dailypapers-Timestamp": stamp, "X-Dailypapers-Signature": signature(secret, stamp, body),
    }  # fmt: skip
    try:
        response = _http().post(
            url, content=body, headers=headers, timeout=settings.channel_timeout_seconds
        )
    except httpx.TimeoutException:
        return Outcome("temporary", "the endpoint did not answer in time")
    except httpx.HTTPError as exc:
        return Outcome("temporary", f"connection failed ({type(exc).__name__})")
    return classify(response.status_code, response.reason_phrase,
                    response.headers.get("Retry-After"))  # fmt: skip


def deliver(settings: Settings, kind: str, url: str, secret: str | None, channel_id: int,
            msg: Message) -> Outcome:  # fmt: skip
    """One attempt (no retry) to deliver ``msg``."""
    if kind == "webhook":
        return _via_webhook(settings, url, secret or "", channel_id, msg)
    return _via_apprise(settings, kind, url, msg)
