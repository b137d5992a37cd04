"""Run benchmarks: ``python -m bench`` (all) or ``python -m bench import api`` (some).

Each ``bench/bench_<name>.py`` has ``main(argv: list[str]) -> None`` that prints its figures
and writes them to ``bench/results/<name>.json``.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def available() -> list[str]:
    folder = Path(__file__).parent
    return sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(folder)])
        if m.name.startswith("bench_")
    )


def run(argv: list[str]) -> None:
    names = [a for a in argv if not a.startswith("-")] or available()
    extra = [a for a in argv if a.startswith("-")]
    unknown = sorted(set(names) - set(available()))
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; available: {available()}")
    for name in names:
        print(f"\n=== bench {name} ===", flush=True)
        importlib.import_module(f"bench.bench_{name}").main(extra)


if __name__ == "__main__":
    run(sys.argv[1:])
