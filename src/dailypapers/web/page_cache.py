"""Whole pages for anonymous visitors, and conditional GETs (``ETag``/``Last-Modified``, 304).

Most page views are anonymous and identical but for one thing: the CSRF token of the
visitor's session (the footer's subscribe form, upvote forms). ``cached_page`` renders such a
page once per data version with a placeholder where the token goes, keeps the bytes in the
worker's ``page_cache`` and answers later visitors with the placeholder replaced by their
token: no query, no template. Logged-in visitors, and anyone with a message pending, get the
page rendered for them (their per-user parts need it).

ETags name the data version, the page and the visitor's token, so a browser revalidating a
page it holds gets ``304 Not Modified`` until anything the page shows changes.
``Last-Modified`` is when this worker first saw the current data version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from dailypapers.web.cache import VersionedCache, page_cache, response_cache
from dailypapers.web.deps import bearer_token
from dailypapers.web.security import csrf_token

# Random per process, so that no page text can forge it; hex survives HTML escaping unchanged.
CSRF_PLACEHOLDER = "csrf-placeholder-" + secrets.token_hex(12)
PAGE_CACHE_CONTROL = "private, no-cache"  # revalidate each time; bodies carry a CSRF token
API_CACHE_CONTROL = "no-cache"


class _Uncacheable(Exception):
    """Carries a response that must not be shared out of the cache's compute step."""

    def __init__(self, response: Response) -> None:
        super().__init__("uncacheable response")
        self.response = response


@dataclass(frozen=True, slots=True)
class CachedPage:
    """A rendered page with ``CSRF_PLACEHOLDER`` where the visitor's token goes."""

    body: bytes
    status: int
    media_type: str
    tag: str  # identifies (data version, page); the token's hash completes the ETag


def _digest(*parts: object, size: int = 8) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=size).hexdigest()


def anonymous(request: Request) -> bool:
    """Whether the page may come from the shared cache: no user, no token, no flash pending."""
    if getattr(request.state, "user", None) is not None or bearer_token(request) is not None:
        return False
    return "session" not in request.scope or "flash" not in request.session


def rendering_for_cache(request: Request) -> bool:
    """Whether the page being rendered goes to the shared cache (``templating.render`` asks)."""
    return bool(getattr(request.state, "render_for_cache", False))


async def cached_page(request: Request, key: Hashable, make: Callable[[], Response]) -> Response:
    """The page ``make()`` renders, from the shared cache for anonymous visitors.

    ``key`` names everything the page depends on besides the data version (path, query,
    index generation …). ``make`` runs in a worker thread and may raise (404 …).
    Only 200 answers are cached.
    """
    if not anonymous(request):
        response = await run_in_threadpool(make)
        response.headers["Cache-Control"] = PAGE_CACHE_CONTROL
        return response
    cache = await page_cache(request)

    def compute() -> CachedPage:
        request.state.render_for_cache = True
        try:
            response = make()
        finally:
            request.state.render_for_cache = False
        if response.status_code != 200 or "set-cookie" in response.headers:
            raise _Uncacheable(response)  # an error page or a side effect: never shared
        tag = _digest(cache.version, key)
        return CachedPage(bytes(response.body), 200, response.media_type or "text/html", tag)

    try:
        found: CachedPage = await cache.fetch(("page", key), compute)
    except _Uncacheable as exc:
        return exc.response
    token = csrf_token(request)
    body = found.body.replace(CSRF_PLACEHOLDER.encode(), token.encode())
    response = Response(body, found.status, media_type=found.media_type)
    etag = f'W/"{found.tag}-{_digest(token, size=4)}"'
    return conditional(request, response, etag, cache, PAGE_CACHE_CONTROL)


def api_etag(cache: VersionedCache, key: Hashable) -> str:
    """The ETag of an API body cached under ``key`` at the cache's current data version."""
    return f'W/"{_digest(cache.version, key)}"'


def conditional(
    request: Request,
    response: Response,
    etag: str,
    cache: VersionedCache | None = None,
    cache_control: str = API_CACHE_CONTROL,
) -> Response:
    """Add ``ETag``, ``Last-Modified`` and ``Cache-Control``; 304 when the client is current.

    ``If-None-Match`` wins over ``If-Modified-Since`` (RFC 9110, 13.2.2).
    """
    cache = cache or response_cache(request.app)
    last_modified = format_datetime(_utc(cache.changed_at), usegmt=True)
    headers = {"ETag": etag, "Last-Modified": last_modified, "Cache-Control": cache_control}
    if response.status_code == 200 and _not_modified(request.headers, etag, cache.changed_at):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response


def _utc(stamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(stamp), dt.UTC)


def _not_modified(headers: Headers, etag: str, changed_at: float) -> bool:
    match = headers.get("if-none-match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or etag.removeprefix("W/") in tags
    since = headers.get("if-modified-since")
    if since is None:
        return False
    try:
        return parsedate_to_datetime(since).timestamp() >= int(changed_at)
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
