"""Schemathesis over every operation of ``/openapi.json``, for the suite and ``bench fuzz``.

``fuzz`` generates requests for each operation (valid ones and, with ``negative``, invalid
ones), sends them to the app in-process (ASGI), and records per operation: requests sent,
responses with a 5xx status, and responses that contradict what the schema documents for
their status (body schema, content type). Failures are collected rather than raised, so one
run reports all of them; hypothesis runs without its example database (nothing is written).
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

CHECKS = [response_schema_conformance, content_type_conformance]


@dataclass
class OperationResult:
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)  # "500 GET /x?..." (first few)
    server_error_count: int = 0
    nonconforming: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0


@dataclass
class FuzzReport:
    operations: dict[str, OperationResult] = field(
        default_factory=lambda: defaultdict(OperationResult)
    )

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.operations.values())

    @property
    def server_errors(self) -> int:
        return sum(r.server_error_count for r in self.operations.values())

    def failures(self) -> list[str]:
        out = []
        for label, result in sorted(self.operations.items()):
            out += [f"{label}: {e}" for e in result.server_errors]
            out += [f"{label}: {e}" for e in result.nonconforming]
        return out


def _describe(case: Any, status: int) -> str:
    query = f"?{case.query}" if case.query else ""
    sent = case.body is not None and type(case.body).__name__ != "NotSet"
    body = f" body={str(case.body)[:120]!r}" if sent else ""
    return f"{status} {case.method} {case.formatted_path}{query}{body}"[:300]


def _documented(operation: Any, status: int) -> bool:
    responses = operation.definition.raw.get("responses", {})
    return str(status) in responses or f"{status // 100}XX" in responses


def _can_be_invalid(operation: Any) -> bool:
    """Whether invalid requests exist: not when every input is a string in the path (any
    string is valid there, and hypothesis would spend seconds failing to make one)."""
    raw = operation.definition.raw
    if raw.get("requestBody"):
        return True
    params = raw.get("parameters", [])
    return any(p.get("in") != "path" or p.get("schema", {}).get("type") != "string" for p in params)


def fuzz(
    app: Any,
    *,
    examples: int,
    headers: dict[str, str] | None = None,
    negative: bool = True,
    derandomize: bool = True,
    skip: Callable[[str], bool] = lambda label: False,
    keep: int = 5,
    known: dict[str, str] | None = None,
) -> FuzzReport:
    """Send ``examples`` generated requests per operation and generation mode to ``app``."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    report = FuzzReport()
    modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if negative else [])
    operations = [result.ok() for result in schema.get_all_operations()]
    # deletions last, so that revoking the fuzzer's own token ends nothing early
    operations.sort(key=lambda op: (op.method.upper() == "DELETE", "/tokens/" in op.path))
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        if skip(label):
            continue
        stats = report.operations[label]
        start = time.perf_counter()
        for mode in modes if _can_be_invalid(operation) else modes[:1]:
            strategy = _with_known(operation.as_strategy(generation_mode=mode), known or {})
            _run(strategy, examples, headers or {}, derandomize, stats, keep)
        stats.seconds += time.perf_counter() - start
    return report


def _with_known(strategy: Any, known: dict[str, str]) -> Any:
    """Half of the cases get a path parameter that exists (a paper id), to reach past 404."""

    def fill(case: Any) -> Any:
        for name, value in known.items():
            if case.path_parameters and name in case.path_parameters:
                case.path_parameters[name] = value
        return case

    return st.one_of(strategy, strategy.map(fill)) if known else strategy


def _run(
    strategy: Any,
    examples: int,
    headers: dict[str, str],
    derandomize: bool,
    stats: OperationResult,
    keep: int,
) -> None:
    @hypothesis_settings(
        max_examples=examples, deadline=None, database=None, derandomize=derandomize,
        suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate],
        verbosity=Verbosity.quiet, print_blob=False,
    )  # fmt: skip
    @given(case=strategy)
    def one(case: Any) -> None:
        stats.requests += 1
        why = ""
        try:
            response = case.call(headers=headers)
        except Exception as exc:  # the app raised: a 500 in production
            response = None
            why = f" ({type(exc).__name__}: {str(exc).splitlines()[0][:100] if str(exc) else ''})"
        status = 500 if response is None else response.status_code
        stats.statuses[status] += 1
        unready = status == 503 and _documented(case.operation, 503)  # /readyz while warming
        if response is None or (status >= 500 and not unready):
            stats.server_error_count += 1
            if len(stats.server_errors) < keep:
                stats.server_errors.append(_describe(case, status) + why)
            return
        if not _documented(case.operation, response.status_code):
            return  # nothing to conform to (FastAPI documents 200 and 422 by default)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # the response contradicts the schema
            if len(stats.nonconforming) < keep:
                first = str(exc).strip().splitlines()
                why = " ".join(first[:3])[:200]
                stats.nonconforming.append(f"{_describe(case, response.status_code)}: {why}")

    with contextlib.suppress(Unsatisfiable):  # nothing to make invalid (no parameters)
        one()
