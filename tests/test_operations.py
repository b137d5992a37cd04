"""Operations: Prometheus metrics (protected, by route template), request ids, JSON logs,
HEAD on every GET page."""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.request

from fastapi.testclient import TestClient

from dailypapers.web.app import create_app
from tests.conftest import _free_port
from tests.factories import add_papers, make_records


def _papers(settings, n: int, **fields: object) -> list[str]:
    day = dt.date(2026, 3, 2)
    return add_papers(settings, make_records(n, feed_date=day, **fields)).changed_ids


def _client(settings, **changes) -> TestClient:
    return TestClient(create_app(settings.model_copy(update=changes)))


def test_metrics_are_off_by_default_and_need_the_token(settings):
    assert _client(settings).get("/metrics").status_code == 404
    client = _client(settings, metrics_token="s3cret")
    assert client.get("/metrics").status_code == 401
    bad = client.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/plain")


def test_metrics_count_requests_by_route_template(settings):
    ids = _papers(settings, 2, title="Metric paper")
    client = _client(settings, metrics_token="t")
    for pid in ids:
        assert client.get(f"/api/papers/{pid}").status_code == 200
    client.get("/api/papers/search", params={"q": "metric", "mode": "keyword"})
    text = client.get("/metrics", headers={"Authorization": "Bearer t"}).text
    line = next(x for x in text.splitlines() if x.startswith("dailypapers_http_requests_total")
                and 'route="/api/papers/{paper_id}"' in x)  # fmt: skip
    assert float(line.rsplit(" ", 1)[1]) >= 2
    assert not any(pid in text for pid in ids)  # ids never become labels
    assert 'dailypapers_search_duration_seconds_count{mode="keyword"}' in text
    for gauge in ("dailypapers_index_lag_papers", "dailypapers_papers_without_vector",
                  "dailypapers_job_queue_depth"):  # fmt: skip
        assert f"\n{gauge} " in text


def test_metrics_on_a_separate_port_need_no_token(settings):
    port = _free_port()
    create_app(settings.model_copy(update={"metrics_port": port}))
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        assert b"dailypapers_index_lag_papers" in answer.read()


def test_request_id_is_echoed_or_made(client):
    made = client.get("/healthz").headers["x-request-id"]
    assert len(made) == 32
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    hostile = client.get("/healthz", headers={"X-Request-ID": "a<b> c" * 30})
    assert len(hostile.headers["x-request-id"]) == 32  # replaced, not echoed


def test_json_logs_carry_the_request_id(settings, capsys):
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        client = _client(settings, log_format="json")
        client.get("/healthz", headers={"X-Request-ID": "req-42"})
        logging.getLogger("dailypapers.test").warning("outside any request")
    finally:
        root.handlers = before
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    access = next(x for x in lines if x["logger"] == "dailypapers.access")
    assert access["request_id"] == "req-42" and access["route"] == "/healthz"
    assert access["status"] == 200 and access["duration_ms"] >= 0 and access["level"] == "INFO"
    other = next(x for x in lines if x["logger"] == "dailypapers.test")
    assert other["request_id"] == "-" and other["message"] == "outside any request"


def test_head_answers_every_get_page(client, settings):
    (pid,) = _papers(settings, 1, title="Head paper")
    pages = ("/", "/date/2026-03-02", "/week/2026-W10", "/trending", f"/papers/{pid}",
             "/search?q=head", "/feed.xml", f"/api/papers/{pid}", "/login", "/docs")  # fmt: skip
    for url in pages:
        got, head = client.get(url), client.head(url)
        assert head.status_code == got.status_code == 200, url
        assert head.content == b"", url
        assert head.headers["content-type"] == got.headers["content-type"], url
    assert client.head("/no/such/page").status_code == 404


def test_unknown_paper_page_offers_ways_back(client):
    page = client.get("/papers/2606.99999", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert 'href="https://arxiv.org/abs/2606.99999"' in page.text
    assert 'href="/search?q=2606.99999"' in page.text and 'href="/"' in page.text
    other = client.get("/no/such/thing")
    assert other.status_code == 404 and 'href="/search"' in other.text


def test_a_pages_only_paper_links_to_an_arxiv_title_search(client, settings):
    stats = add_papers(settings, make_records(1, arxiv_id=None, title="Tuning via Moment Probing"))
    page = client.get(f"/papers/{stats.changed_ids[0]}")
    assert page.status_code == 200
    assert "https://arxiv.org/search/?query=Tuning+via+Moment+Probing&amp;searchtype=title" in (
        page.text
    )


def test_500_page_gives_a_reference(settings):
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaput")

    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/boom", headers={"X-Request-ID": "ref-500"})
    assert page.status_code == 500 and "ref-500" in page.text and "kaput" not in page.text
    assert 'href="/"' in page.text


def test_metrics_count_channel_messages_from_the_send_log(settings):
    from dailypapers.store import db
    from dailypapers.store.models_channels import Channel, ChannelSend
    from tests.community_fixtures import make_user

    uid, _ = make_user(settings, "metrics-reader")
    with db.session_scope(settings) as session:
        channel = Channel(user_id=uid, kind="webhook", url_encrypted="x", name="team")
        session.add(channel)
        session.flush()
        for key, status in [("digest:daily:2026-03-02", "sent"), ("alert:1", "sent"),
                            ("alert:2", "failed")]:  # fmt: skip
            session.add(ChannelSend(channel_id=channel.id, key=key, status=status))
    text = (
        _client(settings, metrics_token="t")
        .get("/metrics", headers={"Authorization": "Bearer t"})
        .text
    )
    assert 'dailypapers_channel_messages{kind="digest",status="sent"} 1.0' in text
    assert 'dailypapers_channel_messages{kind="alert",status="sent"} 1.0' in text
    assert 'dailypapers_channel_messages{kind="alert",status="failed"} 1.0' in text
