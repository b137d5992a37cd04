"""A bounded schemathesis run over every operation of ``/openapi.json``, anonymous and with
an API token, on the suite's database (SQLite, or PostgreSQL): no 5xx, and every response
whose status the schema documents conforms to it (issue 14). Deterministic (derandomized);
``python -m bench fuzz`` runs the longer, random version.
"""

from __future__ import annotations

import os
import re

import pytest

from dailypapers.config import Settings
from dailypapers.web.app import create_app
from tests.community_fixtures import add_paper, bearer, make_user
from tests.fuzzing import FuzzReport, fuzz

# per operation and generation mode (valid, invalid): ~520 requests, ~20 s a run here (busy)
EXAMPLES = int(os.environ.get("DAILYPAPERS_FUZZ_EXAMPLES", "15"))
# Failures that belong to work in progress elsewhere in issue 14 (input limits, typed
# responses): tolerated here and listed, so that this test guards everything else now.
PENDING: list[tuple[str, str]] = []  # all landed: keep empty, so every failure counts


def _pending(failure: str) -> bool:
    label, _, detail = failure.partition(": ")
    return any(re.search(op, label) and re.search(why, detail) for op, why in PENDING)


def _summary(report: FuzzReport) -> str:
    rows = [f"{label:45} {r.requests:5} requests  5xx {r.server_error_count}  {r.seconds:5.1f} s"
            for label, r in sorted(report.operations.items())]  # fmt: skip
    return "\n".join(rows)


@pytest.mark.slow
@pytest.mark.parametrize("auth", ["anonymous", "token"])
def test_no_operation_answers_5xx_or_contradicts_its_schema(settings: Settings, auth: str) -> None:
    settings = settings.model_copy(update={"rate_limit_enabled": False})  # reach the handlers
    _uid, token = make_user(settings, "fuzzer")
    paper = add_paper(settings, "2503.00001", "A paper to reach past 404")
    report = fuzz(
        create_app(settings), examples=EXAMPLES, known={"paper_id": paper},
        headers=bearer(token) if auth == "token" else None,
    )  # fmt: skip
    print(f"\n{report.requests} requests, {report.server_errors} 5xx\n{_summary(report)}")
    failures = report.failures()
    for failure in failures:
        print(("pending: " if _pending(failure) else "FAILED: ") + failure[:200])
    assert len(report.operations) >= 27 and report.requests > 5 * len(report.operations)
    assert [f for f in failures if not _pending(f)] == []
