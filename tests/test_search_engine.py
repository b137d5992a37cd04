"""Search engines and service over real papers: modes, filters, pins, sorts, quality."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from dailypapers.search.engine import forget_indexes, get_index
from dailypapers.search.query import QueryError
from dailypapers.search.service import SearchRequest, search
from dailypapers.store import db
from dailypapers.store.papers import upsert_records
from dailypapers.store.records import PaperRecord
from tests import search_labelled as labelled
from tests.search_fixtures import corpus_rows, load_papers, record


@pytest.fixture(autouse=True)
def _fresh_indexes():
    forget_indexes()
    yield
    forget_indexes()


@pytest.fixture
def corpus(settings):
    rows = load_papers(settings, 400)
    extra = [
        PaperRecord(title="Sparse Mixture of Experts for Code Generation", arxiv_id="2601.00001",
                    abstract="We route tokens to experts. Code models get faster.",
                    authors=["Ada Lovelace", "Alan Turing"], categories=["cs.SE", "cs.LG"],
                    organization="Analytical Engines Inc", github_repo="https://github.com/x/moe",
                    published_on=dt.date(2026, 1, 5), feed_date=dt.date(2026, 1, 5), upvotes=50),
        PaperRecord(title="Experts all the way down: a survey of routing", arxiv_id="2601.00002",
                    abstract="A survey of mixture of experts routing for language models.",
                    authors=["Grace Hopper"], categories=["cs.CL"],
                    published_on=dt.date(2026, 1, 6), feed_date=dt.date(2026, 1, 6), upvotes=3),
    ]  # fmt: skip
    with db.session_scope(settings) as session:
        upsert_records(session, extra)
    from dailypapers.search.indexer import index_papers

    index_papers(settings, [r.id for r in extra])
    return rows


def _ids(settings, session, **kw) -> list[str]:
    return [h.id for h in search(settings, session, SearchRequest(**kw)).hits]


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_each_mode_finds_a_paper_by_its_subject(settings, session, corpus, mode) -> None:
    target = corpus[10]
    query = " ".join(target["title"].split()[:8])
    ids = _ids(settings, session, q=query + " -zzzz", mode=mode, limit=10)
    assert target["id"] in ids


def test_filters_apply_in_every_mode(settings, session, corpus) -> None:
    for mode in ("keyword", "semantic", "hybrid"):
        assert _ids(settings, session, q="experts author:lovelace", mode=mode) == ["2601.00001"]
        assert _ids(settings, session, q="experts org:analytical", mode=mode) == ["2601.00001"]
        # corpus papers whose abstracts link their code count as having code too
        with_code = _ids(settings, session, q="experts has:code", mode=mode, limit=100)
        assert "2601.00001" in with_code and "2601.00002" not in with_code
        assert _ids(settings, session, q="mixture of experts since:2026-01-06", mode=mode) == [
            "2601.00002"
        ]
        got = _ids(settings, session, q="experts routing -survey", mode=mode, limit=50)
        assert "2601.00002" not in got
        assert "2601.00002" not in _ids(settings, session, q="experts -category:cs.CL", mode=mode)


def test_filters_as_parameters_and_filter_only_queries(settings, session, corpus) -> None:
    assert _ids(settings, session, q="", authors=["Grace Hopper"]) == ["2601.00002"]
    got = _ids(settings, session, q="category:cs.SE", limit=100)
    assert "2601.00001" in got and "2601.00002" not in got
    until = dt.date.fromisoformat(corpus[0]["first_listing_date"])
    res = search(settings, session, SearchRequest(q="", until=until, limit=100))
    assert res.items and all(i.paper.published_on <= until for i in res.items)


def test_exact_id_and_exact_title_are_pinned_first(settings, session, corpus) -> None:
    target = corpus[123]
    assert _ids(settings, session, q=target["id"])[0] == target["id"]
    assert _ids(settings, session, q=f"arXiv:{target['id']}v2")[0] == target["id"]
    res = search(settings, session, SearchRequest(q=target["title"].upper()))
    assert res.pinned == target["id"] and res.hits[0].id == target["id"]


def test_sorts_and_pages(settings, session, corpus) -> None:
    by_votes = search(settings, session, SearchRequest(q="experts", sort="upvotes"))
    votes = [i.paper.upvotes for i in by_votes.items]
    assert votes == sorted(votes, reverse=True) and by_votes.items[0].paper.id == "2601.00001"
    by_date = search(settings, session, SearchRequest(q="language models", sort="date"))
    dates = [i.paper.published_on for i in by_date.items]
    assert dates == sorted(dates, reverse=True)
    page1 = _ids(settings, session, q="language models", limit=5)
    page2 = _ids(settings, session, q="language models", limit=5, page=2)
    assert len(page2) == 5 and not set(page1) & set(page2)
    assert page1 + page2 == _ids(settings, session, q="language models", limit=10)


@pytest.mark.parametrize(
    "req",
    [SearchRequest(sort="best"), SearchRequest(mode="magic"), SearchRequest(limit=0),
     SearchRequest(page=0), SearchRequest(page=10_000),
     SearchRequest(since=dt.date(2026, 1, 2), until=dt.date(2026, 1, 1))],
)  # fmt: skip
def test_bad_requests_raise_query_error(settings, session, req) -> None:
    with pytest.raises(QueryError):
        search(settings, session, req)


def test_hybrid_beats_keyword_only_and_semantic_only(settings, session) -> None:
    rows = load_papers(settings, 3000)
    categories = {r["id"]: r["categories"] for r in rows}
    known = labelled.known_item_queries(rows, 40)
    scores = {}
    for m in ("keyword", "semantic", "hybrid"):
        mrr = np.mean([labelled.mrr_at_10(_ids(settings, session, q=q, mode=m), pid)
                       for q, pid in known])  # fmt: skip
        p10 = np.mean([
            labelled.precision_at_10([categories[i] for i in _ids(settings, session, q=t, mode=m)],
                                     c)
            for t, c in labelled.TOPICS
        ])  # fmt: skip
        scores[m] = (mrr + p10) / 2
    assert scores["hybrid"] > scores["keyword"] and scores["hybrid"] > scores["semantic"], scores


def test_semantic_search_without_vectors_falls_back_with_a_note(settings, session) -> None:
    rows = load_papers(settings, 50, vectors=False)
    res = search(settings, session, SearchRequest(q=rows[3]["title"], mode="semantic"))
    assert res.hits and res.hits[0].id == rows[3]["id"]
    assert any("index rebuild" in n for n in res.notes)
    assert corpus_rows(50)[0]["id"] in get_index(settings).row_of
    assert record(rows[0]).arxiv_id == rows[0]["id"]


def test_a_remembered_phrase_finds_its_paper_first(settings, session) -> None:
    rows = load_papers(settings, 400)
    known = labelled.known_item_queries(rows, 12, seed=3)
    for mode in ("keyword", "hybrid"):
        firsts = [_ids(settings, session, q=q, mode=mode)[:1] == [pid] for q, pid in known]
        missed = [q for (q, _), ok in zip(known, firsts, strict=True) if not ok]
        assert sum(firsts) >= 10, (mode, missed)


def test_hybrid_leans_on_meaning_for_a_sentence_and_on_words_for_key_words() -> None:
    from dailypapers.search import hybrid

    assert hybrid.share_for(distinctive=True, near=True, natural=True) == hybrid.NEAR_SHARE
    assert hybrid.share_for(distinctive=False, near=False, natural=False) == hybrid.KEYWORD_SHARE
    assert hybrid.share_for(distinctive=False, near=True, natural=True) == hybrid.KEYWORD_SHARE
    assert hybrid.share_for(distinctive=False, near=False, natural=True) == hybrid.QUESTION_SHARE
    ranked = hybrid.combine({1: 10.0, 2: 9.0}, {1: 0.2, 2: 0.9, 3: 0.5}, 0.1, lifted={1}, first=1)
    assert [r for r, _ in ranked] == [1, 2, 3]


def test_a_list_of_topics_is_told_from_key_words_and_sentences() -> None:
    from dailypapers.search import hybrid
    from dailypapers.search.query import parse_query

    def lists(text: str) -> bool:
        return hybrid.lists_topics(parse_query(text).terms)

    assert lists("speech synthesis and audio generation")
    assert lists("attacks, malware and privacy protection")
    assert lists("auctions, equilibria, mechanism design")
    assert lists("retrieval & ranking")
    assert not lists("how to compress neural networks for mobile phones")
    assert not lists("rock-and-roll music generation")  # one word
    assert not lists("knowledge distillation")
    assert not lists("diffusion AND video")  # an operator: dropped by the parser
    assert not lists('"question and answer" datasets')  # inside a phrase
    assert not lists("and there were none,")  # at the ends
    assert hybrid.share_for(distinctive=True, near=True, natural=True, listing=True) == (
        hybrid.LIST_SHARE
    )


def test_a_list_of_topics_is_not_taken_for_a_remembered_phrase(settings, session) -> None:
    rows = load_papers(settings, 400)
    known = labelled.known_item_queries(rows, 12, seed=3)
    same = 0
    for query, _ in known:
        words = query.split()
        listed = " ".join([*words[:-1], "and", words[-1]])
        hybrid_first = _ids(settings, session, q=listed, mode="hybrid")[:1]
        same += hybrid_first == _ids(settings, session, q=listed, mode="semantic")[:1]
    assert same >= 10


def test_a_query_with_only_a_few_look_alikes_gets_weak_matches(
    settings, session, monkeypatch
) -> None:
    from dailypapers.search import service

    rows = load_papers(settings, 400)
    outside = "knitting patterns for wool sweaters"  # its words are nowhere together
    inside = " ".join(rows[5]["title"].split()[:6])  # a paper holds all of these words

    def weak(q: str) -> bool:
        return search(settings, session, SearchRequest(q=q, mode="hybrid")).weak

    # Only the spread decides here: every best cosine counts as strong, none as no match.
    monkeypatch.setattr(service, "WEAK_SIMILARITY", 0.0)
    monkeypatch.setattr(service, "NO_MATCH_SIMILARITY", 0.0)
    assert not weak(outside)  # a collection this small is not judged by its spread
    monkeypatch.setattr(service, "SPREAD_MIN_PAPERS", 0)
    monkeypatch.setattr(service, "SPREAD_RANK", 5)
    monkeypatch.setattr(service, "MIN_SIMILARITY", -1.0)  # list every neighbour
    monkeypatch.setattr(service, "WEAK_SPREAD", 1.0)  # every neighbourhood is thin
    assert weak(outside) and not weak(inside)  # holding the words is enough
    monkeypatch.setattr(service, "WEAK_SPREAD", 0.0)  # none is
    assert not weak(outside)


@pytest.mark.parametrize("size", [0, 1, 40])
def test_a_row_set_restricts_the_keyword_search_to_exactly_those_rows(
    settings, session, corpus, size, monkeypatch
) -> None:
    """BM25 scores of given rows (hybrid's semantic candidates, filter checks) equal the
    unrestricted search's, in either form of the row set (a disjunction of term queries up
    to ``ROW_TERMS_MAX`` rows, tantivy's term set above); rows that do not match are left out."""
    from dailypapers.search import keyword
    from dailypapers.search.query import parse_query

    index = get_index(settings)
    q = parse_query("mixture of experts for language models")
    every = dict(zip(*index.keyword.search(q, 1000), strict=True))
    assert len(every) > 3
    others = [r for r in range(len(index.ids)) if r not in every][:5]
    rows = (sorted(every)[::2] + others)[:size] if size else []
    expected = {r: every[r] for r in rows if r in every}
    assert size == 0 or expected
    results = []
    for limit in (10**6, 0):  # every row set as a disjunction, then as a term set
        monkeypatch.setattr(keyword, "ROW_TERMS_MAX", limit)
        found = dict(zip(*index.keyword.search(q, max(len(rows), 1), rows), strict=True))
        results.append((found, index.keyword.coverage(q, rows[:20])))
    assert results[0][0] == results[1][0] == expected
    assert results[0][1] == results[1][1]


def test_coverage_counts_a_word_s_papers_as_a_search_would(settings, session, corpus) -> None:
    """The no-match check weighs each word by its IDF: the stemmed text field's term statistics
    for a one-token word, a search for a phrase-like word; both equal counting the matches of
    the word's own query (title, abstract, exact forms)."""
    index = get_index(settings)
    kw = index.keyword
    searcher = kw.index.searcher()
    words = ["models", "Learning", "diffusion", "state-of-the-art", "text-to-speech",
             "graph", "zzyzx", "robots", "ÜBER"]  # fmt: skip
    one_token = 0
    for word in words:
        query = kw._words([word])
        assert query is not None
        counted = int(searcher.search(query, 1, count=True).count)  # type: ignore[attr-defined]
        assert kw._doc_freq(searcher, word, query) == counted, word
        one_token += len(kw._analyzer.analyze(word)) == 1
    assert 0 < one_token < len(words)  # both ways were taken


def test_coverage_gives_stopwords_no_weight(settings, session, corpus) -> None:
    """Stopwords are not indexed, so no paper can hold them: they weigh nothing in the no-match
    check (they once weighed most, as a word no paper holds, and real sentences lost half of
    their coverage); a word that is indexed but found nowhere still weighs (``zzyzx``)."""
    from dailypapers.search.query import parse_query

    index = get_index(settings)
    kw = index.keyword
    bare = parse_query("diffusion models")
    rows = kw.rank(bare, 20).rows
    assert kw.coverage(bare, rows) == 1.0
    for sentence in ("diffusion then models", "the diffusion of their models"):
        assert kw.coverage(parse_query(sentence), rows) == 1.0, sentence
    assert kw.coverage(parse_query("diffusion models zzyzx"), rows) < 0.75


def test_fusion_equals_the_plain_per_row_sum_and_sort() -> None:
    """``combine`` (numpy) gives the plain Python fusion's rows and scores exactly, ties,
    lifted rows and the first row included."""
    import random

    from dailypapers.search import hybrid

    def plain(keyword, semantic, share, lifted, first):  # type: ignore[no-untyped-def]
        best = max(keyword.values(), default=0.0) or 1.0
        scores = {row: share * keyword.get(row, 0.0) / best
                  + (1.0 - share) * semantic.get(row, 0.0)
                  + (hybrid.NEAR_BONUS if row in lifted else 0.0)
                  for row in {**keyword, **semantic}}  # fmt: skip
        return sorted(scores.items(), key=lambda pair: (pair[0] != first, -pair[1], pair[0]))

    rng = random.Random(5)
    for case in range(300):
        rows = rng.sample(range(5000), rng.randint(0, 300))
        keyword = {
            r: rng.choice([0.0, 1.5, rng.uniform(0, 30)]) for r in rows if rng.random() < 0.6
        }
        semantic = {r: rng.choice([0.25, rng.uniform(-0.1, 1)]) for r in rows if rng.random() < 0.6}
        lifted = set(rng.sample(rows, min(len(rows), rng.randint(0, 3))))
        first = rng.choice([None, *rows[:3]])
        share = rng.choice([0.02, 0.1, 0.3, 0.6])
        got = hybrid.combine(keyword, semantic, share, lifted, first)
        assert got == plain(keyword, semantic, share, lifted, first), case
        assert all(type(r) is int and type(s) is float for r, s in got)
