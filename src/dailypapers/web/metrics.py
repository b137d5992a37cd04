"""Prometheus metrics at ``/metrics``, request ids and the per-request log line.

Metrics (prometheus-client): requests and their latency by method and route *template*
(``/papers/{paper_id}``, so that ids do not multiply the series), search latency by mode,
and, read from the database and the queue when scraped, the search index lag, the job queue
depth and digest mails by outcome. ``/metrics`` answers 404 unless
``DAILYPAPERS_METRICS_TOKEN`` is set, and then only to ``Authorization: Bearer <token>``;
``DAILYPAPERS_METRICS_PORT`` serves them without a token on a separate loopback port.
Several worker processes: set ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's own
multi-process mode) so that every worker's counts are added up.

Every response carries an ``X-Request-ID`` (the caller's, when it sent a sane one); with
``DAILYPAPERS_LOG_FORMAT=json`` every log line written during the request carries it too.
"""

from __future__ import annotations

import contextvars
import hmac
import logging
import os
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dailypapers import jobs
from dailypapers.config import Settings
from dailypapers.search import index_status
from dailypapers.store import db
from dailypapers.store.queries.stats import channel_send_counts, digest_send_counts

log = logging.getLogger("dailypapers.access")
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "dailypapers_http_requests", "HTTP requests by method, route template and status.",
    ["method", "route", "status"],
)  # fmt: skip
LATENCY = Histogram(
    "dailypapers_http_request_duration_seconds", "HTTP request latency by route template.",
    ["method", "route"], buckets=_BUCKETS,
)  # fmt: skip
SEARCH_LATENCY = Histogram(
    "dailypapers_search_duration_seconds", "Search latency by mode (keyword, semantic, hybrid).",
    ["mode"], buckets=_BUCKETS,
)  # fmt: skip
router = APIRouter(include_in_schema=False)
_MODES = frozenset({"keyword", "semantic", "hybrid"})


def search_timer(mode: str) -> Any:
    """A context manager observing one search's latency under its mode."""
    return SEARCH_LATENCY.labels(mode if mode in _MODES else "other").time()


def route_template(scope: Scope) -> str:
    """The matched route's path template, bounded for unmatched paths."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if template:
        return str(template)
    return "/static/*" if scope.get("path", "").startswith("/static/") else "<unmatched>"


class RequestMetricsMiddleware:
    """Times every HTTP request, counts it by route, gives it an id and logs it (JSON logs)."""

    def __init__(self, app: ASGIApp, access_log: bool = False) -> None:
        self.app, self.access_log = app, access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _SANE_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        scope.setdefault("state", {})["request_id"] = rid  # for the 500 handler, outside us
        method = scope["method"]  # before HEAD is served as GET
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, method, status, time.perf_counter() - start)
            request_id.reset(token)

    def _record(self, scope: Scope, method: str, status: int, seconds: float) -> None:
        route = route_template(scope)
        REQUESTS.labels(method, route, str(status)).inc()
        LATENCY.labels(method, route).observe(seconds)
        if self.access_log:
            log.info("%s %s %d", method, scope.get("path", ""), status, extra={
                "method": method, "route": route, "status": status,
                "duration_ms": round(seconds * 1000, 2),
            })  # fmt: skip


class StateCollector(Collector):
    """Gauges read when scraped: index lag, missing vectors, queue depth, digest mails and
    channel messages (read from the send logs, so they count every worker's sends)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with db.session_scope(self.settings) as session:
            sends = digest_send_counts(session)
            channel_sends = channel_send_counts(session)
        index = index_status(self.settings)
        yield GaugeMetricFamily(
            "dailypapers_index_lag_papers",
            "Papers changed since the search index files were last synchronised.",
            value=index["changed_since_sync"],
        )
        yield GaugeMetricFamily(
            "dailypapers_papers_without_vector",
            "Papers without a vector under the current embedding contract.",
            value=index["papers"] - index["vectors"],
        )
        yield GaugeMetricFamily(
            "dailypapers_job_queue_depth", "Tasks waiting in the job queue.",
            value=_queue_depth(),
        )  # fmt: skip
        mails = GaugeMetricFamily(
            "dailypapers_digest_mails", "Digest mails by outcome (all time).", labels=["status"]
        )
        for status, count in sorted(sends.items()):
            mails.add_metric([status], count)
        yield mails
        messages = GaugeMetricFamily(
            "dailypapers_channel_messages",
            "Channel messages (Slack, Discord, Matrix, ntfy, webhooks) by kind and outcome.",
            labels=["kind", "status"],
        )
        for (kind, status), count in sorted(channel_sends.items()):
            messages.add_metric([kind, status], count)
        yield messages


def _queue_depth() -> float:
    try:
        info: dict[str, Any] = jobs.queue_info()
    except Exception:  # an unreachable queue is reported by `doctor`, not by a failing scrape
        return float("nan")
    return float(info.get("pending", 0) or 0)


def registry(settings: Settings) -> CollectorRegistry:
    """The default registry's request metrics (or every process's, in multi-process mode)
    plus the state read from the database."""
    from prometheus_client import REGISTRY

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        combined = CollectorRegistry()
        MultiProcessCollector(combined)
    else:
        combined = REGISTRY
    scrape = CollectorRegistry()
    scrape.register(_Merged(combined))
    scrape.register(StateCollector(settings))
    return scrape


class _Merged(Collector):
    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Any]:
        yield from self.source.collect()


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus text format; 404 unless a token is configured, 401 without it."""
    settings: Settings = request.app.state.settings
    if not settings.metrics_token:
        return Response("Not found\n", 404, media_type="text/plain")
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), settings.metrics_token.encode()):
        return Response(
            "Metrics need Authorization: Bearer <DAILYPAPERS_METRICS_TOKEN>\n", 401,
            media_type="text/plain", headers={"WWW-Authenticate": "Bearer"},
        )  # fmt: skip
    return Response(generate_latest(registry(settings)), media_type=CONTENT_TYPE_LATEST)


_served_ports: set[int] = set()


def serve_metrics_port(settings: Settings) -> None:
    """Serve the metrics without a token on 127.0.0.1:METRICS_PORT (once per process)."""
    port = settings.metrics_port
    if port is None or port in _served_ports:
        return
    start_http_server(port, addr="127.0.0.1", registry=registry(settings))
    _served_ports.add(port)
