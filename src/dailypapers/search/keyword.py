"""BM25 keyword search with tantivy (chosen by measurement, see docs/search.md).

The index lives in ``DATA_DIR/index/tantivy``. Each document carries the paper's row number
(a fast field shared with the vector index), its text fields and the filter fields of the
query language, so a filtered keyword search runs entirely inside tantivy.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import tantivy

from dailypapers.search.query import ParsedQuery
from dailypapers.store.records import normalise_name

# The layout of the tantivy index: a change here makes ``engine.LocalIndex`` rebuild it.
SCHEMA_VERSION = 3
ANALYZER = "dp_en"  # simple tokens, lower case, English stopwords, English (Porter) stemming
EXACT_ANALYZER = "dp_en_exact"  # the same without stemming
# "Near" matches: papers holding every free word of the query within NEAR_SLOP positions of
# each other (a remembered phrase of a title or abstract). When at most NEAR_MAX papers do, the
# query is distinctive and they are lifted (see ``KeywordIndex.rank``); chosen on the dev
# queries of ``tests/search_labelled.py`` (docs/search.md).
NEAR_SLOP = 10
NEAR_MAX = 10
# Up to this many rows, a row set is a disjunction of term queries: 0.6 ms for 200 rows (a
# hybrid query's semantic candidates) against 2.4 ms for tantivy's term-set query, which wins
# from about 2,000 rows (bench: 1,000 rows 3.0 against 4.7 ms; 3,000 rows 9.2 against 6.0 ms).
ROW_TERMS_MAX = 1000


@dataclass(frozen=True)
class Weights:
    """How the BM25 parts add up; chosen on the dev queries of ``tests/search_labelled.py``
    (``python -m bench search_quality``, see docs/search.md).

    ``text`` is BM25 over title + abstract as one stemmed field (what plain BM25 does, plus
    stemming), ``exact`` the same field unstemmed (exact word forms count more: it lifted the
    known-item set from 0.60 to 0.71 nDCG@10), ``title`` an extra BM25 over the title alone,
    ``author_phrase`` a match of the whole query as a phrase in the author names (look-ups like
    ``Luc Van Gool``; a single word never hits a name, so ``long`` finds no Mr Long).
    ``near`` is the share of a distinctive near match's phrase score added to a paper's BM25
    (it lifted the known-item set from 0.71 to 0.86 nDCG@10 with the graded set unchanged).
    """

    text: float = 0.5
    exact: float = 1.0
    title: float = 0.25
    author_phrase: float = 3.0
    near: float = 0.5


DEFAULT_WEIGHTS = Weights()


def analyzer(stem: bool = True) -> tantivy.TextAnalyzer:
    """The analyzer of the text fields: simple tokens, lower case, stopwords, stemming."""
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stopword("english"))
    )
    if stem:
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    return builder.build()


@dataclass(frozen=True)
class Ranking:
    """A keyword ranking (rows best first, their scores) and the query's near matches.

    ``near`` maps the rows of papers holding every free word close together to their phrase
    score, at most ``NEAR_MAX + 1`` of them (more than ``NEAR_MAX``: the words are common
    together, and nothing was lifted); ``first`` is the only paper holding them, ranked first.
    """

    rows: list[int]
    scores: list[float]
    near: dict[int, float]
    first: int | None = None

    @property
    def distinctive(self) -> bool:
        return 0 < len(self.near) <= NEAR_MAX


@dataclass(frozen=True)
class KeywordDoc:
    """What the keyword index knows about one paper."""

    row: int
    id: str
    title: str
    abstract: str
    authors: list[str]
    organization: str | None
    categories: list[str]
    published: dt.date | None
    has_code: bool


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_integer_field("row", indexed=True, fast=True)
    b.add_text_field("id", tokenizer_name="raw")
    b.add_text_field("text", tokenizer_name=ANALYZER)
    b.add_text_field("exact", tokenizer_name=EXACT_ANALYZER)
    b.add_text_field("title", tokenizer_name=ANALYZER)
    b.add_text_field("authors", tokenizer_name="default")
    b.add_text_field("org", tokenizer_name="default")
    b.add_text_field("category", tokenizer_name="raw")
    b.add_integer_field("date", indexed=True, fast=True)
    b.add_integer_field("has_code", indexed=True, fast=True)
    return b.build()


class KeywordIndex:
    """A tantivy index: ``add`` / ``delete`` under the caller's lock, ``search`` from any thread."""

    def __init__(self, folder: Path, weights: Weights = DEFAULT_WEIGHTS, stem: bool = True) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        self.weights = weights
        self.index = tantivy.Index(self.schema, path=str(folder), reuse=True)
        self._analyzer = analyzer(stem)
        self.index.register_tokenizer(ANALYZER, self._analyzer)
        self.index.register_tokenizer(EXACT_ANALYZER, analyzer(stem=False))

    def write(self, docs: Iterable[KeywordDoc], delete_ids: Iterable[str] = ()) -> int:
        """Replace the given papers' documents (delete then add) and commit; returns adds."""
        writer = self.index.writer(heap_size=64_000_000, num_threads=1)
        count = 0
        for pid in delete_ids:
            writer.delete_documents_by_term("id", pid)
        for doc in docs:
            writer.delete_documents_by_term("id", doc.id)
            writer.add_document(self._document(doc))
            count += 1
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        return count

    def _document(self, doc: KeywordDoc) -> tantivy.Document:
        return tantivy.Document(
            row=doc.row, id=doc.id, title=doc.title, text=f"{doc.title}\n{doc.abstract}",
            exact=f"{doc.title}\n{doc.abstract}",
            authors=[normalise_name(a) for a in doc.authors] or [""],
            org=normalise_name(doc.organization or ""),
            category=[c.lower() for c in doc.categories] or [""],
            date=doc.published.toordinal() if doc.published else 0,
            has_code=1 if doc.has_code else 0,
        )  # fmt: skip

    def reload(self) -> None:
        self.index.reload()

    def num_docs(self) -> int:
        return self.index.searcher().num_docs

    # --- queries ---------------------------------------------------------------------------
    def _parse(
        self, text: str, fields: list[str], field_boosts: dict[str, float] | None = None
    ) -> tantivy.Query | None:
        """tantivy's parse, or None when the text holds no searchable token (e.g. ``"("``)."""
        try:
            return self.index.parse_query(text, fields, field_boosts=field_boosts or {})
        except ValueError:
            return None

    def _phrase(self, field: str, text: str) -> tantivy.Query:
        """A filter phrase; one without any searchable token matches nothing."""
        query = self._parse(f'"{text}"', [field])
        return query if query is not None else self._nothing()

    def _rows(self, rows: list[int]) -> tantivy.Query:
        """Documents of these rows (to be wrapped or intersected: its own score is not BM25)."""
        if not rows:
            return self._nothing()
        if len(rows) > ROW_TERMS_MAX:
            return tantivy.Query.term_set_query(self.schema, "row", [int(r) for r in rows])
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "row", int(r)))
             for r in rows]
        )  # fmt: skip

    def _nothing(self) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, "row", -1)

    def _text(self, text: str) -> tantivy.Query | None:
        """A phrase (or word) anywhere in the title or abstract."""
        return self._parse(f'"{text}"', ["text"])

    def _words(self, words: list[str]) -> tantivy.Query | None:
        """Any of ``words`` (each already clean of quotes), BM25-scored: title + abstract as one
        field, plus the title alone at ``weights.title``."""
        quoted = " ".join(f'"{w}"' for w in words)
        w = self.weights
        boosts = {"text": w.text, "exact": w.exact, "title": w.title}
        fields = [f for f, b in boosts.items() if b > 0]
        return self._parse(quoted, fields, field_boosts=boosts)

    def _author_phrase(self, words: list[str]) -> tantivy.Query | None:
        """The whole query as a run of author-name words (``yann lecun``), two words or more."""
        if not 2 <= len(words) <= 4 or self.weights.author_phrase <= 0:
            return None
        names = normalise_name(" ".join(words))
        query = self._parse(f'"{names}"', ["authors"])
        return (
            None if query is None else tantivy.Query.boost_query(query, self.weights.author_phrase)
        )

    def filter_query(self, q: ParsedQuery) -> tantivy.Query | None:
        """The filters of ``q`` as one non-scoring query (None when there are none)."""
        must: list[tantivy.Query] = []
        must_not: list[tantivy.Query] = []
        for field, yes, no in (
            ("authors", q.authors, q.not_authors), ("org", q.orgs, q.not_orgs),
        ):  # fmt: skip
            must += [self._phrase(field, normalise_name(v)) for v in yes]
            must_not += [self._phrase(field, normalise_name(v)) for v in no]
        must += [tantivy.Query.term_query(self.schema, "category", c.lower()) for c in q.categories]
        must_not += [
            tantivy.Query.term_query(self.schema, "category", c.lower()) for c in q.not_categories
        ]
        if q.since or q.until:
            must.append(tantivy.Query.range_query(
                self.schema, "date", tantivy.FieldType.Integer,
                q.since.toordinal() if q.since else None, q.until.toordinal() if q.until else None,
            ))  # fmt: skip
        if q.has_code:
            must.append(tantivy.Query.term_query(self.schema, "has_code", 1))
        if not must and not must_not:
            return None
        if not must:
            must.append(tantivy.Query.all_query())
        clauses = [(tantivy.Occur.Must, m) for m in must]
        clauses += [(tantivy.Occur.MustNot, m) for m in must_not]
        return tantivy.Query.const_score_query(tantivy.Query.boolean_query(clauses), 0.0)

    def text_clauses(self, q: ParsedQuery) -> list[tuple[tantivy.Occur, tantivy.Query]]:
        """BM25 part: any free word (should), every phrase (must), no excluded word."""
        clauses: list[tuple[tantivy.Occur, tantivy.Query | None]] = []
        words = list(dict.fromkeys(q.terms))
        if words:  # one parsed disjunction: about 2x faster at 1M than a boolean of words
            clauses.append((tantivy.Occur.Should, self._words(words)))
            clauses.append((tantivy.Occur.Should, self._author_phrase(words)))
        clauses += [(tantivy.Occur.Must, self._text(p)) for p in q.phrases]
        clauses += [(tantivy.Occur.MustNot, self._text(x)) for x in q.excluded]
        # Words with no searchable token (punctuation only, stopwords) constrain nothing.
        return [(occur, query) for occur, query in clauses if query is not None]

    def near(self, q: ParsedQuery) -> dict[int, float]:
        """Rows (and phrase scores) of the papers holding every free word of ``q`` within
        ``NEAR_SLOP`` positions of each other, passing its filters; at most ``NEAR_MAX + 1``."""
        words = list(dict.fromkeys(q.terms))
        phrase = self._parse('"' + " ".join(words) + f'"~{NEAR_SLOP}', ["exact"]) if words else None
        if phrase is None:
            return {}
        clauses = [(tantivy.Occur.Must, phrase)]
        clauses += [c for c in self.text_clauses(q) if c[0] != tantivy.Occur.Should]
        filters = self.filter_query(q)
        if filters is not None:
            clauses.append((tantivy.Occur.Must, filters))
        searcher = self.index.searcher()
        hits = searcher.search(tantivy.Query.boolean_query(clauses), NEAR_MAX + 1, count=False).hits
        if not hits:
            return {}
        found = searcher.fast_field_values("row", [a for _, a in hits])
        return {int(r): float(s) for (s, _), r in zip(hits, found, strict=True) if r is not None}

    def rank(self, q: ParsedQuery, limit: int) -> Ranking:
        """``search`` plus near matches: when at most ``NEAR_MAX`` papers hold the query's words
        close together, each gets ``weights.near`` times its phrase score added, and when only
        one does it comes first (a remembered phrase names its paper)."""
        rows, scores = self.search(q, limit)
        near = self.near(q) if q.terms and not q.like else {}  # a pasted text: no phrase
        ranking = Ranking(rows, scores, near)
        if not ranking.distinctive:
            return ranking
        boosted = dict(zip(rows, scores, strict=True))
        for row, score in near.items():
            boosted[row] = boosted.get(row, 0.0) + self.weights.near * score
        first = next(iter(near)) if len(near) == 1 else None
        order = sorted(boosted, key=lambda r: (r != first, -boosted[r], r))[:limit]
        return Ranking(order, [boosted[r] for r in order], near, first)

    def search(
        self, q: ParsedQuery, limit: int, rows: list[int] | None = None
    ) -> tuple[list[int], list[float]]:
        """Rows and BM25 scores of the best ``limit`` matches (filters applied).

        Without words the matches come newest first. ``rows`` restricts to those rows (used
        to check semantic candidates against the filters). One flat boolean query, so that a
        plain disjunction of words keeps tantivy's block-max WAND pruning (2x faster at 1M).
        """
        if limit <= 0:  # tantivy panics on a zero limit (e.g. similar papers of the only paper)
            return [], []
        clauses = self.text_clauses(q)
        filters = self.filter_query(q)
        if filters is not None:
            clauses.append((tantivy.Occur.Must, filters))
        if rows is not None:
            subset = self._rows(rows)
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(subset, 0.0)))
        if not any(occur != tantivy.Occur.MustNot for occur, _ in clauses):
            if not clauses:
                return [], []
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        scored = q.has_text
        searcher = self.index.searcher()
        order = None if scored else "date"
        only_words = len(clauses) == 1 and clauses[0][0] == tantivy.Occur.Should
        query = clauses[0][1] if only_words else tantivy.Query.boolean_query(clauses)
        hits = searcher.search(query, limit, count=False, order_by_field=order).hits
        if scored and not q.phrases:  # matched a filter or row set but none of the words
            hits = [(s, a) for s, a in hits if s > 0]
        addresses = [a for _, a in hits]
        found = searcher.fast_field_values("row", addresses) if addresses else []
        scores = [float(s) if scored else 0.0 for s, _ in hits]
        return [int(r) for r in found if r is not None], scores

    def coverage(self, q: ParsedQuery, rows: list[int]) -> float:
        """How much of the query the best of ``rows`` matches: the largest share of the free
        words' IDF weight found in one paper (1.0 when the query names one of its authors).

        A query whose best keyword matches cover under half of its weight is about something
        else than these papers (``sourdough bread recipes`` finds ``bread`` in one abstract).
        """
        words = list(dict.fromkeys(q.terms))
        if not words or not rows:
            return 0.0 if words else 1.0
        searcher = self.index.searcher()
        subset = self._rows(rows)
        author = self._author_phrase(words)
        if author is not None and self._matching(searcher, author, subset, len(rows)):
            return 1.0
        total, found = 0.0, dict.fromkeys(rows, 0.0)
        for word in words:
            # A stopword is not indexed, so no paper holds it: no weight (tantivy would parse it
            # into an empty query, not None, and count it as a word no paper holds).
            query = self._words([word]) if self._analyzer.analyze(word) else None
            if query is None:  # a stopword or punctuation
                continue
            freq = self._doc_freq(searcher, word, query)
            idf = math.log(1 + (searcher.num_docs - freq + 0.5) / (freq + 0.5))
            total += idf
            for row in self._matching(searcher, query, subset, len(rows)):
                found[row] += idf
        return max(found.values()) / total if total else 0.0

    def _doc_freq(self, searcher: tantivy.Searcher, word: str, query: tantivy.Query) -> int:
        """Papers holding ``word`` (its ``_words`` query) in the title or abstract: for a
        one-token word the stemmed text field's term statistics (as BM25's own), which every
        match of the other fields implies; a word of several tokens (``state-of-the-art``, a
        phrase) is counted by a search."""
        tokens = self._analyzer.analyze(word)
        if len(tokens) == 1:
            return int(searcher.doc_freq("text", tokens[0]))
        result = searcher.search(query, 1, count=True)
        return int(result.count)  # type: ignore[attr-defined]  # missing from tantivy's stub

    def _matching(
        self, searcher: tantivy.Searcher, query: tantivy.Query, subset: tantivy.Query, limit: int
    ) -> list[int]:
        both = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, query), (tantivy.Occur.Must, subset)]
        )
        hits = searcher.search(both, limit, count=False).hits
        return (
            [int(r or 0) for r in searcher.fast_field_values("row", [a for _, a in hits])]
            if hits
            else []
        )
