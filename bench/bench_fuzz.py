"""Schemathesis over every operation of ``/openapi.json``, longer than the suite's run.

    python -m bench fuzz                                  # 100 cases per operation and mode
    python -m bench fuzz --examples=300 --database-url=postgresql+psycopg://postgres@127.0.0.1/dp_bench_fuzz

Random (not derandomized) valid and invalid requests, anonymous and with an API token (rate
limits off, so that writes reach their handlers), sent to the app in-process. Prints, per
operation, the requests sent, the 5xx answers and the responses that contradict what the
schema documents for their status, with a few examples of each; ``tests/fuzzing.py`` does
the work (``tests/test_fuzz_api.py`` is the bounded version in ``make test``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from bench.bench_api import _fresh_postgres
from bench.common import save


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench fuzz", description=__doc__)
    parser.add_argument("--examples", type=int, default=100, help="cases per operation and mode")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default SQLite)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    args = _args(argv)
    os.environ.setdefault("DAILYPAPERS_API_CACHE_SECONDS", "0")
    from tests.community_fixtures import add_paper, bearer, make_user
    from tests.fuzzing import fuzz

    from dailypapers.config import Settings
    from dailypapers.store import db
    from dailypapers.web.app import create_app

    folder = Path(tempfile.mkdtemp(prefix="dp-bench-fuzz-"))
    if args.database_url:
        _fresh_postgres(args.database_url)
    settings = Settings(
        data_dir=folder, database_url=args.database_url, secret_key="bench-fuzz-" + "x" * 32,
        embed_on_import=False, rate_limit_enabled=False, base_url="http://testserver",
    )  # fmt: skip
    figures: dict[str, object] = {"database": "postgresql" if args.database_url else "sqlite",
                                  "examples": args.examples}  # fmt: skip
    try:
        db.upgrade(settings)
        _uid, token = make_user(settings, "fuzzer")
        paper = add_paper(settings, "2503.00001", "A paper to reach past 404")
        app = create_app(settings)
        for auth, headers in (("anonymous", None), ("token", bearer(token))):
            start = time.perf_counter()
            report = fuzz(app, examples=args.examples, headers=headers, derandomize=False,
                          known={"paper_id": paper})  # fmt: skip
            print(f"\n{auth}: {report.requests} requests, {report.server_errors} 5xx "
                  f"in {time.perf_counter() - start:.0f} s")  # fmt: skip
            for label, result in sorted(report.operations.items()):
                print(f"  {label:45} {result.requests:6} requests  5xx {result.server_error_count}"
                      f"  nonconforming {len(result.nonconforming)}")  # fmt: skip
            for failure in report.failures():
                print(f"    {failure[:240]}")
            figures[f"{auth}_requests"] = report.requests
            figures[f"{auth}_5xx"] = report.server_errors
            figures[f"{auth}_failures"] = report.failures()
        figures["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
        save("fuzz" if not args.database_url else "fuzz_postgresql", figures)
    finally:
        db.get_engine(settings).dispose()
        shutil.rmtree(folder, ignore_errors=True)
