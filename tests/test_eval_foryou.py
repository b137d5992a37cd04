"""``dailypapers eval foryou`` on a small generated corpus in the shared corpus's layout."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from dailypapers.cli.main import app
from dailypapers.foryou.evaluation.metrics import balanced_accuracy, bootstrap, ranking_metrics
from dailypapers.foryou.evaluation.protocol import split_of
from tests.foryou_fixtures import world, write_corpus

_N = r"[01]\.\d{3}"
LAST = re.compile(rf"^overall MRR={_N} NDCG@10={_N} recall@10={_N} BA={_N}$")


def test_eval_foryou_prints_both_halves_and_the_last_line(tmp_path: Path) -> None:
    papers, vecs = world(400)
    corpus = write_corpus(tmp_path, papers, vecs)
    result = CliRunner().invoke(app, ["eval", "foryou", "--corpus", str(corpus), "--users", "8",
                                      "--seed", "3", "--compare", "centroid"])  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert LAST.match(lines[-1]), lines[-1]
    text = result.output
    for name in ("hybrid", "centroid", "centroid-baseline", "tfidf-svm", "random"):
        assert re.search(rf"^{name}\s+0\.\d{{3}} \[", text, re.M), name
    assert "paired differences" in text
    # topics are easy here: the learned ranker must beat random by far
    mrr = float(re.search(r"MRR=(0\.\d+)", lines[-1]).group(1))
    assert mrr > 0.1


def test_eval_foryou_measures_read_not_saved_negatives(tmp_path: Path) -> None:
    papers, vecs = world(400)
    corpus = write_corpus(tmp_path, papers, vecs)
    result = CliRunner().invoke(app, ["eval", "foryou", "--corpus", str(corpus), "--users", "6",
                                      "--seed", "3", "--compare", "hybrid+read"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert re.search(r"^hybrid\+read\s+0\.\d{3} \[", result.output, re.M)
    bad = CliRunner().invoke(app, ["eval", "foryou", "--corpus", str(corpus), "--compare", "x"])
    assert bad.exit_code != 0


def test_eval_foryou_refuses_a_missing_corpus(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "foryou", "--corpus", str(tmp_path / "no.jsonl")])
    assert result.exit_code != 0
    assert "cannot read the corpus" in str(result.exception)


def test_vectors_must_match_the_ids(tmp_path: Path) -> None:
    papers, vecs = world(100)
    corpus = write_corpus(tmp_path, papers, vecs)
    (tmp_path / "mini.minilm.f16.npy.ids.txt").write_text("2503.99999\n")
    result = CliRunner().invoke(app, ["eval", "foryou", "--corpus", str(corpus)])
    assert result.exit_code != 0 and "corpus order" in str(result.exception)


def test_metrics() -> None:
    assert ranking_metrics(1) == {"MRR": 1.0, "NDCG@10": 1.0, "recall@10": 1.0}
    assert ranking_metrics(11) == {"MRR": 1 / 11, "NDCG@10": 0.0, "recall@10": 0.0}
    assert balanced_accuracy([True] * 5) == 1.0
    assert balanced_accuracy([True, False, False, False, False]) == 0.5  # random's expectation
    ci = bootstrap(np.asarray([0.0, 1.0] * 50), seed=1)
    assert ci.low < 0.5 < ci.high and ci.mean == 0.5
    assert {split_of(f"name {i}") for i in range(20)} == {"dev", "test"}
    assert split_of("Jane Doe") == split_of("Jane Doe")


def test_eval_foryou_topics_protocol(tmp_path: Path, monkeypatch) -> None:
    """Topical users: a few saved papers of one category, its later papers ranked among the
    day's papers outside it; the CLI prints the same table and last line."""
    from dailypapers.foryou.evaluation import load_corpus, topics

    monkeypatch.setattr(topics, "MAX_SHARE", 0.3)  # the small world's topics are a quarter each
    monkeypatch.setattr(topics, "MIN_PAPERS", 20)
    papers, vecs = world(400)
    for p in papers:  # cross-listed, as most arXiv papers are: hard negatives share cs.AI
        p["categories"] = [*p["categories"], "cs.AI"]
    path = write_corpus(tmp_path, papers, vecs)
    corpus = load_corpus(path)
    assert topics.subjects(corpus) == ["cs.CL", "cs.CV", "cs.LG", "cs.RO"]  # not cs.AI: all
    users = topics.topical_users(corpus, 12, seed=2)
    assert len(users) == 12 and {u.split for u in users} == {"dev", "test"}
    for user in users:
        subject = user.name.split("#")[0]
        assert len(user.library) == topics.LIBRARY_SIZE
        assert all(subject in corpus.categories[r] and corpus.days[r] < user.cutoff
                   for r in user.library)  # fmt: skip
        for held in user.heldout:
            assert subject in corpus.categories[held.row] and corpus.days[held.row] >= user.cutoff
            assert not any(subject in corpus.categories[r] for r in held.day_rows.tolist())
            assert all(corpus.days[r] == corpus.days[held.row] for r in held.day_rows.tolist())
            assert len(held.hard) == 4 and set(held.hard.tolist()) <= set(held.day_rows.tolist())
    assert topics.topical_users(corpus, 12, seed=2)[3].library == users[3].library  # seeded
    assert all(u.split == "test" for u in topics.topical_users(corpus, 5, seed=2, split="test"))

    result = CliRunner().invoke(app, ["eval", "foryou", "--corpus", str(path), "--users", "8",
                                      "--seed", "3", "--protocol", "topics"])  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert LAST.match(lines[-1]), lines[-1]
    assert float(re.search(r"MRR=([01]\.\d+)", lines[-1]).group(1)) > 0.3  # random: ~0.05
    bad = CliRunner().invoke(app, ["eval", "foryou", "--corpus", str(path), "--protocol", "x"])
    assert bad.exit_code != 0
