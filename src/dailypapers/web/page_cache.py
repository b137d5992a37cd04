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
import re
import secrets
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from dailypapers.community.auth import CurrentUser
from dailypapers.store.queries.users import upvoted_among
from dailypapers.web.cache import VersionedCache, page_cache, response_cache
from dailypapers.web.deps import bearer_token, released, request_session
from dailypapers.web.security import csrf_token
from dailypapers.web.templating import templates

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
    paper_ids: tuple[str, ...] = ()  # papers with an upvote button on the page


def _digest(*parts: object, size: int = 8) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=size).hexdigest()


def _shareable(request: Request, personal: bool) -> bool:
    """Whether the page may come from the shared cache: anonymous, or logged in on a page whose
    per-user parts ``personalize`` fills in; never with an API token or a message pending."""
    if bearer_token(request) is not None:
        return False
    if "session" in request.scope and "flash" in request.session:
        return False
    if getattr(request.state, "user", None) is None:
        return True
    return personal and getattr(request.app.state, "personalize_pages", True) and _all_known()


# Template globals at the time personalisation was written: none of them changes a list page
# for a logged-in reader except ``has_upvoted`` (filled in by ``personalize``) and
# ``take_flash`` (pages with a message pending are never shared). A global another area adds
# later (a per-user "saved" state …) may; until it registers how to fill it in with
# ``register_personalizer``, logged-in readers get their pages rendered in full: slower, never
# wrong.
_KNOWN_GLOBALS = {"cycler", "dict", "feed_url", "has_upvoted", "joiner", "lipsum", "my_claim",
                  "namespace", "paper_comments", "range", "take_flash", "url_for"}  # fmt: skip
Personalizer = Callable[[bytes, CurrentUser, Request], bytes]
_personalizers: list[Personalizer] = []


def register_personalizer(globals_used: set[str], fill_in: Personalizer) -> None:
    """Let shared list pages carry the per-user parts drawn with ``globals_used``:
    ``fill_in(body, user, request)`` returns the shared copy with them as ``user`` sees them
    (runs in a worker thread; may query through ``request_session(request)``)."""
    _KNOWN_GLOBALS.update(globals_used)
    _personalizers.append(fill_in)


def _all_known() -> bool:
    return set(templates.env.globals) <= _KNOWN_GLOBALS


async def cached_page(
    request: Request, key: Hashable, make: Callable[[], Response], personal: bool = False
) -> Response:
    """The page ``make()`` renders, from the shared cache.

    ``key`` names everything the page depends on besides the data version (path, query,
    index generation …). ``make`` runs in a worker thread and may raise (404 …); only 200
    answers are cached. ``personal``: the page's only per-user parts are the account links and
    upvote buttons, so logged-in readers get the shared copy with those filled in.
    """
    if not _shareable(request, personal):
        response = await run_in_threadpool(released(request, make))
        response.headers["Cache-Control"] = PAGE_CACHE_CONTROL
        return response
    cache = await page_cache(request)

    def compute() -> CachedPage:
        state = request.state
        user, state.user = getattr(state, "user", None), None  # the shared copy is anonymous
        state.csrf_placeholder = CSRF_PLACEHOLDER
        try:
            response = make()
        finally:
            state.user = user
            del state.csrf_placeholder
        if response.status_code != 200 or "set-cookie" in response.headers:
            raise _Uncacheable(response)  # an error page or a side effect: never shared
        body = bytes(response.body)
        ids = tuple(m.decode() for m in _VOTE_FORM.findall(body))
        tag = _digest(cache.version, key)
        return CachedPage(body, 200, response.media_type or "text/html", tag, ids)

    try:
        found: CachedPage = await cache.fetch(("page", key), released(request, compute))
    except _Uncacheable as exc:
        return exc.response
    token = csrf_token(request)
    body = found.body.replace(CSRF_PLACEHOLDER.encode(), token.encode())
    user: CurrentUser | None = getattr(request.state, "user", None)
    etag = f'W/"{found.tag}-{_digest(token, size=4)}"'
    if user is not None:
        body, extra = await run_in_threadpool(
            released(request, lambda: _for_user(request, found, body, user, token))
        )
        etag = f'W/"{found.tag}-{_digest(token, user, extra, size=6)}"'
    response = Response(body, found.status, media_type=found.media_type)
    return conditional(request, response, etag, cache, PAGE_CACHE_CONTROL)


# The shared copy's per-user parts, as the templates write them (tests compare a personalised
# page with one rendered for the user: any template change that breaks this fails them).
_VOTE_FORM = re.compile(rb'<form class="upvote-form" method="post" action="/papers/[^"]+/upvote" '
                        rb'data-paper="([^"]+)">')  # fmt: skip
_ACCOUNT_NAV = re.compile(rb"<!--account-nav-->.*?<!--/account-nav-->", re.S)
_ANONYMOUS_BUTTON = (b'class="vote-box upvote-button" aria-pressed="false" '
                     b'title="Upvote this paper"')  # fmt: skip
_VOTED_BUTTON = (b'class="vote-box upvote-button is-voted" aria-pressed="true" '
                 b'title="Withdraw your upvote"')  # fmt: skip


def _for_user(
    request: Request, found: CachedPage, body: bytes, user: CurrentUser, token: str
) -> tuple[bytes, object]:
    """The shared copy as ``user`` sees it, and what its ETag must also name."""
    voted = upvoted_among(request_session(request), user.id, found.paper_ids)
    body = personalize(body, user, token, voted)
    for fill_in in _personalizers:
        body = fill_in(body, user, request)
    extra = (sorted(voted), _digest(body) if _personalizers else None)
    return body, extra


def personalize(body: bytes, user: CurrentUser, token: str, voted: set[str]) -> bytes:
    """The shared copy of a list page as ``user`` sees it: their account links, and their
    upvotes pressed (each an ``unvote`` form)."""
    nav = templates.get_template("partials/account_nav.html").render(
        current_user=user, csrf_token=token
    )
    body = _ACCOUNT_NAV.sub(
        lambda _: b"<!--account-nav-->" + nav.encode() + b"<!--/account-nav-->", body
    )
    for paper_id in voted:
        start = body.find(f'action="/papers/{paper_id}/upvote" data-paper="{paper_id}">'.encode())
        end = body.find(b"</form>", start)
        if start < 0 or end < 0:
            continue
        form = body[start:end].replace(b"/upvote", b"/unvote", 1)
        form = form.replace(_ANONYMOUS_BUTTON, _VOTED_BUTTON, 1)
        body = body[:start] + form + body[end:]
    return body


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
