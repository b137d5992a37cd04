"""CSFCube evaluation: metric functions against hand-computed values, the loader's errors, and
``dailypapers eval csfcube`` on a tiny synthetic collection in the same format."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dailypapers.cli.main import app
from dailypapers.search.evaluation.csfcube import (
    average_precision,
    dcg,
    load_csfcube,
    ndcg_at,
    ndcg_pct20,
)
from dailypapers.search.evaluation.evaluate import evaluate

TINY = Path(__file__).parent / "fixtures" / "csfcube-tiny"
HEADLINE = re.compile(r"^overall NDCG%20=[01]\.\d{3} MAP=[01]\.\d{3}$")


def test_dcg_uses_linear_gains_and_log2_rank_plus_one_discount() -> None:
    expected = 3 / 1 + 2 / math.log2(3) + 0 + 1 / math.log2(5)
    assert dcg([3, 2, 0, 1], 4) == pytest.approx(expected)
    assert dcg([3, 2, 0, 1], 1) == 3 and dcg([], 5) == 0


def test_ndcg_is_relative_to_the_pools_own_best_order() -> None:
    assert ndcg_at([3, 2, 1, 0], 3) == pytest.approx(1.0)
    assert ndcg_at([0, 3], 2) == pytest.approx((3 / math.log2(3)) / 3)
    assert ndcg_at([0, 0, 0], 2) == 0.0


def test_ndcg_pct20_cuts_at_a_fifth_of_the_pool() -> None:
    grades = [0, 3] + [0] * 8  # pool of 10: cut at 2
    assert ndcg_pct20(grades) == pytest.approx(1 / math.log2(3))
    assert ndcg_pct20([0, 0, 3] + [0] * 7) == 0.0  # the relevant one is below the cut
    assert ndcg_pct20([3, 0, 0, 0]) == 0.0  # int(0.2 * 4) == 0: nothing is scored


def test_average_precision_counts_grades_two_and_three_as_relevant() -> None:
    assert average_precision([2, 0, 3, 1]) == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert average_precision([1, 1, 0]) == 0.0
    assert average_precision([0, 0, 3]) == pytest.approx(1 / 3)


def test_loader_reads_pools_and_splits() -> None:
    cube = load_csfcube(TINY)
    assert len(cube.papers) == 12 and [q.key for q in cube.queries] == [
        "1_method", "1_background", "5_result",
    ]  # fmt: skip
    assert cube.queries[0].grades["3"] == 3
    assert [q.key for q in cube.select("dev")] == ["1_method"]
    assert len(cube.select("test")) == 2


def test_loader_names_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"corpus\.jsonl"):
        load_csfcube(tmp_path)
    shutil.copytree(TINY, tmp_path / "c")
    pool = json.loads((tmp_path / "c" / "pools-method.json").read_text())
    pool["1"]["cands"][0] = "999"
    (tmp_path / "c" / "pools-method.json").write_text(json.dumps(pool))
    with pytest.raises(ValueError, match="lacks 1 pooled papers"):
        load_csfcube(tmp_path / "c")


def test_keyword_ranking_scores_the_expected_query() -> None:
    cube = load_csfcube(TINY)
    result = evaluate(cube, cube.queries, None, "keyword")
    by_key = {s.key: s for s in result.scores}
    # "message passing graph neural network" is shared word for word with paper 3 (grade 3).
    assert by_key["1_method"].ndcg > 0.5
    assert 0.0 <= result.mean()[0] <= 1.0
    with pytest.raises(ValueError):
        evaluate(cube, cube.queries, None, "semantic")


def _run(*args: str):
    return CliRunner().invoke(app, ["eval", "csfcube", str(TINY), *args])


def test_cli_prints_facets_and_the_headline_last() -> None:
    result = _run("--method", "keyword")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert HEADLINE.match(lines[-1]), lines[-1]
    assert any(line.startswith("method ") and len(line.split()) == 4 for line in lines[2:])
    assert [line.split()[0] for line in lines[2:-1]] == ["background", "method", "result"]


def test_cli_full_method_caches_embeddings(tmp_path: Path) -> None:
    first = _run("--method", "full", "--cache-dir", str(tmp_path), "--split", "test")
    assert first.exit_code == 0, first.output
    assert HEADLINE.match(first.output.strip().splitlines()[-1])
    keys = next(tmp_path.rglob("keys.txt")).read_text().split()
    assert len(keys) > 12  # documents, titles and sentences
    again = _run("--method", "semantic", "--cache-dir", str(tmp_path))
    assert again.exit_code == 0 and HEADLINE.match(again.output.strip().splitlines()[-1])
    assert next(tmp_path.rglob("keys.txt")).read_text().split() == keys  # nothing new embedded


def test_cli_refuses_bad_input_with_a_message(tmp_path: Path) -> None:
    from dailypapers.cli.errors import CliError

    result = _run("--method", "magic")
    assert isinstance(result.exception, CliError) and "--method" in str(result.exception)
    result = CliRunner().invoke(app, ["eval", "csfcube", str(tmp_path)])
    assert isinstance(result.exception, CliError) and "corpus.jsonl" in str(result.exception)
    result = _run("--split", "train")
    assert isinstance(result.exception, CliError) and "train" in str(result.exception)
