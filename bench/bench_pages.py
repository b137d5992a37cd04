"""Pages under load next to the API and a bare FastAPI endpoint, one uvicorn worker each.

    python -m bench pages                        # the 74,728-paper corpus, SQLite, 10 s each
    python -m bench pages --papers=20000 --seconds=5
    python -m bench pages --demo --seconds=5     # the demo's ~2,700 papers (with vectors)

Targets, each at concurrency 16 with ``wrk`` (``apt-get install wrk``; else an httpx client):

- ``bare_fastapi``: a FastAPI endpoint returning a word (``bench/bare_app.py``): the ceiling
- ``api_daily_papers``: ``/api/daily_papers?date=…`` over the 20 most recent feed days
- ``day_page``: ``/date/…`` over the same days, anonymous (no cookie: every request also
  starts a session, the worst case for the page cache)
- ``day_page_revalidated``: the same with the ``If-None-Match`` of the page (304 answers)
- ``day_page_logged_in``: the same days for a logged-in reader (per-user rendering)
- ``paper_page``: ``/papers/{id}`` over 50 papers of those days, anonymous

Goals (issue 13): day page ≥ 1,000 requests/s with p99 ≤ 50 ms; paper page ≥ 300/s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.bench_api import CORPUS, _fill, _free_port, _load, _recent_days, _server, _subset
from bench.common import save

CONCURRENCY = 16
ROOT = Path(__file__).resolve().parents[1]


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench pages", description=__doc__)
    parser.add_argument("--papers", type=int, default=0, help="import only the first N (0: all)")
    parser.add_argument("--demo", action="store_true", help="use the demo sample instead")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per target")
    parser.add_argument("--requests", type=int, default=3000, help="httpx requests per target")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    return parser.parse_args(argv)


def _fill_demo(env: dict[str, str]) -> dict[str, float]:
    code = (
        "import json\nfrom dailypapers.config import Settings\nfrom dailypapers.store import db\n"
        "from dailypapers.ingest.sample import load_sample\n"
        "s = Settings(); db.upgrade(s); r = load_sample(s)\n"
        "print(json.dumps({'papers': r.added if r else 0}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def _bare_server(env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    cmd = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--host", "127.0.0.1",
           "--port", str(port), "--workers", "1", "--log-level", "warning",
           "--no-access-log"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/", timeout=2).status_code == 200:
                    break
            proc.poll()
            if proc.returncode is not None:
                raise RuntimeError("the bare FastAPI server did not start")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


_WRK_LUA = """
paths = {%s}
i = 0
%s
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
"""


def _wrk(url: str, paths: list[str], seconds: int, headers: dict[str, str]) -> dict[str, float]:
    """Like ``bench_api._wrk``, with request headers (a session cookie, ``If-None-Match``)."""
    # Lua long strings ([[…]]) need no escaping of the ETag's quotes.
    set_headers = "\n".join(f'wrk.headers["{k}"] = [[{v}]]' for k, v in headers.items())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_LUA % (", ".join(f'"{p}"' for p in paths), set_headers))
    cmd = ["wrk", "-t1", f"-c{CONCURRENCY}", f"-d{max(1, seconds)}s", "--latency", "-s",
           script.name, url]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def latency(q: str) -> float:
        value, suffix = re.search(rf"\s{q}%\s+([\d.]+)(us|ms|s)", out).groups()
        return round(float(value) * unit[suffix], 2)

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "errors": int(errors.group(1)) if errors else 0,
    }


def _measure(url: str, paths: list[str], args: argparse.Namespace,
             headers: dict[str, str] | None = None) -> dict[str, float]:  # fmt: skip
    if headers or shutil.which("wrk"):
        for path in paths:  # warm: every page rendered once, as on a running site
            # (the first paper page also builds the search index of a fresh folder: minutes)
            httpx.get(url + path, headers=headers or {}, timeout=600)
        if not shutil.which("wrk"):
            raise SystemExit("headers need wrk: apt-get install wrk")
        return _wrk(url, paths, args.seconds, headers or {})
    return _load(url, paths, args)


PASSWORD = "a long bench password"


def _make_reader(env: dict[str, str]) -> None:
    """An account for the logged-in target, made directly (sign-up may need a mail round)."""
    code = (
        "from dailypapers.config import Settings\nfrom dailypapers.store import db\n"
        "from dailypapers.community.users import create_user\n"
        "with db.session_scope(Settings()) as session:\n"
        f"    create_user(session, 'reader', 'reader@example.org', {PASSWORD!r})\n"
        "    session.commit()\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def _logged_in_cookie(url: str) -> str:
    """Log the reader in through the page and return the session cookie header."""
    with httpx.Client(base_url=url) as client:
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = {"login": "reader", "password": PASSWORD, "csrf_token": token}
        response = client.post("/login", data=form)
        if response.status_code != 303:
            raise RuntimeError(f"log-in failed: {response.status_code} {response.text[:200]}")
        client.get("/login")  # a first page takes any pending message out of the session
        return f"dp_session={client.cookies['dp_session']}"


def _paper_ids(url: str, days: list[str]) -> list[str]:
    ids: list[str] = []
    for day in days:
        items = httpx.get(url + "/api/daily_papers", params={"date": day, "limit": 10}).json()
        ids += [item["paper"]["id"] for item in items]
    return ids[:50]


def main(argv: list[str]) -> None:
    args = _args(argv)
    folder = Path(tempfile.mkdtemp(prefix="dp-bench-pages-"))
    env = {
        **os.environ,
        "DAILYPAPERS_DATA_DIR": str(folder / "data"),
        "DAILYPAPERS_EMBED_ON_IMPORT": "false",
        "DAILYPAPERS_API_CACHE_SECONDS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    try:
        figures: dict[str, object] = {"database": "sqlite", "data": "demo" if args.demo else
                                      "corpus"}  # fmt: skip
        figures.update(_fill_demo(env) if args.demo else
                       _fill(env, _subset(CORPUS, args.papers, folder)))  # fmt: skip
        _make_reader(env)
        with _bare_server(env) as bare:
            figures.update({f"bare_fastapi_{k}": v for k, v in _measure(bare, ["/"], args).items()})
        with _server(env, _free_port()) as url:
            days = _recent_days(url)
            day_pages = [f"/date/{d}" for d in days]
            cookie = _logged_in_cookie(url)
            with httpx.Client() as visitor:  # an anonymous browser revalidating its copy
                etag = visitor.get(url + day_pages[0]).headers.get("etag", "")
                revalidate = {"Cookie": f"dp_session={visitor.cookies['dp_session']}",
                              "If-None-Match": etag}  # fmt: skip
            targets = {
                "api_daily_papers": ([f"/api/daily_papers?date={d}" for d in days], None),
                "day_page": (day_pages, None),
                "day_page_revalidated": (day_pages[:1], revalidate),
                "day_page_logged_in": (day_pages, {"Cookie": cookie}),
                "paper_page": ([f"/papers/{pid}" for pid in _paper_ids(url, days)], None),
            }  # fmt: skip
            for name, (paths, headers) in targets.items():
                for key, value in _measure(url, paths, args, headers).items():
                    figures[f"{name}_{key}"] = value
        figures["load_tool"] = "wrk" if shutil.which("wrk") else "httpx"
        figures["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
        figures["cpus"] = os.cpu_count()
        figures["concurrency"] = CONCURRENCY
        save("pages_demo" if args.demo else "pages", figures)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
