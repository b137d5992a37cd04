"""The import graph follows docs/architecture.md: edges → domain → services → store → base.

Checked with grimp on the installed package: no module imports one of a higher layer, only
``web`` and ``cli`` import FastAPI or Starlette, and there is no import cycle between modules.
"""

from __future__ import annotations

from functools import lru_cache

import grimp
import pytest

PACKAGE = "dailypapers"
# Lowest first. A package may import its own layer's packages only where listed in ALLOWED.
LAYERS: list[set[str]] = [
    {"config", "errors", "feed", "texmath"},
    {"store"},
    {"search", "mail", "jobs"},
    {"ingest", "community", "digest", "agents", "channels", "library", "foryou", "ops"},
    {"web", "cli"},
]
HTTP_PACKAGES = {"fastapi", "starlette"}
HTTP_LAYER = {"web", "cli"}


@lru_cache(maxsize=1)
def _graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, include_external_packages=True)


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if parts[0] == PACKAGE and len(parts) > 1 else parts[0]


def _layer(package: str) -> int | None:
    return next((i for i, names in enumerate(LAYERS) if package in names), None)


def _own_modules() -> list[str]:
    return sorted(m for m in _graph().modules if m.startswith(PACKAGE + "."))


def test_every_package_has_a_layer() -> None:
    packages = {_top(m) for m in _own_modules()} - {"__main__"}
    unplaced = sorted(p for p in packages if _layer(p) is None)
    assert not unplaced, f"add {unplaced} to LAYERS here and to docs/architecture.md"


def test_no_import_goes_up_a_layer() -> None:
    graph, wrong = _graph(), []
    for module in _own_modules():
        mine = _layer(_top(module))
        for imported in graph.find_modules_directly_imported_by(module):
            theirs = _layer(_top(imported)) if imported.startswith(PACKAGE + ".") else None
            if mine is not None and theirs is not None and theirs > mine:
                wrong.append(f"{module} -> {imported}")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_only_web_and_cli_speak_http() -> None:
    graph, wrong = _graph(), []
    for module in _own_modules():
        if _top(module) in HTTP_LAYER:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.split(".")[0] in HTTP_PACKAGES:
                wrong.append(f"{module} -> {imported}")
    assert not wrong, "FastAPI/Starlette outside web/ and cli/:\n" + "\n".join(wrong)


def _cycles(modules: list[str]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    graph = _graph()
    edges = {m: sorted(i for i in graph.find_modules_directly_imported_by(m) if i in modules)
             for m in modules}  # fmt: skip
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in modules:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if i < len(edges[node]):
                work.append((node, i + 1))
                nxt = edges[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def test_no_import_cycles() -> None:
    assert _cycles(_own_modules()) == []


@pytest.mark.parametrize("edges", [{"a": ["b"], "b": ["a"]}])
def test_cycle_finder_finds_a_cycle(edges: dict[str, list[str]], monkeypatch) -> None:
    class Fake:
        def find_modules_directly_imported_by(self, module: str) -> set[str]:
            return set(edges[module])

    monkeypatch.setattr(f"{__name__}._graph", lambda: Fake())
    assert _cycles(["a", "b"]) == [["a", "b"]]


def test_other_packages_use_the_search_front_door() -> None:
    """Outside ``search``, modules import ``dailypapers.search`` (its ``__all__``), not its parts
    (the evaluation subpackage, used by ``eval`` commands, is a front door of its own)."""
    graph, wrong = _graph(), []
    for module in _own_modules():
        if _top(module) == "search":
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            inside = imported.startswith(f"{PACKAGE}.search.")
            if inside and not imported.startswith(f"{PACKAGE}.search.evaluation"):
                wrong.append(f"{module} -> {imported}")
    assert not wrong, "import from dailypapers.search instead:\n" + "\n".join(wrong)
