"""The demo looks alive, and every example of the README and docs works on it verbatim.

The bundled sample is loaded once for the module (about 15 s), as ``dailypapers demo``
does: dates moved so the newest day is today, undated page entries out of the feed, demo
accounts with votes and comments, a demo digest subscriber.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from dailypapers.community.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo_activity
from dailypapers.community.users import find_user
from dailypapers.config import Settings
from dailypapers.digest.demo import seed_demo_subscriber
from dailypapers.ingest.sample import bundled_newest_day, demo_newest_day, load_sample
from dailypapers.library.demo import SAVED, seed_demo_library
from dailypapers.store import db
from tests.browser import MARKS, page_fixture  # noqa: F401  (the Chromium fixture)
from tests.conftest import TEST_SECRET, _free_port, _truncate_all

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
GENERATED = {"cli.md", "configuration.md"}
EXAMPLE_PAPER = "2606.31004"
TODAY = dt.datetime.now(dt.UTC).date()
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, _pg_database: str | None) -> Iterator[Settings]:
    folder = tmp_path_factory.mktemp("demo-data")
    if _pg_database:
        _truncate_all(_pg_database)
    settings = Settings(data_dir=folder, database_url=_pg_database, secret_key=TEST_SECRET,
                        base_url="http://127.0.0.1:8000", embed_on_import=False)  # fmt: skip
    db.ensure_schema(settings)
    assert load_sample(settings, today=TODAY) is not None
    with db.session_scope(settings) as session:
        seed_demo_activity(session, settings)
        ada = find_user(session, DEMO_USERS[0])
        assert ada is not None
        seed_demo_library(session, ada.id)
        seed_demo_subscriber(session, ada.id)
    yield settings
    if _pg_database:
        _truncate_all(_pg_database)
    db._engine_for.cache_clear()


@pytest.fixture(scope="module")
def demo_client(demo: Settings) -> Iterator[TestClient]:
    from dailypapers.web.app import create_app

    with TestClient(create_app(demo)) as client:
        yield client


def test_front_page_shows_a_real_day(demo, demo_client):
    assert demo_newest_day(demo) == TODAY
    page = demo_client.get("/").text
    assert TODAY.strftime("%-d %b %Y") in page or TODAY.isoformat() in page
    ids = [i for i in re.findall(r'href="/papers/([^"/]+)"', page) if not i.endswith(".md")]
    assert len(ids) >= 30 and not any(pid.startswith("t-") for pid in ids)
    assert "Unknown authors" not in page
    assert page.count("Code") >= 10  # code badges from links found in arXiv comments
    first = demo_client.get(f"/api/papers/{ids[0]}").json()
    assert first["authors"] and first["upvotes"] >= 1 and first.get("githubRepo")


def test_dates_moved_consistently(demo, demo_client):
    shift = (TODAY - bundled_newest_day()).days
    newest = demo_client.get("/api/daily_papers", params={"limit": 1}).json()[0]
    assert newest["publishedAt"].startswith(TODAY.isoformat())
    assert newest["paper"]["publishedAt"].startswith(TODAY.isoformat())
    week_ago = (TODAY - dt.timedelta(days=7)).isoformat()
    recent = demo_client.get("/api/papers/search", params={
        "q": f"video since:{week_ago}", "mode": "keyword", "limit": 50}).json()  # fmt: skip
    assert recent and all(r["paper"]["publishedAt"][:10] >= week_ago for r in recent)
    assert shift >= 0


def test_undated_page_entries_stay_out_of_the_feed(demo, demo_client):
    from sqlalchemy import func, select

    from dailypapers.store.models import FeedEntry, Paper

    with db.session_scope(demo) as session:
        undated = session.scalars(select(Paper.id).where(Paper.published_on.is_(None))).all()
        in_feed = session.scalar(select(func.count()).select_from(FeedEntry)
                                 .where(FeedEntry.paper_id.in_(undated)))  # fmt: skip
    assert undated and in_feed == 0
    page = demo_client.get(f"/papers/{undated[0]}").text  # still a page, with a way to arXiv
    assert "https://arxiv.org/search/?query=" in page


def test_demo_community_is_visible_and_labelled(demo_client):
    top = demo_client.get("/api/daily_papers", params={"sort": "trending", "limit": 3}).json()
    assert top[0]["paper"]["upvotes"] == len(DEMO_USERS)
    assert f'href="/papers/{top[0]["paper"]["id"]}"' in demo_client.get("/trending").text
    commented = next(i for i in top if i["numComments"])
    comments = demo_client.get(f"/api/papers/{commented['paper']['id']}/comments").json()
    assert comments[0]["text"].startswith("[demo]")
    assert comments[0]["author"].startswith("demo-")


def test_demo_library_shows_in_library_and_for_you(demo, demo_client):
    from tests.test_community_pages import login

    assert login(demo_client, DEMO_USERS[0], DEMO_PASSWORD).status_code == 303
    library = demo_client.get("/library").text
    assert f"{SAVED} papers" in library and "Reading group" in library
    assert library.count('class="paper-item is-read') >= 1
    with db.session_scope(demo) as session:  # seeding again changes nothing
        ada = find_user(session, DEMO_USERS[0])
        assert ada is not None and seed_demo_library(session, ada.id).saved == 0
    foryou = demo_client.get("/for-you").text
    assert "in your library" in foryou
    assert "which you follow" in foryou or "matches your search" in foryou
    demo_client.cookies.clear()


def test_demo_digest_starts_with_for_you(demo, tmp_path):
    from dailypapers.digest.send import send_digests

    send_digests(demo, dry_run_dir=tmp_path)
    (mail,) = tmp_path.glob("*demo-ada@example.org.eml")
    text = mail.read_text()
    assert "For you" in text and text.index("For you") < text.index("Trending")


# --- the examples of the README and docs ---------------------------------------------------
def _code_lines() -> list[tuple[str, str]]:
    found = []
    for path in DOCS:
        if path.name in GENERATED:
            continue
        fence = None  # the language of the open code block
        for line in path.read_text().splitlines():
            if line.startswith("```"):
                fence = None if fence is not None else line[3:].strip() or "text"
            elif fence in ("bash", "console", "sh", "text"):
                found.append((path.name, line.strip().removeprefix("$ ")))
    return found


def _expand(text: str) -> str:
    """What bash makes of the example (``$(date -u +%F)`` and friends)."""
    return subprocess.run(["bash", "-c", f"printf '%s' {text}"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip


def _curl_urls() -> list[tuple[str, str]]:
    urls = []
    for name, line in _code_lines():
        if line.startswith("curl") and " -X " not in line and "127.0.0.1:8000/" in line:
            site = r"http://127\.0\.0\.1:8000/"
            match = re.search(f"\"({site}[^\"]*)\"|'({site}[^']*)'|({site}\\S+)", line)
            assert match is not None, line
            double, single, bare = match.groups()
            urls.append((name, f'"{double}"' if double else f"'{single}'" if single else bare))
    return urls


CURLS = _curl_urls()


@pytest.mark.parametrize(("doc", "url"), CURLS, ids=[u for _, u in CURLS])
def test_curl_examples(demo, demo_client, doc: str, url: str) -> None:
    from dailypapers.ingest.sample import redate_sample

    redate_sample(demo)  # the examples use today's date: follow the clock past midnight
    path = _expand(url).removeprefix("http://127.0.0.1:8000")
    answer = demo_client.get(path)
    assert answer.status_code == 200, f"{doc}: {path} → {answer.status_code} {answer.text[:200]}"
    if answer.headers["content-type"].startswith("application/json"):
        assert answer.json(), f"{doc}: {path} is empty on the demo"


READ_ONLY = ("stats", "index status", "users list", "similar show", "digest send --dry-run",
             "digest list", "ingest status", "doctor")  # fmt: skip


def _cli_examples() -> list[tuple[str, list[str]]]:
    runs = []
    for name, line in _code_lines():
        words = line.split("#")[0].strip()
        match = re.match(r"^(?:\.venv/bin/)?dailypapers (.*)$", words)
        if not match:
            continue
        args = shlex.split(subprocess.run(["bash", "-c", f"printf '%s ' {match.group(1)}"],
                                          capture_output=True, text=True).stdout)  # fmt: skip
        rest = " ".join(a for a in args if not a.startswith("--data-dir") and a != "demo-data")
        if any(rest.startswith(cmd) for cmd in READ_ONLY):
            runs.append((name, args))
    return runs


CLIS = _cli_examples()


@pytest.mark.parametrize(("doc", "args"), CLIS, ids=[" ".join(a) for _, a in CLIS])
def test_cli_examples(demo: Settings, doc: str, args: list[str], tmp_path: Path) -> None:
    from dailypapers.cli.main import app

    args = [a for a in args if a != "demo-data" and a != "--data-dir"]
    if "--to-dir" in args:  # write the example's mails into the test's folder
        args[args.index("--to-dir") + 1] = str(tmp_path / "mails")
    globals_ = ["--data-dir", str(demo.data_dir)]
    if demo.database_url:
        globals_ += ["--database-url", demo.database_url]
    if args[:1] == ["doctor"]:
        args = [*args, "--skip", "smtp"]  # no mail server on a test machine
    result = CliRunner().invoke(app, [*globals_, *args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, f"{doc}: dailypapers {' '.join(args)}\n{result.output}"
    if args[:2] == ["digest", "send"]:
        assert "1 due" in result.output and "1 written" in result.output
    if args[:1] == ["stats"]:
        assert re.search(r"papers\s+│\s+2\d{3}", result.output)


def test_every_example_kind_is_covered():
    assert len(CURLS) >= 5 and len(CLIS) >= 6
    text = "\n".join(p.read_text() for p in DOCS if p.name not in GENERATED)
    for stale in ("2503.11731", "2401.12345", "date=2025-", "week=2025-", "/date/2025-",
                  "--date 2025-", "/week/2025-"):  # fmt: skip
        assert stale not in text, f"{stale!r}: an example that does not exist in the demo"


def test_hf_client_example(demo, monkeypatch) -> None:
    """docs/api.md's Python example, run against a live demo server."""
    import uvicorn
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # our server is not the Hub

    from dailypapers.web.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(demo), host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    try:
        block = re.search(r"```python\n(.*?)```", (ROOT / "docs" / "api.md").read_text(), re.S)
        assert block is not None
        code = block.group(1).replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}")
        printed: list[object] = []
        exec(code, {"print": lambda *a: printed.append(a)})  # noqa: S102 (our own docs)
        assert len(printed) >= 4 and any(EXAMPLE_PAPER in str(p) for p in printed)
    finally:
        server.should_exit = True


def _browser(test):
    for mark in MARKS:
        test = mark(test)
    return test


@_browser
def test_front_page_in_chromium_has_real_authors_and_links(demo, page) -> None:
    import uvicorn

    from dailypapers.web.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(demo), host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    try:
        page.goto(f"http://127.0.0.1:{port}/")
        first = page.locator("article").first
        text = first.inner_text()
        assert "Unknown authors" not in text and "authors" not in text.split("\n")[0]
        links = [a.get_attribute("href") for a in first.locator("a").all()]
        assert any(h and h.startswith("/papers/2606.") for h in links)
        assert any(h and h.startswith("https://github.com/") for h in links) or "Code" in text
    finally:
        server.should_exit = True


def test_a_later_run_moves_the_demo_forward(demo, demo_client) -> None:
    """Last in the module: it moves the shared demo's dates."""
    from dailypapers.ingest.sample import bundled_arxiv_ids, redate_sample

    later = TODAY + dt.timedelta(days=3)
    assert redate_sample(demo, today=later) == len(bundled_arxiv_ids())
    assert redate_sample(demo, today=later) == 0
    assert demo_newest_day(demo) == later
    day = demo_client.get("/api/daily_papers", params={"date": later.isoformat()}).json()
    assert len(day) == 50 and day[0]["paper"]["publishedAt"].startswith(later.isoformat())
    found = demo_client.get("/api/papers/search", params={
        "q": f"video since:{later.isoformat()}", "mode": "keyword"}).json()  # fmt: skip
    assert found and all(r["paper"]["publishedAt"][:10] == later.isoformat() for r in found)
