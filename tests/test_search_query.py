"""The search query language: parser cases, and a property test through the API."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from dailypapers.search.query import QueryError, parse_query


def test_words_phrases_exclusions_and_filters() -> None:
    q = parse_query(
        'graph neural "message passing" -survey author:"Yann LeCun" org:meta '
        "category:cs.LG since:2025-06 until:2025 has:code"
    )
    assert q.terms == ["graph", "neural"]
    assert q.phrases == ["message passing"]
    assert q.excluded == ["survey"]
    assert q.authors == ["Yann LeCun"] and q.orgs == ["meta"] and q.categories == ["cs.LG"]
    assert q.since == dt.date(2025, 6, 1) and q.until == dt.date(2025, 12, 31)
    assert q.has_code is True
    assert q.text == "message passing graph neural"


def test_negated_filters_and_unknown_prefixes_stay_text() -> None:
    q = parse_query("-category:cs.CV -author:smith BERT: arXiv:2503.11731 re:invent")
    assert q.not_categories == ["cs.CV"] and q.not_authors == ["smith"]
    assert q.terms == ["BERT:", "arXiv:2503.11731", "re:invent"]
    assert not q.categories


def test_dates_pick_first_and_last_days() -> None:
    assert parse_query("since:2024").since == dt.date(2024, 1, 1)
    assert parse_query("until:2024-02").until == dt.date(2024, 2, 29)
    assert parse_query("until:2025-03-18").until == dt.date(2025, 3, 18)


def test_unterminated_quote_is_a_phrase_and_quotes_are_cleaned() -> None:
    assert parse_query('"large language models').phrases == ["large language models"]
    assert parse_query('a\\b "c\\"').terms == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("author:", "needs a value"),
        ('org:""', "needs a value"),
        ("since:2025-13", "is not a date"),
        ("since:yesterday", "is not a date"),
        ("has:data", "has:code"),
        ("-since:2025", "cannot be negated"),
        ("since:2025-06 until:2025-01", "after"),
        ("x" * 501, "too long"),
        (" ".join(["w"] * 41), "too many"),
    ],
)
def test_bad_queries_say_what_to_fix(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse_query(text)


def test_empty_and_blank_queries_are_empty() -> None:
    for text in ("", "   ", '""', None):
        q = parse_query(text)
        assert not q.has_text and not q.has_filters


def test_highlight_terms_skip_single_letters() -> None:
    assert parse_query('a "vision transformer" b model').highlight_terms == [
        "vision", "transformer", "model",
    ]  # fmt: skip


_PIECES = ["author:", "since:", "has:", "category:", "-", "2025-06", "é", "\u0000", "\u202e", "OR"]
_alphabet = st.sampled_from([*'abc xyz-:"\\()*^~+!?.,<>&%/', *_PIECES])


@pytest.fixture
def small_corpus(settings):
    from tests.search_fixtures import load_papers

    load_papers(settings, 60, vectors=False)
    return settings


@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.lists(_alphabet, max_size=30).map("".join) | st.text(max_size=80))
def test_any_query_gives_results_or_a_clear_4xx(client, small_corpus, text: str) -> None:
    for mode in ("keyword", "hybrid"):
        response = client.get("/api/papers/search", params={"q": text, "mode": mode})
        assert response.status_code in (200, 400, 422), response.text
        if response.status_code == 200:
            assert isinstance(response.json(), list)
        else:
            assert response.json()["error"]


@pytest.mark.parametrize(
    "text", ['(")', '"("', "-(", 'author:"("', 'org:"!"', '"()" graph', "^^ ~~"]
)
def test_punctuation_only_words_constrain_nothing(client, small_corpus, text: str) -> None:
    """Found by the property test: a quoted word with no token once reached tantivy's parser."""
    for mode in ("keyword", "hybrid"):
        response = client.get("/api/papers/search", params={"q": text, "mode": mode})
        assert response.status_code == 200, response.text
        results = response.json()
        if "author:" in text or "org:" in text:
            assert results == []  # a filter that cannot match matches nothing


def test_boolean_operators_from_other_engines_are_ignored() -> None:
    assert parse_query("graph OR vision AND text").terms == ["graph", "vision", "text"]


def test_highlight_escapes_first_and_never_marks_inside_entities() -> None:
    from dailypapers.web.highlight import highlight, highlight_snippet

    html = str(highlight('<b>Models</b> & "amp" modelling', ["model", "amp", "lt", "gt"]))
    assert html == (
        "&lt;b&gt;<mark>Models</mark>&lt;/b&gt; &amp; "
        "&#34;<mark>amp</mark>&#34; <mark>modelling</mark>"
    )
    long = "word " * 200 + "needle in the haystack"
    assert "<mark>needle</mark>" in str(highlight_snippet(long, ["needle"], 120))
    assert str(highlight("x < y", [])) == "x &lt; y"
