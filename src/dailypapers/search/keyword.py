"""BM25 keyword search with tantivy (chosen by measurement, see docs/search.md).

The index lives in ``DATA_DIR/index/tantivy``. Each document carries the paper's row number
(a fast field shared with the vector index), its text fields and the filter fields of the
query language, so a filtered keyword search runs entirely inside tantivy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import tantivy

from dailypapers.search.query import ParsedQuery
from dailypapers.store.records import normalise_name

TEXT_FIELDS = ["title", "abstract", "authors"]
BOOSTS = {"title": 2.0, "abstract": 1.0, "authors": 1.0}


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
    b.add_text_field("title", tokenizer_name="en_stem")
    b.add_text_field("abstract", tokenizer_name="en_stem")
    b.add_text_field("authors", tokenizer_name="default")
    b.add_text_field("org", tokenizer_name="default")
    b.add_text_field("category", tokenizer_name="raw")
    b.add_integer_field("date", indexed=True, fast=True)
    b.add_integer_field("has_code", indexed=True, fast=True)
    return b.build()


class KeywordIndex:
    """A tantivy index: ``add`` / ``delete`` under the caller's lock, ``search`` from any thread."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(folder), reuse=True)

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
            row=doc.row, id=doc.id, title=doc.title, abstract=doc.abstract,
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

    def _nothing(self) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, "row", -1)

    def _text(self, text: str) -> tantivy.Query | None:
        return self._text_raw(f'"{text}"')

    def _text_raw(self, quoted: str) -> tantivy.Query | None:
        """``quoted``: words already in double quotes (the parser removed any inside them)."""
        return self._parse(quoted, TEXT_FIELDS, field_boosts=BOOSTS)

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
        if q.terms:  # one parsed disjunction: about 2x faster at 1M than a boolean of words
            words = " ".join(f'"{t}"' for t in dict.fromkeys(q.terms))
            clauses.append((tantivy.Occur.Should, self._text_raw(words)))
        clauses += [(tantivy.Occur.Must, self._text(p)) for p in q.phrases]
        clauses += [(tantivy.Occur.MustNot, self._text(x)) for x in q.excluded]
        # Words with no searchable token (punctuation only) constrain nothing.
        return [(occur, query) for occur, query in clauses if query is not None]

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
            subset = tantivy.Query.term_set_query(self.schema, "row", [int(r) for r in rows])
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
